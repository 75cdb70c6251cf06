// A broker with a SASL_SSL listener (deploy/kafka/security.mjs: keytool keystore, SCRAM users seeded at
// format) and the CLI as a user runs it: the loop runs over SCRAM-SHA-512 + TLS configured by env,
// `topics create` over SCRAM-SHA-256 configured by flags and a password file; a wrong password ends
// the command with a clear RR_BROKER error (bounded wait, no hang); the password is in no output line.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { kafkaSecurityConfig, resolveKafkaSecurity } from '../../src/security/kafkaSecurity.ts';
import { startBroker } from '../../deploy/kafka/kafka.mjs';

interface SecureBroker {
  brokers: string;
  saslSsl: { brokers: string; caFile: string; passwordFile: string; users: { username: string; password: string }[] };
  stop(): Promise<void>;
}

interface Run {
  code: number | null;
  out: string;
  timedOut: boolean;
}

/** Runs the CLI; kills it after `limitMs` (then timedOut) so a hang fails the test instead of stalling it. */
function cli(args: string[], env: Record<string, string>, limitMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, ...env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

describe('Kafka security: SASL/SCRAM over TLS', { timeout: 240_000 }, () => {
  let broker: SecureBroker;
  let dir: string;
  let password: string;
  let user: string;
  before(async () => {
    broker = (await startBroker({ saslSsl: true })) as SecureBroker;
    password = broker.saslSsl.users[0]!.password;
    user = broker.saslSsl.users[0]!.username;
    dir = await mkdtemp(join(tmpdir(), 'rr-sec-'));
  });
  after(async () => {
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const secureEnv = (mechanism: string, pw: string): Record<string, string> => ({
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: pw,
    KAFKA_SSL_CA_FILE: broker.saslSsl.caFile,
  });

  it('the loop runs over SCRAM-SHA-512 + TLS from env; the password is in no output line', async () => {
    const r = await cli(
      ['start', '--brokers', broker.saslSsl.brokers, '--batches', '3', '--d', '16', '--epochs', '2'],
      secureEnv('scram-sha-512', password),
      120_000,
    );
    assert.equal(r.timedOut, false, r.out);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /batches: 3 /);
    assert.match(r.out, /dead letters: none/);
    for (const line of r.out.split('\n')) assert.ok(!line.includes(password), 'a line holds the password');
  });

  it('topics create over SCRAM-SHA-256 with flags and a password file', async () => {
    const init = await cli(
      ['loop', 'init', '--out', join(dir, 'loop.json'), '--d', '16', '--epochs', '2', '--prefix', 'sec256.'],
      {},
      120_000,
    );
    assert.equal(init.code, 0, init.out);
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    const r = await cli(
      [
        'topics',
        'create',
        '--config',
        join(dir, 'loop.json'),
        '--brokers',
        broker.saslSsl.brokers,
        '--kafka-sasl-mechanism',
        'scram-sha-256',
        '--kafka-sasl-username',
        user,
        '--kafka-sasl-password-file',
        pwFile,
        '--kafka-ssl-ca-file',
        broker.saslSsl.caFile,
      ],
      {},
      60_000,
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /posteriors/);
    assert.ok(!r.out.includes(password));
  });

  it('a wrong password ends the command with a clear error, not a hang, and is never printed', async () => {
    const wrong = 'not-the-password-4711';
    const r = await cli(
      ['run', 'router', '--config', join(dir, 'loop.json'), '--brokers', broker.saslSsl.brokers],
      secureEnv('scram-sha-512', wrong),
      60_000,
    );
    assert.equal(r.timedOut, false, 'the command hung on a wrong password');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /RR_BROKER \(kafka-sasl\): Kafka SASL authentication failed \(SASL SCRAM-SHA-512 as rr-client, TLS\)/);
    assert.ok(!r.out.includes(wrong), r.out);
    assert.ok(!r.out.includes(password), r.out);
  });

  it('the Python client publishes over SCRAM-SHA-256 + TLS; a wrong password is its typed error', async () => {
    const python = execFileSync('bash', ['clients/python/setup-venv.sh'], { encoding: 'utf8' }).trim();
    const prefix = 'pysec.';
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'clients/python/tests/test_security.py'], {
        env: {
          ...process.env,
          ...secureEnv('scram-sha-256', password),
          RR_SASL_BROKERS: broker.saslSsl.brokers,
          RR_SASL_RUN: 'py-run',
          RR_SASL_PREFIX: prefix,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
      });
      child.stderr.on('data', (c: Buffer) => {
        out += c.toString('utf8');
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /2 passed/);
    assert.ok(!r.out.includes(password));
    // The TypeScript side reads the Python record over SASL_SSL too.
    const sec = resolveKafkaSecurity({}, secureEnv('scram-sha-512', password));
    const bus = createKafkaBus({ brokers: [broker.saslSsl.brokers], clientId: 'sec-read', kafkaConfig: kafkaSecurityConfig(sec) });
    try {
      const records = await bus.readToEnd(`${prefix}generations`);
      assert.equal(records.length, 1);
      const g = await new SingleObjectCodec().decode('generations', records[0]!.value!);
      assert.equal(g.prompt, 'over TLS');
      assert.equal(g.run, 'py-run');
    } finally {
      await bus.close();
    }
  });

  it('--help names the security flags and shows no credential', async () => {
    const r = await cli(['--help'], secureEnv('scram-sha-512', password), 30_000);
    assert.equal(r.code, 0);
    assert.match(r.out, /--kafka-sasl-mechanism/);
    assert.match(r.out, /--kafka-sasl-password-file/);
    assert.ok(!r.out.includes(password));
    assert.ok(!/--kafka-sasl-password </.test(r.out), 'there must be no password flag');
  });
});
