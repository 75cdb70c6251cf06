#!/usr/bin/env node
// Checks on the rendered chart (scripts/helm-check.sh): node scripts/helm-assert.mjs default.yaml gpu.yaml
// - every app Deployment has liveness/readiness probes on /healthz and /readyz of its health port;
// - GPU example: each GPU scorer Deployment limits nvidia.com/gpu, with a nodeSelector and a toleration;
// - GPU example: a Strimzi KafkaTopic for posteriors with cleanup.policy compact, a KEDA ScaledObject per scorer;
// - no manifest holds a password in plain text (secrets are by reference).
import fs from 'node:fs';
import yaml from 'js-yaml';

const [defaultFile, gpuFile] = process.argv.slice(2);
const docs = (f) => yaml.loadAll(fs.readFileSync(f, 'utf8')).filter(Boolean);
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
  else console.log(`ok  ${what}`);
};

for (const [name, file] of [
  ['default', defaultFile],
  ['gpu', gpuFile],
]) {
  const all = docs(file);
  const deployments = all.filter((d) => d.kind === 'Deployment');
  check(deployments.length === 8, `${name}: 8 Deployments (router, labeler, aggregator, store, 4 scorers), got ${deployments.length}`);
  for (const d of deployments) {
    const c = d.spec.template.spec.containers[0];
    check(
      c.livenessProbe?.httpGet?.path === '/healthz' &&
        c.readinessProbe?.httpGet?.path === '/readyz' &&
        c.readinessProbe.httpGet.port === 'health' &&
        c.args.includes('--health-port'),
      `${name}: ${d.metadata.name} probes /healthz and /readyz on its --health-port`,
    );
  }
  check(
    all.filter((d) => d.kind === 'PodDisruptionBudget').length === deployments.length,
    `${name}: one PodDisruptionBudget per Deployment`,
  );
  check(
    !/password:\s*\S+[^\n]*\n/.test(fs.readFileSync(file, 'utf8').replace(/passwordSecret[^\n]*\n/g, '')),
    `${name}: no password in the manifests`,
  );
  if (name === 'gpu') {
    const gpuScorers = deployments.filter((d) => d.spec.template.spec.containers[0].resources?.limits?.['nvidia.com/gpu'] !== undefined);
    check(gpuScorers.length === 2, `gpu: 2 scorer Deployments request nvidia.com/gpu, got ${gpuScorers.length}`);
    for (const d of gpuScorers) {
      const spec = d.spec.template.spec;
      check(
        spec.containers[0].args.slice(0, 2).join(' ') === 'run scorer' &&
          Number(spec.containers[0].resources.limits['nvidia.com/gpu']) >= 1 &&
          spec.nodeSelector?.['nvidia.com/gpu.present'] === 'true' &&
          spec.tolerations?.some((t) => t.key === 'nvidia.com/gpu'),
        `gpu: ${d.metadata.name} limits nvidia.com/gpu, has the GPU nodeSelector and toleration`,
      );
    }
    const topics = all.filter((d) => d.kind === 'KafkaTopic');
    const posteriors = topics.find((t) => t.spec.topicName === 'rr.posteriors');
    check(posteriors?.spec.config?.['cleanup.policy'] === 'compact', 'gpu: KafkaTopic rr.posteriors has cleanup.policy compact');
    check(topics.length === 12, `gpu: 12 KafkaTopics (8 fixed + 4 request topics), got ${topics.length}`);
    check(all.filter((d) => d.kind === 'ScaledObject').length === 4, 'gpu: one KEDA ScaledObject per scorer');
    check(
      deployments.every((d) => d.spec.template.spec.containers[0].env.some((e) => e.name === 'KAFKA_SASL_PASSWORD_FILE')),
      'gpu: every app reads the SASL password from a mounted secret file',
    );
  }
}
if (failures.length > 0) {
  console.error(`helm-assert: ${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('helm-assert: all checks passed');
