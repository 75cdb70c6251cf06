/**
 * Confluent wire format (byte 0 = 0x00, bytes 1–4 = schema id big-endian, then
 * the Avro body) through @kafkajs/confluent-schema-registry. The library
 * registers schemas, caches ids and writer schemas and frames encoded values;
 * decoding resolves the writer into our reader schema with the catalog's
 * cached resolvers and maps every failure to a typed error with a reason.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro, { type Type } from 'avsc';
import { RouterError } from '../core/errors.ts';
import { topicSpecs, type TopicBase, type TopicRecords } from '../records/topics.ts';
import type { RecordCodec } from './recordCodec.ts';
import { codecError } from './errors.ts';
import type { SchemaCatalog } from './registry.ts';
import { decodeBody, invalidPaths } from './singleObject.ts';

export const CONFLUENT_MAGIC = 0x00;
export const CONFLUENT_HEADER = 5;

export interface ConfluentCodecOptions {
  /** Registry base URL, e.g. `http://127.0.0.1:8081`. */
  host: string;
  /** Topic prefix; the subject of a base is `<prefix><base>-value` (per-RM request topics share `requests`). */
  prefix: string;
  catalog: SchemaCatalog;
  /** Retries of failed registry calls (the library's default is 3 with backoff). */
  retries?: number;
}

const statusOf = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : undefined;

/** mappersmith reports a failed connection as HTTP 400 with the socket error as the message. */
const NETWORK = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)\b|socket hang up|timeout/i;

function registryError(err: unknown, what: string): RouterError {
  const status = statusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const network = NETWORK.test(message);
  return new RouterError('RR_REGISTRY', `schema registry ${what} failed${status && !network ? ` (HTTP ${status})` : ''}: ${message}`, {
    cause: err,
    // Unreachable or 5xx: worth retrying; any other 4xx is a request the registry will refuse again.
    retriable: network || status === undefined || status >= 500,
    status,
  });
}

export class ConfluentCodec implements RecordCodec {
  readonly format = 'confluent';
  readonly registry: SchemaRegistry;
  private readonly ids = new Map<string, Promise<number>>();

  constructor(private readonly opts: ConfluentCodecOptions) {
    this.registry = new SchemaRegistry({ host: opts.host, retry: { retries: opts.retries ?? 3 } });
  }

  subject(base: TopicBase): string {
    return `${this.opts.prefix}${base}-value`;
  }

  /** The registry id of the current schema of `base` (registered once per codec; BACKWARD compatibility). */
  schemaId(base: TopicBase): Promise<number> {
    const subject = this.subject(base);
    let id = this.ids.get(subject);
    if (!id) {
      const entry = this.opts.catalog.schema(topicSpecs[base].record);
      id = this.registry
        .register({ type: SchemaType.AVRO, schema: JSON.stringify(entry.json) }, { subject })
        .then((r) => r.id)
        .catch((err: unknown) => {
          this.ids.delete(subject); // do not cache a failure
          throw registryError(err, `register ${subject}`);
        });
      this.ids.set(subject, id);
    }
    return id;
  }

  async encode<B extends TopicBase>(base: B, value: TopicRecords[B]): Promise<Buffer> {
    const id = await this.schemaId(base);
    const entry = this.opts.catalog.schema(topicSpecs[base].record);
    const paths = invalidPaths(entry.type, value);
    if (paths.length > 0)
      throw new RouterError('RR_ENCODE', `value does not match ${entry.name}: ${paths.join('; ')}`, { field: paths[0] });
    try {
      return await this.registry.encode(id, value);
    } catch (err) {
      throw registryError(err, `encode with id ${id}`);
    }
  }

  async decode<B extends TopicBase>(base: B, buf: Buffer): Promise<TopicRecords[B]> {
    const reader = this.opts.catalog.schema(topicSpecs[base].record);
    if (buf.length < CONFLUENT_HEADER || buf[0] !== CONFLUENT_MAGIC) {
      throw codecError(
        'RR_DECODE',
        'UNDECODABLE',
        `not Confluent wire format (${buf.length} bytes, magic ${buf[0] ?? 'none'}; expected 0x00 + 4-byte schema id)`,
      );
    }
    const id = buf.readUInt32BE(1);
    let writer: unknown;
    try {
      writer = await this.registry.getSchema(id);
    } catch (err) {
      if (statusOf(err) === 404)
        throw codecError('RR_UNKNOWN_SCHEMA', 'UNKNOWN_SCHEMA', `schema id ${id} is not in the registry (reading ${reader.name})`, {
          cause: err,
          schemaId: id,
        });
      throw registryError(err, `get schema ${id}`);
    }
    if (!avro.Type.isType(writer))
      throw codecError('RR_UNKNOWN_SCHEMA', 'UNKNOWN_SCHEMA', `schema id ${id} is not an Avro schema`, { schemaId: id });
    // Registry ids live in the negative half of the resolver cache's key space; fingerprints are unsigned.
    const key = -BigInt(id) - 1n;
    return decodeBody(
      this.opts.catalog,
      reader,
      { type: writer as Type, key, label: `registry id ${id}` },
      buf.subarray(CONFLUENT_HEADER),
    ) as TopicRecords[B];
  }
}
