/**
 * Kafka security from env or flags, for every command that talks to a broker: SASL/SCRAM-SHA-256,
 * SCRAM-SHA-512 (or PLAIN) and TLS. This is the one place that turns them into kafkajs settings.
 *
 * The password is read from KAFKA_SASL_PASSWORD or a file (KAFKA_SASL_PASSWORD_FILE /
 * --kafka-sasl-password-file), never from a flag: flags show in `ps` and shell history. It is held
 * in a `Secret`, so logs, errors and `--help` never show it.
 */
import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { RouterError } from '../core/errors.ts';
import { Secret } from './secret.ts';

export const saslMechanisms = ['scram-sha-256', 'scram-sha-512', 'plain'] as const;
export type SaslMechanism = (typeof saslMechanisms)[number];

export interface KafkaSecurity {
  /** TLS to the broker; `ca` etc. are PEM texts (read from the files named in env/flags). */
  ssl?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; servername?: string };
  sasl?: { mechanism: SaslMechanism; username: string; password: Secret };
}

/** What a user may set; flags (camelCase) win over env (KAFKA_*). */
export interface SecurityInputs {
  kafkaSsl?: boolean;
  kafkaSslCaFile?: string;
  kafkaSslCertFile?: string;
  kafkaSslKeyFile?: string;
  kafkaSslInsecure?: boolean;
  kafkaSaslMechanism?: string;
  kafkaSaslUsername?: string;
  kafkaSaslPasswordFile?: string;
}

const truthy = (v: string | undefined): boolean | undefined => (v === undefined || v === '' ? undefined : /^(1|true|yes|on)$/i.test(v));

function readPem(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new RouterError('RR_INVALID_CONFIG', `cannot read ${field} file ${path}: ${(err as Error).message}`, { field });
  }
}

/** Resolves the security settings; RR_INVALID_CONFIG names the setting that is wrong (never its value if secret). */
export function resolveKafkaSecurity(flags: SecurityInputs = {}, env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const caFile = flags.kafkaSslCaFile ?? env.KAFKA_SSL_CA_FILE;
  const certFile = flags.kafkaSslCertFile ?? env.KAFKA_SSL_CERT_FILE;
  const keyFile = flags.kafkaSslKeyFile ?? env.KAFKA_SSL_KEY_FILE;
  const insecure = flags.kafkaSslInsecure ?? truthy(env.KAFKA_SSL_INSECURE) ?? false;
  const sslOn = flags.kafkaSsl ?? truthy(env.KAFKA_SSL) ?? (caFile !== undefined || certFile !== undefined || insecure);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new RouterError('RR_INVALID_CONFIG', 'a TLS client certificate needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE', {
      field: 'kafka-ssl-cert-file',
    });
  }
  const out: KafkaSecurity = {};
  if (sslOn) {
    out.ssl = {
      rejectUnauthorized: !insecure,
      ...(caFile !== undefined ? { ca: readPem(caFile, 'kafka-ssl-ca-file') } : {}),
      ...(certFile !== undefined ? { cert: readPem(certFile, 'kafka-ssl-cert-file'), key: readPem(keyFile!, 'kafka-ssl-key-file') } : {}),
    };
  }
  const mechanismRaw = flags.kafkaSaslMechanism ?? env.KAFKA_SASL_MECHANISM;
  if (mechanismRaw !== undefined && mechanismRaw !== '') {
    const mechanism = mechanismRaw.toLowerCase();
    if (!(saslMechanisms as readonly string[]).includes(mechanism)) {
      throw new RouterError(
        'RR_INVALID_CONFIG',
        `unknown SASL mechanism ${JSON.stringify(mechanismRaw)} (known: ${saslMechanisms.join(', ')})`,
        { field: 'kafka-sasl-mechanism' },
      );
    }
    const username = flags.kafkaSaslUsername ?? env.KAFKA_SASL_USERNAME;
    if (username === undefined || username === '') {
      throw new RouterError('RR_INVALID_CONFIG', 'SASL needs a user name: KAFKA_SASL_USERNAME or --kafka-sasl-username', {
        field: 'kafka-sasl-username',
      });
    }
    const passwordFile = flags.kafkaSaslPasswordFile ?? env.KAFKA_SASL_PASSWORD_FILE;
    let password: string | undefined;
    if (passwordFile !== undefined && passwordFile !== '')
      password = readPem(passwordFile, 'kafka-sasl-password-file').replace(/\r?\n$/, '');
    else password = env.KAFKA_SASL_PASSWORD;
    if (password === undefined || password === '') {
      throw new RouterError(
        'RR_INVALID_CONFIG',
        'SASL needs a password: KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE (--kafka-sasl-password-file)',
        { field: 'kafka-sasl-password' },
      );
    }
    out.sasl = { mechanism: mechanism as SaslMechanism, username, password: new Secret(password) };
  }
  return out;
}

/** The kafkajs client settings for the resolved security (empty: PLAINTEXT). */
export function kafkaSecurityConfig(sec: KafkaSecurity): Partial<KafkaConfig> {
  const out: Partial<KafkaConfig> = {};
  if (sec.ssl) out.ssl = { ...sec.ssl };
  if (sec.sasl) {
    out.sasl = { mechanism: sec.sasl.mechanism, username: sec.sasl.username, password: sec.sasl.password.reveal() } as SASLOptions;
  }
  return out;
}

/** A one-line description for logs: mechanism, user, TLS on/off; never the password. */
export function describeSecurity(sec: KafkaSecurity): string {
  const tls = sec.ssl ? `TLS${sec.ssl.rejectUnauthorized ? '' : ' (certificate not verified)'}` : 'no TLS';
  return sec.sasl ? `SASL ${sec.sasl.mechanism.toUpperCase()} as ${sec.sasl.username}, ${tls}` : `no SASL, ${tls}`;
}
