/**
 * The Kafka security flags (SASL/TLS) of the commands that talk to Kafka (`start`, `run`,
 * `topics create`, `replay`, `trace`): each of them calls `addKafkaSecurityOptions`, which adds
 * the flags and resolves them with the env (KAFKA_SASL_* / KAFKA_SSL_*) before the action. The
 * other commands neither show nor read them. Commands then build their kafkajs settings with
 * `kafkaClientConfig()`.
 */
import type { Command } from 'commander';
import type { KafkaConfig } from 'kafkajs';
import { kafkaSecurityConfig, resolveKafkaSecurity, saslMechanisms, type KafkaSecurity, type SecurityInputs } from './kafkaSecurity.ts';

let current: KafkaSecurity = {};

/** The flags, for help texts that point to them. */
export const kafkaSecurityFlags = [
  '--kafka-ssl',
  '--kafka-ssl-ca-file',
  '--kafka-ssl-cert-file',
  '--kafka-ssl-key-file',
  '--kafka-ssl-insecure',
  '--kafka-sasl-mechanism',
  '--kafka-sasl-username',
  '--kafka-sasl-password-file',
] as const;

export function addKafkaSecurityOptions(cmd: Command): Command {
  cmd
    .option('--kafka-ssl', 'TLS to the broker (env KAFKA_SSL=true)')
    .option('--kafka-ssl-ca-file <path>', 'PEM file of the CA that signed the broker certificate (env KAFKA_SSL_CA_FILE)')
    .option('--kafka-ssl-cert-file <path>', 'PEM client certificate for mutual TLS (env KAFKA_SSL_CERT_FILE)')
    .option('--kafka-ssl-key-file <path>', 'PEM client key for mutual TLS (env KAFKA_SSL_KEY_FILE)')
    .option('--kafka-ssl-insecure', 'TLS without verifying the broker certificate, for tests only (env KAFKA_SSL_INSECURE)')
    .option('--kafka-sasl-mechanism <name>', `SASL mechanism: ${saslMechanisms.join(' | ')} (env KAFKA_SASL_MECHANISM)`)
    .option('--kafka-sasl-username <name>', 'SASL user (env KAFKA_SASL_USERNAME)')
    .option(
      '--kafka-sasl-password-file <path>',
      'file holding the SASL password (env KAFKA_SASL_PASSWORD_FILE, or the password itself in KAFKA_SASL_PASSWORD; there is no password flag)',
    );
  cmd.hook('preAction', (_cmd, action) => {
    current = resolveKafkaSecurity(action.optsWithGlobals<SecurityInputs>());
  });
  return cmd;
}

/** The resolved security of this command (empty: PLAINTEXT, and for commands without Kafka). */
export function kafkaClientSecurity(): KafkaSecurity {
  return current;
}

/** kafkajs settings (ssl, sasl) of this command. */
export function kafkaClientConfig(): Partial<KafkaConfig> {
  return kafkaSecurityConfig(current);
}
