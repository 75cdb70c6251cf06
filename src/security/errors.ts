/**
 * Turns kafkajs connection and authentication failures into one-line RR_BROKER errors that say
 * what to check. Messages are scrubbed of the password (kafkajs does not put it there, but a
 * broker's error text is not ours to trust).
 */
import kafkajs from 'kafkajs';
import type { KafkaConfig } from 'kafkajs';
import { RouterError, isRouterError } from '../core/errors.ts';
import { describeSecurity, kafkaSecurityConfig, type KafkaSecurity } from './kafkaSecurity.ts';
import { scrub } from './secret.ts';

const { Kafka, logLevel } = kafkajs;

function errorChain(err: unknown): Error[] {
  const out: Error[] = [];
  let e: unknown = err;
  while (e instanceof Error && out.length < 8) {
    out.push(e);
    e = (e as { originalError?: unknown }).originalError ?? e.cause;
  }
  return out;
}

/** The RouterError for a kafkajs failure, or the error unchanged when it is not one of those. */
export function explainKafkaError(err: unknown, sec: KafkaSecurity): unknown {
  if (isRouterError(err)) return err;
  const chain = errorChain(err);
  const secrets = sec.sasl ? [sec.sasl.password] : [];
  const text = scrub(chain.map((e) => e.message).join(': '), secrets);
  const how = describeSecurity(sec);
  if (chain.some((e) => e.name === 'KafkaJSSASLAuthenticationError')) {
    return new RouterError(
      'RR_BROKER',
      `Kafka SASL authentication failed (${how}): ${text}. Check the user name and password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD / KAFKA_SASL_PASSWORD_FILE) and the mechanism.`,
      { field: 'kafka-sasl' },
    );
  }
  if (chain.some((e) => /certificate|self.signed|SSL|TLS|EPROTO|wrong version number/i.test(e.message))) {
    return new RouterError(
      'RR_BROKER',
      `Kafka TLS handshake failed (${how}): ${text}. Check KAFKA_SSL_CA_FILE and that the broker port is a TLS listener.`,
      { field: 'kafka-ssl' },
    );
  }
  if (chain.some((e) => e.name.startsWith('KafkaJS'))) {
    return new RouterError('RR_BROKER', `Kafka unreachable or refused the client (${how}): ${text}`, { retriable: true });
  }
  return err;
}

/**
 * Connects once and asks for the cluster, so a wrong password or CA fails in seconds with a clear
 * RR_BROKER error before an app starts its consumers (whose own retries would otherwise hide it).
 */
export async function verifyKafkaAccess(
  brokers: string[],
  sec: KafkaSecurity,
  opts: { timeoutMs?: number; clientId?: string } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const config: KafkaConfig = {
    ...kafkaSecurityConfig(sec),
    brokers,
    clientId: opts.clientId ?? 'reward-router-preflight',
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 5_000),
    authenticationTimeout: Math.min(timeoutMs, 5_000),
    requestTimeout: timeoutMs,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
  };
  const admin = new Kafka(config).admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 } });
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw explainKafkaError(err, sec);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
