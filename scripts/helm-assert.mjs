#!/usr/bin/env node
// Checks on the rendered chart (scripts/helm-check.sh): node scripts/helm-assert.mjs default.yaml gpu.yaml real.yaml
// - every app Deployment has liveness/readiness probes on /healthz and /readyz of its health port;
// - a PodDisruptionBudget exactly for the Deployments that can run more than one pod (replicas > 1, or
//   a KEDA ScaledObject with maxReplicaCount > 1), and no `replicas` on a Deployment KEDA scales;
// - GPU example: the tfjs scorer limits nvidia.com/gpu with the GPU nodeSelector and toleration, on
//   the tfjs-node-gpu image; no other app asks for a GPU; a Strimzi KafkaTopic for posteriors with
//   cleanup.policy compact, a KEDA ScaledObject per scorer;
// - no manifest holds a password in plain text (secrets are by reference).
// What each scorer's loop.json entry names is provided by its Deployment: test/unit/helm-chart.test.ts.
import fs from 'node:fs';
import yaml from 'js-yaml';

const [defaultFile, gpuFile, realFile] = process.argv.slice(2);
if (!realFile) {
  console.error('usage: node scripts/helm-assert.mjs default.yaml gpu.yaml real.yaml');
  process.exit(2);
}
const docs = (f) => yaml.loadAll(fs.readFileSync(f, 'utf8')).filter(Boolean);
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
  else console.log(`ok  ${what}`);
};
const container = (d) => d.spec.template.spec.containers[0];
const isScorer = (d) => container(d).args.slice(0, 2).join(' ') === 'run scorer';
const loopJson = (all) => JSON.parse(all.find((d) => d.kind === 'ConfigMap').data['loop.json']);

for (const [name, file, scorerCount] of [
  ['default', defaultFile, 4],
  ['gpu', gpuFile, 5],
  ['real', realFile, 4],
]) {
  const all = docs(file);
  const deployments = all.filter((d) => d.kind === 'Deployment');
  check(
    deployments.length === 4 + scorerCount,
    `${name}: ${4 + scorerCount} Deployments (router, labeler, aggregator, store, ${scorerCount} scorers), got ${deployments.length}`,
  );
  for (const d of deployments) {
    const c = container(d);
    check(
      c.livenessProbe?.httpGet?.path === '/healthz' &&
        c.readinessProbe?.httpGet?.path === '/readyz' &&
        c.readinessProbe.httpGet.port === 'health' &&
        c.args.includes('--health-port'),
      `${name}: ${d.metadata.name} probes /healthz and /readyz on its --health-port`,
    );
  }
  const scaled = new Map(all.filter((d) => d.kind === 'ScaledObject').map((s) => [s.spec.scaleTargetRef.name, s.spec.maxReplicaCount]));
  const pdbs = new Set(all.filter((d) => d.kind === 'PodDisruptionBudget').map((p) => p.metadata.name));
  for (const d of deployments) {
    const n = d.metadata.name;
    const most = scaled.has(n) ? scaled.get(n) : d.spec.replicas;
    if (scaled.has(n)) check(d.spec.replicas === undefined, `${name}: ${n} is scaled by KEDA and has no replicas of its own`);
    else check(Number.isInteger(d.spec.replicas), `${name}: ${n} has replicas ${d.spec.replicas}`);
    check(pdbs.has(n) === most > 1, `${name}: ${n} (at most ${most} pods) ${most > 1 ? 'has' : 'has no'} PodDisruptionBudget`);
  }
  check(pdbs.size === deployments.filter((d) => pdbs.has(d.metadata.name)).length, `${name}: every PodDisruptionBudget has its Deployment`);
  check(
    !/password:\s*\S+[^\n]*\n/.test(fs.readFileSync(file, 'utf8').replace(/passwordSecret[^\n]*\n/g, '')),
    `${name}: no password in the manifests`,
  );

  if (name === 'gpu') {
    const loop = loopJson(all);
    const gpuUsers = deployments.filter((d) => container(d).resources?.limits?.['nvidia.com/gpu'] !== undefined);
    const tfjsScorers = deployments.filter((d) => isScorer(d) && loop.scorers[container(d).args[3]]?.backend === 'tfjs');
    check(
      gpuUsers.length === 1 && tfjsScorers.length === 1 && gpuUsers[0] === tfjsScorers[0],
      `gpu: only the tfjs scorer asks for nvidia.com/gpu (${gpuUsers.map((d) => d.metadata.name).join(', ')})`,
    );
    for (const d of gpuUsers) {
      const spec = d.spec.template.spec;
      check(
        Number(spec.containers[0].resources.limits['nvidia.com/gpu']) >= 1 &&
          spec.nodeSelector?.['nvidia.com/gpu.present'] === 'true' &&
          spec.tolerations?.some((t) => t.key === 'nvidia.com/gpu') &&
          /-tfjs-gpu$/.test(spec.containers[0].image) &&
          ['auto', undefined].includes(loop.scorers[spec.containers[0].args[3]].tfBackend),
        `gpu: ${d.metadata.name} limits nvidia.com/gpu, has the GPU nodeSelector and toleration, runs the tfjs-gpu image on tfBackend auto`,
      );
    }
    const topics = all.filter((d) => d.kind === 'KafkaTopic');
    const posteriors = topics.find((t) => t.spec.topicName === 'rr.posteriors');
    check(posteriors?.spec.config?.['cleanup.policy'] === 'compact', 'gpu: KafkaTopic rr.posteriors has cleanup.policy compact');
    check(topics.length === 13, `gpu: 13 KafkaTopics (8 fixed + 5 request topics), got ${topics.length}`);
    check(scaled.size === 5, 'gpu: one KEDA ScaledObject per scorer');
    check(
      deployments.every((d) => container(d).env.some((e) => e.name === 'KAFKA_SASL_PASSWORD_FILE')),
      'gpu: every app reads the SASL password from a mounted secret file',
    );
  }
}
if (failures.length > 0) {
  console.error(`helm-assert: ${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('helm-assert: all checks passed');
