#!/usr/bin/env node
// Local single-node Apache Kafka 3.9.1 (KRaft combined mode) from Maven Central jars.
// Plain Node ESM (no TypeScript), so it runs before anything is built. See docs/kafka-local.md.
//
//   node deploy/kafka/kafka.mjs jars     collect the jars into .kafka/libs (Maven; no-op when stamped)
//   node deploy/kafka/kafka.mjs up [--data DIR]  start a detached broker, write .kafka/broker.json, print brokers;
//                                        with --data the dir (log, ports) is kept by `down` and reused by the next `up`
//   node deploy/kafka/kafka.mjs down     stop it (SIGTERM, SIGKILL after 10 s), remove its temp dir
//   node deploy/kafka/kafka.mjs status   print the state of the broker started by `up`
//   node deploy/kafka/kafka.mjs tool topics|groups|get-offsets|transactions [args]   Kafka's own CLI tools
//
// Library: ensureJars(), startBroker({ dir? }) -> { brokers, port, controllerPort, dir, pid, logFile, stop() }.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addSaslSslListener, prepareSaslSsl } from './security.mjs';

export const KAFKA_VERSION = '3.9.1';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const KAFKA_HOME = path.join(ROOT, '.kafka');
export const LIBS_DIR = path.join(KAFKA_HOME, 'libs');
export const STATE_FILE = path.join(KAFKA_HOME, 'broker.json');
const STAMP_FILE = path.join(LIBS_DIR, '.kafka-version');
const POM = path.join(HERE, 'pom.xml');

/** Jars without which the broker cannot start (or starts without logging, hence without readiness lines). */
const REQUIRED_JARS = [
  `kafka_2.13-${KAFKA_VERSION}.jar`,
  `kafka-clients-${KAFKA_VERSION}.jar`,
  `kafka-tools-${KAFKA_VERSION}.jar`,
  'slf4j-reload4j-1.7.36.jar',
  'reload4j-1.2.25.jar',
];

const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 250;
const STOP_GRACE_MS = 10_000;
/** Broker heap: modest, tests run beside it on 2 cores. Override with KAFKA_HEAP_OPTS="-Xms.. -Xmx..". */
const DEFAULT_HEAP = ['-Xms256m', '-Xmx512m'];
// Upstream bin/kafka-run-class.sh performance options.
const JVM_OPTS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];

