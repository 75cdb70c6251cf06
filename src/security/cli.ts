/**
 * The Kafka security flags of every command: registered once on the root program (commander
 * recognises them before and after the subcommand), resolved with the env before each action.
 * Commands then build their kafkajs settings with `kafkaClientSecurity()`.
 */
import type { Command } from 'commander';
import type { KafkaConfig } from 'kafkajs';
import { kafkaSecurityConfig, resolveKafkaSecurity, saslMechanisms, type KafkaSecurity, type SecurityInputs } from './kafkaSecurity.ts';

let current: KafkaSecurity = {};

export function addKafkaSecurityOptions(program: Command): void {
  program
    .option('--kafka-ssl', 'TLS to the broker (env KAFKA_SSL=true)')
    .option('--kafka-ssl-ca-file <path>', 'PEM file of the CA that signed the broker certificate (env KAFKA_SSL_CA_FILE)')
    .option('--kafka-ssl-cert-file <path>', 'PEM client certificate for mutual TLS (env KAFKA_SSL_CERT_FILE)')
    .option('--kafka-ssl-key-file <path>', 'PEM client key for mutual TLS (env KAFKA_SSL_KEY_FILE)')
    .option('--kafka-ssl-insecure', 'TLS without verifying the broker certificate, for tests only (env KAFKA_SSL_INSECURE)')
    .option('--kafka-sasl-mechanism <name>', `SASL mechanism: ${saslMechanisms.join(' | ')} (env KAFKA_SASL_MECHANISM)`)
    .option('--kafka-sasl-username <name>', 'SASL user (env KAFKA_SASL_USERNAME)')
    .option('--kafka-sasl-password-file <path>', 'file holding the SASL password (env KAFKA_SASL_PASSWORD_FILE, or the password itself in KAFKA_SASL_PASSWORD; there is no password flag)');
  program.hook('preAction', (_root, action) => {
    current = resolveKafkaSecurity(action.optsWithGlobals<SecurityInputs>());
  });
}

/** The resolved security of this command (empty: PLAINTEXT). */
export function kafkaClientSecurity(): KafkaSecurity {
  return current;
}

/** kafkajs settings (ssl, sasl) of this command. */
export function kafkaClientConfig(): Partial<KafkaConfig> {
  return kafkaSecurityConfig(current);
}
