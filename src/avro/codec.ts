/**
 * One interface for both wire formats, addressed by topic base: the stream apps
 * call `codec.encode('scores', score)` and never see which format is in use.
 * `createCodec` picks Confluent wire format when a registry URL is configured,
 * single-object encoding otherwise (the default: no extra service).
 */
import { topicSpecs, type TopicBase, type TopicRecords } from '../records/topics.ts';
import { ConfluentCodec } from './confluent.ts';
import type { RecordCodec } from './recordCodec.ts';
import { SchemaCatalog } from './registry.ts';
import { decodeSingleObject, encodeSingleObject } from './singleObject.ts';

export type { RecordCodec } from './recordCodec.ts';

export class SingleObjectCodec implements RecordCodec {
  readonly format = 'single-object';
  readonly catalog: SchemaCatalog;

  constructor(catalog: SchemaCatalog = SchemaCatalog.load()) {
    this.catalog = catalog;
  }

  /** Synchronous forms, for hot paths that need no registry round trip. */
  encodeSync<B extends TopicBase>(base: B, value: TopicRecords[B]): Buffer {
    return encodeSingleObject(this.catalog.schema(topicSpecs[base].record), value);
  }

  decodeSync<B extends TopicBase>(base: B, buf: Buffer): TopicRecords[B] {
    return decodeSingleObject(this.catalog, this.catalog.schema(topicSpecs[base].record), buf) as TopicRecords[B];
  }

  async encode<B extends TopicBase>(base: B, value: TopicRecords[B]): Promise<Buffer> {
    return this.encodeSync(base, value);
  }

  async decode<B extends TopicBase>(base: B, buf: Buffer): Promise<TopicRecords[B]> {
    return this.decodeSync(base, buf);
  }
}

export interface CodecOptions {
  /** Confluent schema registry URL; unset = single-object encoding. */
  registryUrl?: string | undefined;
  /** Topic prefix (Confluent subjects are `<full topic>-value`). */
  prefix?: string;
  catalog?: SchemaCatalog;
}

export function createCodec(opts: CodecOptions = {}): RecordCodec {
  const catalog = opts.catalog ?? SchemaCatalog.load();
  if (opts.registryUrl) return new ConfluentCodec({ host: opts.registryUrl, prefix: opts.prefix ?? '', catalog });
  return new SingleObjectCodec(catalog);
}
