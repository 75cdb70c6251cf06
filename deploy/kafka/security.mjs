// The optional SASL_SSL listener of the local broker (docs/kafka-local.md, "Security"): a PKCS12
// keystore made with the JDK's keytool, SCRAM-SHA-256 and -512 users seeded at format time
// (`StorageTool format --add-scram`; KRaft keeps credentials in the metadata log). Inter-broker and
// controller traffic stay on PLAINTEXT. Plain Node ESM, like kafka.mjs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const keytoolBin = () => (process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'keytool') : 'keytool');

function keytool(args) {
  const res = spawnSync(keytoolBin(), args, { encoding: 'utf8', timeout: 60_000 });
  if (res.error || res.status !== 0) {
    throw new Error(`keytool ${args[0]} failed (exit ${res.status ?? res.error?.message}): ${res.stdout}${res.stderr}`);
  }
}

/**
 * Makes the keystore and CA file in runDir and returns what kafka.mjs adds to server.properties and
 * to the format command. `users` default: one user `rr-client` with a fresh random password for both
 * SCRAM mechanisms; the password is also written to runDir/client.password (mode 600) for
 * KAFKA_SASL_PASSWORD_FILE.
 * @param {{ runDir: string, port: number, users?: { username: string, password: string }[] }} o
 */
export function prepareSaslSsl({ runDir, port, users }) {
  const storePass = randomBytes(12).toString('hex');
  const keystore = path.join(runDir, 'server.p12');
  const caFile = path.join(runDir, 'server.crt');
  keytool([
    '-genkeypair',
    '-alias',
    'kafka',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    '3650',
    '-dname',
    'CN=localhost',
    '-ext',
    'SAN=IP:127.0.0.1,DNS:localhost',
    '-storetype',
    'PKCS12',
    '-keystore',
    keystore,
    '-storepass',
    storePass,
    '-keypass',
    storePass,
  ]);
  keytool(['-exportcert', '-rfc', '-alias', 'kafka', '-keystore', keystore, '-storepass', storePass, '-file', caFile]);
  const seeded = users ?? [{ username: 'rr-client', password: randomBytes(18).toString('base64url') }];
  for (const u of seeded) {
    if (!/^[A-Za-z0-9._-]+$/.test(u.username) || /[,\]=]/.test(u.password)) {
      throw new Error('SCRAM user names are [A-Za-z0-9._-]; passwords must not contain , ] or = (StorageTool syntax)');
    }
  }
  const passwordFile = path.join(runDir, 'client.password');
  fs.writeFileSync(passwordFile, `${seeded[0].password}\n`, { mode: 0o600 });
  const props = [
    '',
    '# SASL_SSL listener (deploy/kafka/security.mjs)',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${keystore}`,
    `ssl.keystore.password=${storePass}`,
    `ssl.key.password=${storePass}`,
    'ssl.client.auth=none',
    '',
  ].join('\n');
  const formatArgs = seeded.flatMap((u) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${u.username},password=${u.password}]`]),
  );
  return { port, brokers: `127.0.0.1:${port}`, caFile, passwordFile, users: seeded, props, formatArgs };
}

/** server.properties with the SASL_SSL listener added beside PLAINTEXT and CONTROLLER. */
export function addSaslSslListener(properties, sec) {
  const add = (line, extra) => line.replace(/\s*$/, `,${extra}`);
  return (
    properties
      .split('\n')
      .map((line) => {
        if (line.startsWith('listeners=')) return add(line, `SASL_SSL://127.0.0.1:${sec.port}`);
        if (line.startsWith('advertised.listeners=')) return add(line, `SASL_SSL://127.0.0.1:${sec.port}`);
        if (line.startsWith('listener.security.protocol.map=')) return add(line, 'SASL_SSL:SASL_SSL');
        return line;
      })
      .join('\n') + sec.props
  );
}
