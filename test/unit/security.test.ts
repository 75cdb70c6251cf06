import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { isRouterError } from '../../src/core/errors.ts';
import { describeSecurity, kafkaSecurityConfig, resolveKafkaSecurity } from '../../src/security/kafkaSecurity.ts';
import { explainKafkaError } from '../../src/security/errors.ts';
import { Secret, scrub } from '../../src/security/secret.ts';

describe('Kafka security settings', () => {
  it('nothing set: PLAINTEXT, no ssl and no sasl in the kafkajs config', () => {
    assert.deepEqual(kafkaSecurityConfig(resolveKafkaSecurity({}, {})), {});
  });

  it('env SCRAM-SHA-256 + CA file: kafkajs ssl.ca and sasl; the password only through reveal()', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-sec-unit-'));
    writeFileSync(join(dir, 'ca.pem'), 'PEM');
    const sec = resolveKafkaSecurity(
      {},
      {
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'hunter2',
        KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
      },
    );
    assert.deepEqual(kafkaSecurityConfig(sec), {
      ssl: { rejectUnauthorized: true, ca: 'PEM' },
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'hunter2' },
    });
    for (const shown of [
      JSON.stringify(sec),
      inspect(sec, { depth: 5 }),
      String(sec.sasl!.password),
      `${sec.sasl!.password}`,
      describeSecurity(sec),
    ]) {
      assert.ok(!shown.includes('hunter2'), shown);
    }
  });

  it('flags win over env; the password file drops its trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-sec-unit-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const sec = resolveKafkaSecurity(
      { kafkaSaslMechanism: 'scram-sha-512', kafkaSaslUsername: 'flag-user', kafkaSaslPasswordFile: join(dir, 'pw') },
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'env-user', KAFKA_SASL_PASSWORD: 'other' },
    );
    assert.equal(sec.sasl?.mechanism, 'scram-sha-512');
    assert.equal(sec.sasl?.username, 'flag-user');
    assert.equal(sec.sasl?.password.reveal(), 's3cret');
  });

  it('bad settings are RR_INVALID_CONFIG naming the setting, never a value', () => {
    const cases: [Record<string, string>, string][] = [
      [{ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw-x' }, 'kafka-sasl-mechanism'],
      [{ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: 'pw-x' }, 'kafka-sasl-username'],
      [{ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' }, 'kafka-sasl-password'],
      [{ KAFKA_SSL_CERT_FILE: '/x.pem' }, 'kafka-ssl-cert-file'],
      [{ KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, 'kafka-ssl-ca-file'],
    ];
    for (const [env, field] of cases) {
      assert.throws(
        () => resolveKafkaSecurity({}, env),
        (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && e.field === field && !e.message.includes('pw-x'),
      );
    }
  });

  it('a kafkajs SASL failure becomes RR_BROKER (kafka-sasl) with the password scrubbed', () => {
    const sec = resolveKafkaSecurity({}, { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'leaky' });
    const kerr = Object.assign(new Error('SASL SCRAM SHA512 authentication failed, echo leaky'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    const out = explainKafkaError(kerr, sec);
    assert.ok(isRouterError(out, 'RR_BROKER'));
    assert.equal(out.field, 'kafka-sasl');
    assert.ok(!out.message.includes('leaky'));
    assert.equal(scrub('a leaky b', [new Secret('leaky')]), 'a [redacted] b');
  });
});
