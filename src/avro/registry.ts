/**
 * The schema catalog: every `schemas/<Record>.avsc` (the current writer and
 * reader schema) and every `schemas/evolution/<Record>.<version>.avsc` (older
 * writers still readable), parsed by avsc and keyed by the CRC-64-AVRO
 * fingerprint of their Parsing Canonical Form, which is what single-object
 * records carry.
 */
import fs from 'node:fs';
import path from 'node:path';
import avro, { type Resolver, type Type } from 'avsc';
import { RouterError } from '../core/errors.ts';
import { packagePath } from '../paths.ts';
import { recordNames, type RecordName } from '../records/types.ts';
import { canonicalForm } from './canonical.ts';
import { fingerprintHex, fingerprintToLE, rabinOfText } from './rabin.ts';

export interface SchemaEntry {
  name: RecordName;
  /** `current`, or the evolution tag of an older version (`v0`). */
  version: string;
  /** The schema as written in its file. */
  json: unknown;
  type: Type;
  canonical: string;
  fingerprint: bigint;
  /** The fingerprint as the 8 bytes a single-object record carries. */
  fingerprintLE: Buffer;
}

export interface SchemaSource {
  name: RecordName;
  version: string;
  json: unknown;
}

/** The package's `schemas/` folder, wherever the process runs from (source or dist/). */
export const defaultSchemaDir = packagePath('schemas');

function entryOf(src: SchemaSource): SchemaEntry {
  let type: Type;
  try {
    // wrapUnions 'auto': our only unions are ["null", T], which read as `T | null`.
    type = avro.Type.forSchema(src.json as avro.Schema, { wrapUnions: 'auto' });
  } catch (err) {
    throw new RouterError('RR_SCHEMA', `${src.name} ${src.version}: ${(err as Error).message}`, { cause: err, field: src.name });
  }
  const short = type.name?.split('.').pop();
  if (short !== src.name)
    throw new RouterError('RR_SCHEMA', `${src.name} ${src.version}: the schema is named ${type.name}`, { field: src.name });
  const canonical = canonicalForm(src.json);
  const fingerprint = rabinOfText(canonical);
  return { ...src, type, canonical, fingerprint, fingerprintLE: fingerprintToLE(fingerprint) };
}

export class SchemaCatalog {
  private readonly current = new Map<RecordName, SchemaEntry>();
  private readonly byFp = new Map<bigint, SchemaEntry>();
  private readonly resolvers = new WeakMap<Type, Map<bigint, Resolver>>();

  constructor(sources: readonly SchemaSource[]) {
    for (const src of sources) {
      const e = entryOf(src);
      const same = this.byFp.get(e.fingerprint);
      // A doc-only change keeps the fingerprint: the same writer, so one entry (the current one wins).
      if (same && same.name !== e.name)
        throw new RouterError('RR_SCHEMA', `${e.name} and ${same.name} share fingerprint ${fingerprintHex(e.fingerprint)}`);
      if (!same || e.version === 'current') this.byFp.set(e.fingerprint, e);
      if (e.version === 'current') {
        if (this.current.has(e.name)) throw new RouterError('RR_SCHEMA', `two current schemas for ${e.name}`, { field: e.name });
        this.current.set(e.name, e);
      }
    }
    for (const name of recordNames) {
      if (!this.current.has(name)) throw new RouterError('RR_SCHEMA', `no current schema for ${name}`, { field: name });
    }
  }

  /** Reads `<dir>/<Record>.avsc` and `<dir>/evolution/<Record>.<version>.avsc`. */
  static load(dir: string = defaultSchemaDir): SchemaCatalog {
    const sources: SchemaSource[] = [];
    const read = (file: string, version: string): void => {
      const name = path.basename(file).split('.')[0] as RecordName;
      if (!recordNames.includes(name))
        throw new RouterError('RR_SCHEMA', `${file}: not a known record (${recordNames.join(', ')})`, { source: file });
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new RouterError('RR_SCHEMA', `${file}: ${(err as Error).message}`, { cause: err, source: file });
      }
      sources.push({ name, version, json });
    };
    for (const f of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.avsc'))
      .sort())
      read(path.join(dir, f), 'current');
    const evo = path.join(dir, 'evolution');
    if (fs.existsSync(evo)) {
      for (const f of fs
        .readdirSync(evo)
        .filter((f) => f.endsWith('.avsc'))
        .sort())
        read(path.join(evo, f), f.split('.').slice(1, -1).join('.'));
    }
    return new SchemaCatalog(sources);
  }

  /** The current (reader and writer) schema of a record. */
  schema(name: RecordName): SchemaEntry {
    return this.current.get(name)!;
  }

  /** A writer schema by fingerprint, current or older. */
  byFingerprint(fp: bigint): SchemaEntry | undefined {
    return this.byFp.get(fp);
  }

  entries(): SchemaEntry[] {
    return [...this.byFp.values()];
  }

  /**
   * avsc resolver from a writer schema into a reader type, cached per pair;
   * throws avsc's error when the writer cannot be read as the reader.
   */
  resolver(reader: Type, writer: Type, writerKey: bigint): Resolver {
    let perReader = this.resolvers.get(reader);
    if (!perReader) this.resolvers.set(reader, (perReader = new Map()));
    let r = perReader.get(writerKey);
    if (!r) perReader.set(writerKey, (r = reader.createResolver(writer)));
    return r;
  }
}
