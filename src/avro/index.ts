/** The Avro adapter: schemas, fingerprints, wire formats. */
export { canonicalForm, canonicalFormOfText } from './canonical.ts';
export { createCodec, SingleObjectCodec, type CodecOptions, type RecordCodec } from './codec.ts';
export { ConfluentCodec, CONFLUENT_HEADER, CONFLUENT_MAGIC, type ConfluentCodecOptions } from './confluent.ts';
export { codecError, reasonOf } from './errors.ts';
export { bytesToF64, f64ToBytes } from './f64.ts';
export { EMPTY, fingerprintHex, rabin, rabinLE, rabinOfText, rabinSigned } from './rabin.ts';
export { defaultSchemaDir, SchemaCatalog, type SchemaEntry, type SchemaSource } from './registry.ts';
export { decodeSingleObject, encodeSingleObject, MARKER, readFingerprint, SINGLE_OBJECT_HEADER } from './singleObject.ts';
