/**
 * The chart renders what the apps read (issue 16, part 3). With the helm binary, each values file is
 * rendered by plain `helm template` (the client's default Kubernetes version, no --kube-version), and:
 * - the rendered ConfigMap's loop.json, written beside a synthetic prior, passes `loadSettings` (what
 *   every app runs at start: streams/runtime/settings.ts, src/scorers/config.ts);
 * - every RM has one scorer Deployment, and what its loop.json entry names is provided by that
 *   Deployment: the env var of `apiKeyEnv` from a Secret (never a literal), `modelDir` and
 *   `apiKeyFile` on a mounted volume, the `tls` files on a mounted Secret;
 * - the router provides the text encoder that loop.json names;
 * - the chart refuses what the apps would refuse (a backend missing, an API key in loop.json) and the
 *   old scorer keys, with a message naming the field.
 * helm comes from $RR_HELM, else $RR_TOOLS_DIR/bin/helm (default ~/.cache/reward-router/tools, where
 * `bash scripts/helm-check.sh tools` builds it), else PATH; without it the tests are skipped, unless
 * RR_HELM_REQUIRED=1 (scripts/helm-check.sh sets it), which makes a missing helm a failure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { MINILM_NAME } from '../../src/encoder/minilm.ts';
import { writePrior } from '../../src/offline/index.ts';
import { loadSettings } from '../../streams/runtime/settings.ts';
import { syntheticPrior } from './streams-fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHART = join(ROOT, 'helm/reward-router');

function findHelm(): string | undefined {
  const tools = process.env.RR_TOOLS_DIR ?? join(homedir(), '.cache', 'reward-router', 'tools');
  for (const c of [process.env.RR_HELM, join(tools, 'bin', 'helm')]) if (c && existsSync(c)) return c;
  return spawnSync('helm', ['version', '--short'], { encoding: 'utf8' }).status === 0 ? 'helm' : undefined;
}
const helm = findHelm();
const required = process.env.RR_HELM_REQUIRED === '1';
const skip = helm === undefined && !required ? 'helm not found: `bash scripts/helm-check.sh tools` builds it' : false;
if (skip) process.stderr.write(`SKIP helm-chart: ${skip}\n`);

/** `helm template rr <chart> [-f file]... [extra]`, with the client's default Kubernetes version. */
function template(files: string[], extra: string[] = []): { code: number | null; out: string; err: string } {
  assert.ok(helm, 'helm not found (RR_HELM_REQUIRED=1): build it with `bash scripts/helm-check.sh tools`');
  const r = spawnSync(helm, ['template', 'rr', CHART, ...files.flatMap((f) => ['-f', join(CHART, f)]), ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Mount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
  [source: string]: unknown;
}
interface Container {
  name: string;
  args: string[];
  env?: EnvVar[];
  volumeMounts?: Mount[];
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: { template: { spec: { containers: Container[]; initContainers?: Container[]; volumes: Volume[] } } };
}
interface ScorerValues {
  rm: string;
  apiKeySecret?: { name?: string; key?: string };
  tlsSecret?: { name?: string };
}

/** Helm's values merge: maps key by key, anything else replaced. */
function mergeValues(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeValues(out[k], v) : v;
  return out;
}
const readValues = (f: string): Record<string, unknown> => yaml.load(readFileSync(join(CHART, f), 'utf8')) as Record<string, unknown>;
const valuesOf = (f: string) =>
  mergeValues(readValues('values.yaml'), f === 'values.yaml' ? {} : readValues(f)) as {
    scorers: ScorerValues[];
    encoder: { source: string; name: string; imageDir: string };
  };

/** The mount of `c` that holds `path` (the deepest mountPath that is `path` or one of its parents), with its volume. */
function mountOf(c: Container, volumes: Volume[], path: string): { mount: Mount; volume: Volume } | undefined {
  const holding = (c.volumeMounts ?? []).filter((m) => path === m.mountPath || path.startsWith(m.mountPath.replace(/\/?$/, '/')));
  const mount = holding.sort((x, y) => y.mountPath.length - x.mountPath.length)[0];
  const volume = mount && volumes.find((v) => v.name === mount.name);
  return mount && volume ? { mount, volume } : undefined;
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('helm/reward-router renders what the apps read', () => {
  it('helm is there when required', { skip }, () => assert.ok(helm));

  for (const file of ['values.yaml', 'values-gpu.yaml', 'ci/values-real.yaml']) {
    it(`${file}: loop.json passes loadSettings; each scorer Deployment provides what its config names`, { skip }, async () => {
      const r = template(file === 'values.yaml' ? [] : [file]);
      assert.equal(r.code, 0, `helm template failed:\n${r.err}`);
      const docs = (yaml.loadAll(r.out) as Manifest[]).filter(Boolean);
      const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'rr-loop');
      const loopJson = cm?.data?.['loop.json'];
      assert.ok(loopJson, 'the ConfigMap rr-loop has loop.json');
      const loop = JSON.parse(loopJson) as {
        arms: string[];
        prior: string;
        sim?: unknown;
        encoder?: string;
        scorers: Record<string, Record<string, unknown>>;
      };

      // What every app does at start, on the rendered file beside a prior (synthetic, with the loop's arms).
      const dir = mkdtempSync(join(tmpdir(), 'rr-helm-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'loop.json'), loopJson);
      await writePrior(join(dir, loop.prior), syntheticPrior(loop.arms, 16));
      // The pods get each apiKeyEnv from a Secret (checked below); a stand-in here, in case the config check reads it.
      for (const c of Object.values(loop.scorers ?? {}))
        if (typeof c.apiKeyEnv === 'string') process.env[c.apiKeyEnv] ??= 'stand-in-for-the-secret';
      const settings = await loadSettings(join(dir, 'loop.json'));
      assert.equal(loop.sim, undefined, 'no simulator: every RM has a real backend');
      assert.deepEqual(Object.keys(settings.scorers ?? {}).sort(), [...loop.arms].sort());

      const values = valuesOf(file);
      const scorers = docs.filter(
        (d) => d.kind === 'Deployment' && d.spec.template.spec.containers[0]!.args.slice(0, 2).join(' ') === 'run scorer',
      );
      assert.deepEqual(scorers.map((d) => d.spec.template.spec.containers[0]!.args[3]).sort(), [...loop.arms].sort(), 'one scorer per RM');
      for (const d of scorers) {
        const pod = d.spec.template.spec;
        const c = pod.containers[0]!;
        const rm = c.args[3]!;
        const cfg = loop.scorers[rm]!;
        const sv = values.scorers.find((s) => s.rm === rm);
        const at = `${d.metadata.name} (${rm})`;
        assert.ok(!('apiKey' in cfg), `${at}: no API key in loop.json`);

        if (typeof cfg.apiKeyEnv === 'string') {
          const e = (c.env ?? []).filter((v) => v.name === cfg.apiKeyEnv);
          assert.equal(e.length, 1, `${at}: one env var ${cfg.apiKeyEnv}`);
          const ref = e[0]!.valueFrom?.secretKeyRef;
          assert.ok(ref?.name && ref.key && e[0]!.value === undefined, `${at}: ${cfg.apiKeyEnv} comes from a Secret, not a literal`);
          if (sv?.apiKeySecret?.name) assert.deepEqual(ref, { name: sv.apiKeySecret.name, key: sv.apiKeySecret.key ?? 'api-key' }, at);
        }
        if (typeof cfg.apiKeyFile === 'string')
          assert.ok(mountOf(c, pod.volumes, cfg.apiKeyFile)?.volume.secret, `${at}: apiKeyFile on a mounted Secret`);

        if (cfg.backend === 'tfjs') {
          const modelDir = cfg.modelDir as string;
          assert.ok(posix.isAbsolute(modelDir), `${at}: modelDir ${modelDir} is absolute`);
          assert.equal(
            settings.scorers?.[rm]?.backend === 'tfjs' && settings.scorers[rm].modelDir,
            modelDir,
            `${at}: the apps read modelDir as rendered`,
          );
          const m = mountOf(c, pod.volumes, modelDir);
          assert.ok(m, `${at}: modelDir ${modelDir} is on a mounted volume`);
          assert.ok(
            m.mount.readOnly && m.volume.emptyDir === undefined,
            `${at}: the model volume is mounted read-only and is not an emptyDir`,
          );
        }

        const tls = cfg.tls as Record<string, string> | undefined;
        for (const [k, path] of Object.entries(tls ?? {})) {
          const m = mountOf(c, pod.volumes, path);
          assert.ok(m?.volume.secret, `${at}: tls.${k} ${path} is on a mounted Secret`);
          const rel = posix.relative(m.mount.mountPath, path);
          assert.ok(!rel.includes('/') && m.mount.subPath === undefined, `${at}: tls.${k} is a key of that Secret (${rel})`);
          if (m.volume.secret.items)
            assert.ok(
              m.volume.secret.items.some((i) => i.path === rel),
              `${at}: the Secret projects ${rel}`,
            );
          if (sv?.tlsSecret?.name) assert.equal(m.volume.secret.secretName, sv.tlsSecret.name, at);
        }
        if (sv?.tlsSecret?.name) assert.ok(tls?.certFile && tls.keyFile, `${at}: tlsSecret fills tls.certFile and tls.keyFile`);

        const gpus = c.resources?.limits?.['nvidia.com/gpu'];
        if (cfg.backend !== 'tfjs') assert.equal(gpus, undefined, `${at}: a ${String(cfg.backend)} scorer asks for no GPU`);
      }

      const router = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'rr-router')!.spec.template.spec;
      assert.equal(values.encoder.name, MINILM_NAME, 'encoder.name is the encoder the code installs');
      if (loop.encoder !== undefined) {
        assert.ok(posix.isAbsolute(loop.encoder), 'encoder: an absolute directory');
        if (values.encoder.source === 'fetch') {
          const m = mountOf(router.containers[0]!, router.volumes, loop.encoder);
          assert.ok(m, 'the router mounts the encoder cache');
          const init = router.initContainers?.find((i) => i.args.slice(0, 2).join(' ') === 'encoder fetch');
          assert.ok(init, 'an init container fetches the encoder');
          assert.equal(init.args[init.args.indexOf('--dir') + 1], loop.encoder, 'into the directory loop.json names');
          assert.ok(mountOf(init, router.volumes, loop.encoder)?.mount.readOnly !== true, 'on the same volume, writable');
          assert.equal(mountOf(init, router.volumes, loop.encoder)!.volume.name, m.volume.name);
        } else {
          assert.equal(loop.encoder, values.encoder.imageDir);
        }
      }
    });
  }

  it('the image encoder mode names the directory the Dockerfile bakes', { skip }, () => {
    const r = template([], ['--set', 'encoder.source=image']);
    assert.equal(r.code, 0, r.err);
    const cm = (yaml.loadAll(r.out) as Manifest[]).find((d) => d?.kind === 'ConfigMap')!;
    const encoder = (JSON.parse(cm.data!['loop.json']!) as { encoder: string }).encoder;
    assert.equal(encoder, `/opt/reward-router/encoders/${MINILM_NAME}`);
    assert.ok(readFileSync(join(ROOT, 'Dockerfile'), 'utf8').includes(encoder), `the Dockerfile bakes the encoder into ${encoder}`);
  });

  const refusals: [string, unknown, RegExp][] = [
    [
      'an RM without a backend when loop.config has no sim',
      [{ rm: 'gpt-4.1 (judge)', requestsTopic: 't' }],
      /scorers\["gpt-4\.1 \(judge\)"\]\.config: no backend/,
    ],
    [
      'an API key in loop.json',
      [{ rm: 'gpt-4.1 (judge)', requestsTopic: 't', config: { backend: 'judge', baseUrl: 'https://j/v1', model: 'm', apiKey: 'sk-1' } }],
      /config\.apiKey: keys never go into loop\.json/,
    ],
    [
      'the old backend/endpoint/modelPath keys',
      [{ rm: 'gpt-4.1 (judge)', requestsTopic: 't', backend: 'http', endpoint: 'https://j/v1' }],
      /scorers\["gpt-4\.1 \(judge\)"\]\.backend: moved into/,
    ],
    [
      'a tfjs scorer with neither modelDir nor a model volume',
      [{ rm: 'gpt-4.1 (judge)', requestsTopic: 't', config: { backend: 'tfjs' } }],
      /a tfjs scorer needs config\.modelDir or a model\.volume/,
    ],
    [
      'a relative modelDir',
      [{ rm: 'gpt-4.1 (judge)', requestsTopic: 't', config: { backend: 'tfjs', modelDir: 'data/tfjs-rm' } }],
      /modelDir "data\/tfjs-rm": must be an absolute path/,
    ],
  ];
  for (const [what, scorers, message] of refusals) {
    it(`refuses ${what}`, { skip }, () => {
      const r = template([], ['--set-json', `scorers=${JSON.stringify(scorers)}`]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, message);
    });
  }

  it('without a backend, an RM is simulated only when loop.config has a sim section', { skip }, () => {
    const r = template([], ['--set-json', 'scorers=[{"rm": "gpt-4.1 (judge)", "requestsTopic": "t"}]', '--set-json', 'loop.config.sim={}']);
    assert.equal(r.code, 0, r.err);
    const cm = (yaml.loadAll(r.out) as Manifest[]).find((d) => d?.kind === 'ConfigMap')!;
    assert.equal((JSON.parse(cm.data!['loop.json']!) as { scorers?: object }).scorers, undefined);
  });
});