const javaBin = () => (process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
const log = (msg) => process.stderr.write(`[kafka] ${msg}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function jarsPresent() {
  try {
    return (
      fs.readFileSync(STAMP_FILE, 'utf8').trim() === KAFKA_VERSION && REQUIRED_JARS.every((jar) => fs.existsSync(path.join(LIBS_DIR, jar)))
    );
  } catch {
    return false;
  }
}

/**
 * Makes sure .kafka/libs holds the Kafka runtime jars (Maven's ~/.m2 is the download cache).
 * Skips Maven when the stamp file names this version and the key jars are there.
 * @returns {{ libs: string, fetched: boolean, jars: number }}
 */
export function ensureJars() {
  if (jarsPresent()) return { libs: LIBS_DIR, fetched: false, jars: countJars() };
  // A stale or partial folder (other version, interrupted copy): start clean so versions never mix.
  fs.rmSync(LIBS_DIR, { recursive: true, force: true });
  fs.mkdirSync(LIBS_DIR, { recursive: true });
  log(`collecting Kafka ${KAFKA_VERSION} jars into ${path.relative(ROOT, LIBS_DIR)} (mvn)`);
  const res = spawnSync(
    'mvn',
    ['-B', '-q', '-Dstyle.color=never', '-f', POM, `-Dkafka.libs.dir=${LIBS_DIR}`, 'dependency:copy-dependencies'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 },
  );
  if (res.error) throw new Error(`cannot run mvn (is Maven installed?): ${res.error.message}`);
  // Maven 3.8 prints bare ANSI resets even with -q -B; show its output only when it failed.
  if (res.status !== 0) throw new Error(`mvn failed with exit code ${res.status}:\n${res.stdout}${res.stderr}`);
  const missing = REQUIRED_JARS.filter((jar) => !fs.existsSync(path.join(LIBS_DIR, jar)));
  if (missing.length > 0) throw new Error(`mvn finished but ${missing.join(', ')} missing in ${LIBS_DIR}`);
  fs.writeFileSync(STAMP_FILE, `${KAFKA_VERSION}\n`);
  return { libs: LIBS_DIR, fetched: true, jars: countJars() };
}

function countJars() {
  return fs.readdirSync(LIBS_DIR).filter((f) => f.endsWith('.jar')).length;
}

/** A free TCP port on 127.0.0.1: listen on port 0, read the port, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Replaces ${NAME} placeholders; an unknown placeholder is an error (a typo must not reach Kafka). */
export function render(template, vars) {
  return template.replace(/\$\{([A-Z_]+)\}/g, (whole, name) => {
    if (!(name in vars)) throw new Error(`template placeholder ${whole} has no value`);
    return String(vars[name]);
  });
}

function renderFile(name, outDir, vars) {
  const out = path.join(outDir, name.replace(/\.tmpl$/, ''));
  fs.writeFileSync(out, render(fs.readFileSync(path.join(HERE, name), 'utf8'), vars));
  return out;
}

/** Last lines of a file, for error messages. */
export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** True when pid is our Kafka JVM for this run dir (guards against pid reuse before we signal it). */
function isOurBroker(pid, dir) {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('kafka.Kafka') && cmd.includes(dir);
  } catch {
    return isAlive(pid); // no /proc (not Linux): trust the pid
  }
}

async function waitExit(pid, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/**
 * Stops a broker by pid: SIGTERM (Kafka's shutdown hook stops it cleanly), SIGKILL after the grace period,
 * then removes its run dir when we created it.
 */
export async function stopPid({ pid, dir, ownsDir = true }, { graceMs = STOP_GRACE_MS } = {}) {
  if (pid && isOurBroker(pid, dir)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    if (!(await waitExit(pid, graceMs))) {
      log(`broker pid ${pid} still running after ${graceMs} ms: SIGKILL`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await waitExit(pid, 5_000);
    }
  }
  if (ownsDir && dir) fs.rmSync(dir, { recursive: true, force: true });
}

async function probe(Kafka, logLevel, brokers) {
  const kafka = new Kafka({
    clientId: 'kafka-mjs-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < 1) return false;
    // Ready means the group coordinator answers too: on a fresh broker the first group lookup creates
    // __consumer_offsets, and a consumer that joins while it loads gets COORDINATOR_LOAD_IN_PROGRESS.
    await admin.describeGroups(['kafka-mjs-probe']);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Formats a fresh run dir and starts a broker+controller JVM; resolves once KafkaJS describeCluster() and a
 * group lookup (the group coordinator, __consumer_offsets loaded) answer.
 * @param {{ dir?: string, detached?: boolean, heapOpts?: string[], signal?: AbortSignal, port?: number, controllerPort?: number, properties?: Record<string, string | number> }} [opts]
 *   dir: run dir to use (created if missing; kept on stop); default: a fresh temp dir (removed on stop).
 *   detached: own process group, survives this process (used by `up`).
 *   signal: aborting it during startup stops the JVM, removes the temp dir and rejects.
 *   properties: extra server.properties entries for this broker (they override the template's).
 *   saslSsl: true (or { users }) adds a SASL_SSL listener (security.mjs); the result's `saslSsl` has its
 *     brokers, caFile, passwordFile and users.
 */
export async function startBroker({
  dir,
  detached = false,
  heapOpts,
  signal,
  port: fixedPort,
  controllerPort: fixedControllerPort,
  properties = {},
  saslSsl,
} = {}) {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const { Kafka, logLevel } = await import('kafkajs');
  ensureJars();

  const ownsDir = dir === undefined;
  const runDir = ownsDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'rr-kafka-')) : path.resolve(dir);
  fs.mkdirSync(runDir, { recursive: true });
  const logFile = path.join(runDir, 'broker.log');
  const cleanupDir = () => {
    if (ownsDir) fs.rmSync(runDir, { recursive: true, force: true });
  };

  let child;
  const checkAbort = () => {
    if (signal?.aborted) throw new Error('kafka broker start aborted');
  };
  try {
    checkAbort();
    // A kept data dir remembers its ports: a restart on it comes back where its clients look for it.
    const portsFile = path.join(runDir, 'ports.json');
    const saved = !ownsDir && fs.existsSync(portsFile) ? JSON.parse(fs.readFileSync(portsFile, 'utf8')) : {};
    const port = fixedPort ?? saved.port ?? (await freePort());
    let controllerPort = fixedControllerPort ?? saved.controllerPort ?? (await freePort());
    while (controllerPort === port) controllerPort = await freePort();
    if (!ownsDir) fs.writeFileSync(portsFile, `${JSON.stringify({ port, controllerPort })}\n`);
    const vars = { RUN: runDir, PORT: port, CONTROLLER_PORT: controllerPort };
    const serverProps = renderFile('server.properties.tmpl', runDir, vars);
    // Overrides for one broker (a test that needs another group or log setting); later lines win.
    const extra = Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    if (extra) fs.appendFileSync(serverProps, `\n# overrides\n${extra}\n`);
    let security = null;
    if (saslSsl) {
      let securePort = await freePort();
      while (securePort === port || securePort === controllerPort) securePort = await freePort();
      security = prepareSaslSsl({ runDir, port: securePort, users: saslSsl === true ? undefined : saslSsl.users });
      fs.writeFileSync(serverProps, addSaslSslListener(fs.readFileSync(serverProps, 'utf8'), security));
    }
    const brokerLog4j = renderFile('log4j.properties', runDir, vars);
    const toolsLog4j = renderFile('tools-log4j.properties', runDir, vars);
    const classpath = path.join(LIBS_DIR, '*'); // literal '*': Java expands it, no shell involved

    // Cluster id: 16 random bytes, base64url without padding (the format of Kafka's Uuid.toString).
    // A data dir formatted before (kept by `up --data DIR`) is started as it is: same cluster, same log.
    const formatted = fs.existsSync(path.join(runDir, 'data', 'meta.properties'));
    const clusterId = formatted ? readClusterId(runDir) : newClusterId();
    const t0 = performance.now();
    const fmt = formatted
      ? { status: 0, stdout: '', stderr: '' }
      : spawnSync(
          javaBin(),
          [
            '-Xmx256m',
            '-XX:TieredStopAtLevel=1',
            `-Dlog4j.configuration=file:${toolsLog4j}`,
            '-cp',
            classpath,
            'kafka.tools.StorageTool',
            'format',
            '-t',
            clusterId,
            '-c',
            serverProps,
            ...(security?.formatArgs ?? []),
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
    if (fmt.error || fmt.status !== 0) {
      const out = security
        ? security.users.reduce((t, u) => t.split(u.password).join('[redacted]'), `${fmt.stdout}${fmt.stderr}`)
        : `${fmt.stdout}${fmt.stderr}`;
      throw new Error(`kafka StorageTool format failed (exit ${fmt.status ?? fmt.error?.message}):\n${out}`);
    }
    const formatMs = performance.now() - t0;
    checkAbort();

    const heap = heapOpts ?? (process.env.KAFKA_HEAP_OPTS ? process.env.KAFKA_HEAP_OPTS.split(/\s+/).filter(Boolean) : DEFAULT_HEAP);
    const out = fs.openSync(logFile, 'a');
    const t1 = performance.now();
    child = spawn(
      javaBin(),
      [...heap, ...JVM_OPTS, `-Dlog4j.configuration=file:${brokerLog4j}`, '-cp', classpath, 'kafka.Kafka', serverProps],
      { stdio: ['ignore', out, out], detached },
    );
    fs.closeSync(out);
    let exited = null;
    child.once('exit', (code, signal) => {
      exited = { code, signal };
    });
    const spawnError = new Promise((_, reject) => child.once('error', reject));
    spawnError.catch(() => {});

    const brokers = `127.0.0.1:${port}`;
    const deadline = t1 + READY_TIMEOUT_MS;
    for (;;) {
      checkAbort();
      if (exited) {
        throw new Error(
          `kafka broker exited before it was ready (code ${exited.code}, signal ${exited.signal}); ` +
            `last lines of ${logFile}:\n${tail(logFile)}`,
        );
      }
      const ok = await Promise.race([probe(Kafka, logLevel, brokers), spawnError]);
      if (ok) break;
      if (performance.now() > deadline) {
        throw new Error(
          `kafka broker not ready after ${READY_TIMEOUT_MS / 1000} s on ${brokers}; ` + `last lines of ${logFile}:\n${tail(logFile)}`,
        );
      }
      await sleep(READY_POLL_MS);
    }
    const readyMs = performance.now() - t1;
    if (detached) child.unref();

    const pid = child.pid;
    let stopping;
    return {
      brokers,
      port,
      controllerPort,
      dir: runDir,
      pid,
      logFile,
      ownsDir,
      clusterId,
      ...(security
        ? {
            saslSsl: {
              brokers: security.brokers,
              port: security.port,
              caFile: security.caFile,
              passwordFile: security.passwordFile,
              users: security.users,
            },
          }
        : {}),
      timings: { formatMs: Math.round(formatMs), readyMs: Math.round(readyMs) },
      stop: () => (stopping ??= stopPid({ pid, dir: runDir, ownsDir })),
    };
  } catch (err) {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      await stopPid({ pid: child.pid, dir: runDir, ownsDir: false }, { graceMs: 5_000 });
    }
    // Keep the log of a failed start only when the caller chose the dir; the error already carries the tail.
    cleanupDir();
    throw err;
  }
}

/** Kafka CLI tools by their bin/ script name (kafka-topics.sh → topics). */
const TOOLS = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  groups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'get-offsets': 'org.apache.kafka.tools.GetOffsetShell',
  transactions: 'org.apache.kafka.tools.TransactionsCommand',
};

