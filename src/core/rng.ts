/**
 * Seeded, counter-based randomness (Philox4x32-10, Salmon et al., SC'11).
 *
 * Why counter-based: the draw for (seed, run, pair id, arm) is a pure function
 * of those values, so it never depends on arrival order, batching, partitioning
 * or which router instance handles the pair. There is no hidden state to carry
 * between processes, and replay needs only the seed.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_32 = 4294967296;
const TWO_NEG_53 = 1 / 9007199254740992;

/** Stream tags (the fourth counter word) so different uses never share draws. */
export const Stream = {
  thompson: 0,
  tieBreak: 1,
  random: 2,
  sim: 3,
  keep: 4,
  shadow: 5,
} as const;

// High 32 bits of a 32x32-bit product, exact in float64 (all partial sums < 2^53).
function mulhi32(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const bh = b >>> 16;
  const bl = b & 0xffff;
  const m1 = ah * bl + ((al * bl) >>> 16);
  const m2 = al * bh + (m1 % 65536);
  return (ah * bh + Math.floor(m1 / 65536) + Math.floor(m2 / 65536)) >>> 0;
}

/** Philox4x32 with 10 rounds; writes the four output words into `out`. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): Uint32Array {
  let x0 = c0 >>> 0,
    x1 = c1 >>> 0,
    x2 = c2 >>> 0,
    x3 = c3 >>> 0;
  let y0 = k0 >>> 0,
    y1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi32(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ y0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ y1) >>> 0;
    x3 = lo0;
    y0 = (y0 + W0) >>> 0;
    y1 = (y1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
  return out;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 64-bit hash of a string as two 32-bit words (two seeded FNV-1a lanes, finalized). */
export function hash64(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
  }
  const h0 = fmix32(a ^ Math.imul(text.length, 0x9e3779b1));
  const h1 = fmix32(b ^ h0);
  return [h0, h1];
}

/** Two uint32 words to a double in (0, 1): 53 random bits, never exactly 0 or 1. */
function toUnit(w0: number, w1: number): number {
  const bits53 = (w0 >>> 5) * 67108864 + (w1 >>> 6);
  return (bits53 + 0.5) * TWO_NEG_53;
}

export class CounterRng {
  readonly seed: number;
  readonly run: string;
  readonly #k0: number;
  readonly #k1: number;
  readonly #out = new Uint32Array(4);

  constructor(seed: number, run = '') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    }
    this.seed = seed;
    this.run = run;
    const [r0, r1] = hash64(run);
    const lo = seed % TWO_32;
    const hi = Math.floor(seed / TWO_32);
    this.#k0 = fmix32((lo ^ r0) >>> 0);
    this.#k1 = fmix32((hi ^ r1 ^ 0x6a09e667) >>> 0);
  }

  /** Raw 128 bits for a counter; the returned buffer is reused by the next call. */
  words(c0: number, c1: number, c2: number, c3: number): Uint32Array {
    return philox4x32(c0, c1, c2, c3, this.#k0, this.#k1, this.#out);
  }

  /** Uniform in (0, 1) for a counter. */
  uniform(c0: number, c1: number, c2: number, c3: number): number {
    const w = this.words(c0, c1, c2, c3);
    return toUnit(w[0]!, w[1]!);
  }

  /** Standard normal for a counter (Box–Muller on the counter's 128 bits). */
  normal(c0: number, c1: number, c2: number, c3: number): number {
    const w = this.words(c0, c1, c2, c3);
    const u1 = toUnit(w[0]!, w[1]!);
    const u2 = toUnit(w[2]!, w[3]!);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** The Thompson draw ε for (pair, arm): the same wherever and whenever it is computed. */
  pairNormal(pairId: string, arm: number, stream: number = Stream.thompson): number {
    const [h0, h1] = hash64(pairId);
    return this.normal(h0, h1, arm, stream);
  }

  /** Uniform for (pair, slot), e.g. tie-breaking or the random baseline. */
  pairUniform(pairId: string, slot: number, stream: number): number {
    const [h0, h1] = hash64(pairId);
    return this.uniform(h0, h1, slot, stream);
  }

  /** A sequential cursor over a named stream, for simulation: deterministic, restartable. */
  sequence(name: string): RngSequence {
    return new RngSequence(this, name);
  }
}

/** Sequential draws over one named counter stream; `index` is the position. */
export class RngSequence {
  readonly #rng: CounterRng;
  readonly #h0: number;
  readonly #h1: number;
  index = 0;

  constructor(rng: CounterRng, name: string) {
    this.#rng = rng;
    [this.#h0, this.#h1] = hash64(name);
  }

  #next(): Uint32Array {
    const i = this.index++;
    return this.#rng.words(this.#h0, this.#h1, i % TWO_32, (Math.floor(i / TWO_32) ^ 0x5eed) >>> 0);
  }

  uniform(): number {
    const w = this.#next();
    return toUnit(w[0]!, w[1]!);
  }

  normal(): number {
    const w = this.#next();
    const u1 = toUnit(w[0]!, w[1]!);
    const u2 = toUnit(w[2]!, w[3]!);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }

  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Index drawn from unnormalized non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}
