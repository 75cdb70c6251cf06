/**
 * Parsing Canonical Form (PCF) of an Avro schema, written from the spec's rules
 * (PRIMITIVES, FULLNAMES, STRIP, ORDER, STRINGS, INTEGERS, WHITESPACE) over the
 * parsed JSON. We do not take avsc's `schema()` output: the fingerprint in every
 * single-object record must match what Java, Rust and Python compute, so it is
 * pinned to the spec's test vectors (test/fixtures/avro/pcf-vectors.json).
 */
import { RouterError } from '../core/errors.ts';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function fail(message: string, field: string): never {
  throw new RouterError('RR_SCHEMA', `schema ${field}: ${message}`, { field });
}

/** A name with a dot is already full; otherwise it takes the namespace in scope (if any). */
function fullName(name: string, ns: string | undefined): string {
  return name.includes('.') || !ns ? name : `${ns}.${name}`;
}

function namespaceOf(full: string): string | undefined {
  const i = full.lastIndexOf('.');
  return i < 0 ? undefined : full.slice(0, i);
}

const q = (s: string): string => JSON.stringify(s);

class Canonicalizer {
  /** Named types already written: a second occurrence is written as its name, like Java does. */
  private readonly defined = new Set<string>();

  form(s: Json, ns: string | undefined, at: string): string {
    if (typeof s === 'string') return PRIMITIVES.has(s) ? q(s) : q(this.reference(s, ns));
    if (Array.isArray(s)) return `[${s.map((b, i) => this.form(b, ns, `${at}[${i}]`)).join(',')}]`;
    if (s === null || typeof s !== 'object') return fail(`expected a schema, got ${JSON.stringify(s)}`, at);
    const type = s.type;
    // {"type": {...}} / {"type": [...]}: a wrapper around another schema.
    if (typeof type !== 'string') return this.form(type ?? fail('missing "type"', at), ns, `${at}.type`);
    // PRIMITIVES: {"type":"int", "logicalType": ...} becomes "int".
    if (PRIMITIVES.has(type)) return q(type);
    switch (type) {
      case 'array':
        return `{"type":"array","items":${this.form(s.items ?? fail('array without items', at), ns, `${at}.items`)}}`;
      case 'map':
        return `{"type":"map","values":${this.form(s.values ?? fail('map without values', at), ns, `${at}.values`)}}`;
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return this.named(s, type, ns, at);
      default:
        return q(this.reference(type, ns)); // {"type": "some.Named"}
    }
  }

  private named(s: { [k: string]: Json }, type: string, ns: string | undefined, at: string): string {
    if (typeof s.name !== 'string' || s.name === '') return fail(`${type} without a name`, at);
    // An explicit "namespace" (even "") overrides the enclosing one; a dotted name overrides both.
    const own = typeof s.namespace === 'string' ? s.namespace : ns;
    const name = fullName(s.name, own || undefined);
    if (this.defined.has(name)) return q(name);
    this.defined.add(name);
    const inner = namespaceOf(name);
    const head = `{"name":${q(name)},"type":${q(type)}`;
    if (type === 'enum') {
      if (!Array.isArray(s.symbols) || !s.symbols.every((x) => typeof x === 'string')) return fail('enum symbols must be strings', at);
      return `${head},"symbols":[${s.symbols.map((x) => q(x as string)).join(',')}]}`;
    }
    if (type === 'fixed') {
      if (typeof s.size !== 'number' || !Number.isInteger(s.size) || s.size < 0) return fail('fixed size must be an integer >= 0', at);
      return `${head},"size":${String(s.size)}}`; // INTEGERS: no leading zeros, no exponent
    }
    if (!Array.isArray(s.fields)) return fail('record fields must be an array', at);
    const fields = s.fields.map((f, i) => {
      const where = `${at}.fields[${i}]`;
      if (f === null || typeof f !== 'object' || Array.isArray(f) || typeof f.name !== 'string') return fail('field without a name', where);
      // STRIP: a field keeps only name and type (no doc, default, order, aliases).
      return `{"name":${q(f.name)},"type":${this.form(f.type ?? fail('field without a type', where), inner, `${where}.type`)}}`;
    });
    return `${head},"fields":[${fields.join(',')}]}`;
  }

  /** A reference by name: prefer the name in scope, fall back to the null namespace (as Java resolves). */
  private reference(name: string, ns: string | undefined): string {
    const full = fullName(name, ns);
    if (!this.defined.has(full) && this.defined.has(name)) return name;
    return full;
  }
}

/** PCF of a parsed schema (any JSON value a schema file can hold). */
export function canonicalForm(schema: unknown): string {
  return new Canonicalizer().form(schema as Json, undefined, '$');
}

/** PCF of schema JSON text. */
export function canonicalFormOfText(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RouterError('RR_SCHEMA', `schema is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return canonicalForm(parsed);
}