/**
 * 16 random bytes, base64url (Kafka's Uuid.toString format). Like Kafka's Uuid.randomUuid, never one
 * starting with '-': StorageTool's argument parser would take `-t -abc…` for an option (1 id in 64).
 */
function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function readClusterId(runDir) {
  const meta = fs.readFileSync(path.join(runDir, 'data', 'meta.properties'), 'utf8');
  return /^cluster\.id=(.*)$/m.exec(meta)?.[1]?.trim() ?? 'unknown';
}

function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return null;
  }
}

async function main(argv) {
  const cmd = argv[0];
  switch (cmd) {
    case 'jars': {
      const r = ensureJars();
      console.log(`${r.jars} jars in ${path.relative(ROOT, r.libs)}${r.fetched ? '' : ' (already present)'}`);
      return 0;
    }
    case 'up': {
      const state = readState();
      if (state && isOurBroker(state.pid, state.dir)) {
        log(`already running (pid ${state.pid}, dir ${state.dir})`);
        console.log(state.brokers);
        return 0;
      }
      // --data DIR: a data dir kept across down/up (formatted on first use; same ports and log after).
      const at = argv.indexOf('--data');
      const dir = at >= 0 ? argv[at + 1] : undefined;
      if (at >= 0 && !dir) throw new Error('--data needs a directory');
      const b = await startBroker({ detached: true, dir, saslSsl: argv.includes('--sasl-ssl') });
      fs.mkdirSync(KAFKA_HOME, { recursive: true });
      fs.writeFileSync(
        STATE_FILE,
        `${JSON.stringify(
          {
            pid: b.pid,
            brokers: b.brokers,
            port: b.port,
            controllerPort: b.controllerPort,
            dir: b.dir,
            ownsDir: b.ownsDir,
            logFile: b.logFile,
            kafkaVersion: KAFKA_VERSION,
            ...(b.saslSsl
              ? {
                  saslSsl: {
                    brokers: b.saslSsl.brokers,
                    caFile: b.saslSsl.caFile,
                    passwordFile: b.saslSsl.passwordFile,
                    username: b.saslSsl.users[0].username,
                  },
                }
              : {}),
          },
          null,
          2,
        )}\n`,
      );
      if (b.saslSsl) {
        log(
          `SASL_SSL listener ${b.saslSsl.brokers}: export KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=${b.saslSsl.users[0].username} ` +
            `KAFKA_SASL_PASSWORD_FILE=${b.saslSsl.passwordFile} KAFKA_SSL_CA_FILE=${b.saslSsl.caFile}`,
        );
      }
      log(
        `broker pid ${b.pid} ready (format ${b.timings.formatMs} ms, start-to-ready ${b.timings.readyMs} ms); ` +
          `log ${b.logFile}; stop with: npm run kafka:down`,
      );
      console.log(b.brokers);
      return 0;
    }
    case 'down': {
      const state = readState();
      if (!state) {
        log('no broker state (.kafka/broker.json): nothing to stop');
        return 0;
      }
      await stopPid(state);
      fs.rmSync(STATE_FILE, { force: true });
      log(
        `stopped broker pid ${state.pid}, ${state.ownsDir === false ? `kept ${state.dir} (start again with: npm run kafka:up -- --data ${state.dir})` : `removed ${state.dir}`}`,
      );
      return 0;
    }
    case 'status': {
      const state = readState();
      if (!state) {
        console.log('down');
        return 1;
      }
      const up = isOurBroker(state.pid, state.dir);
      console.log(up ? `up ${state.brokers} (pid ${state.pid})` : `stale state (pid ${state.pid} not running)`);
      return up ? 0 : 1;
    }
    case 'tool': {
      // Kafka's own CLI tools from the same jars: `tool topics --list`, `tool groups --describe --all-groups`.
      // --bootstrap-server defaults to the broker started by `up`.
      const [name, ...rest] = argv.slice(1);
      const main = TOOLS[name];
      if (!main) {
        console.error(`usage: node deploy/kafka/kafka.mjs tool ${Object.keys(TOOLS).join('|')} [kafka tool options]`);
        return 2;
      }
      ensureJars();
      const state = readState();
      const args = rest.includes('--bootstrap-server') || !state ? rest : ['--bootstrap-server', state.brokers, ...rest];
      const toolsLog4j = path.join(HERE, 'tools-log4j.properties');
      const res = spawnSync(
        javaBin(),
        ['-Xmx256m', '-XX:TieredStopAtLevel=1', `-Dlog4j.configuration=file:${toolsLog4j}`, '-cp', path.join(LIBS_DIR, '*'), main, ...args],
        { stdio: 'inherit' },
      );
      return res.status ?? 1;
    }
    default:
      console.error('usage: node deploy/kafka/kafka.mjs jars|up [--data DIR] [--sasl-ssl]|down|status|tool <name> …');
      return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`[kafka] ${err instanceof Error ? err.message : err}`);
      process.exitCode = 1;
    },
  );
}
