/**
 * Loader and driver of the WebAssembly SIMD kernel for `quadFormsBatch` (quadforms.wat).
 *
 * Why it may replace the JS kernel: it runs, per context, the same IEEE-754 binary64
 * multiplies, subtractions, reciprocal multiplies and additions in the same order (see
 * quadforms.wat), two contexts per f64x2 vector, with no fused multiply-add. WebAssembly
 * fixes float semantics (round-to-nearest, no contraction, deterministic on every engine
 * and CPU except for NaN payloads), so the bits equal the JS kernel's, which stays the
 * fallback and the reference (test/unit/kernels.test.ts checks equality bit for bit).
 *
 * Pure: the module bytes are embedded (quadforms.wasm.ts, generated), compiled
 * synchronously once, on first use; no I/O.
 */
import { QUADFORMS_WASM_BASE64 } from './quadforms.wasm.ts';
import { packLowerSkyline } from './skyline.ts';

/** The little of the WebAssembly JS API used here (the project's TS lib has no DOM/wasm types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
interface Kernel {
  memory: WasmMemory;
  quadForms: (d: number, N: number, L: number, start: number, inv: number, X: number, Y: number, out: number) => void;
}

export type QuadFormsKernelMode = 'auto' | 'js';

/** Contexts per kernel block (4 f64x2 vectors); X is copied in chunks of a multiple of it. */
const BLOCK = 8;
/** Bytes of contexts copied into wasm memory per kernel call (the work is O(d²) per context, the copy O(d)). */
const X_CHUNK_BYTES = 4 << 20;
/** Above this much linear memory the JS kernel is used instead (wasm32 caps at 4 GiB; keep well clear). */
const MAX_BYTES = 1 << 30;
const PAGE = 65536;

let mode: QuadFormsKernelMode = 'auto';
/** undefined: not tried yet; null: WebAssembly (SIMD) unavailable here. */
let kernel: Kernel | null | undefined;

/** 'js' forces the JS kernel (benchmarks, tests); 'auto' uses wasm SIMD where available. */
export function setQuadFormsKernel(m: QuadFormsKernelMode): void {
  mode = m;
}

/** Which kernel `quadFormsBatch` uses now. */
export function quadFormsKernel(): 'wasm-simd' | 'js' {
  return mode === 'auto' && load() !== null ? 'wasm-simd' : 'js';
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (WA === undefined || typeof atob !== 'function') return kernel;
  try {
    // Throws (CompileError) where the engine has no SIMD: then the JS kernel it is.
    const inst = new WA.Instance(new WA.Module(decodeBase64(QUADFORMS_WASM_BASE64)), {});
    const { memory, quadForms } = inst.exports;
    if (typeof quadForms === 'function' && memory !== undefined)
      kernel = { memory: memory as WasmMemory, quadForms: quadForms as Kernel['quadForms'] };
  } catch {
    kernel = null;
  }
  return kernel;
}

const align16 = (n: number): number => (n + 15) & ~15;

/** Grows the kernel's memory to at least `bytes`; false if it cannot. */
function ensureMemory(k: Kernel, bytes: number): boolean {
  const have = k.memory.buffer.byteLength;
  if (bytes <= have) return true;
  try {
    return k.memory.grow(Math.ceil((bytes - have) / PAGE)) >= 0;
  } catch {
    return false;
  }
}

/**
 * out[n] = ‖U⁻ᵀ xₙ‖² with the wasm kernel, bit-identical to the JS kernel. Returns false
 * (having written nothing) where the kernel is unavailable, forced off, or the inputs do
 * not fit its memory; the caller then runs the JS kernel.
 */
export function quadFormsWasm(U: Float64Array, X: Float64Array, N: number, d: number, out: Float64Array): boolean {
  if (mode !== 'auto' || !(d >= 1) || !(N >= 1)) return false;
  const k = load();
  if (k === null) return false;
  const perBlock = BLOCK * d * 8;
  const chunkBlocks = Math.max(1, Math.min(Math.ceil(N / BLOCK), Math.floor(X_CHUNK_BYTES / perBlock)));
  const chunk = chunkBlocks * BLOCK;
  // Layout: packed L | start (i32) | 1/U[i][i] | Y workspace | out | X chunk
  const oL = 0;
  const oStart = oL + align16(((d * (d + 1)) / 2) * 8);
  const oInv = oStart + align16(d * 4);
  const oY = oInv + align16(d * 8);
  const oOut = oY + BLOCK * d * 8;
  const oX = oOut + chunk * 8;
  const total = oX + chunk * d * 8;
  if (total > MAX_BYTES || !ensureMemory(k, total)) return false;

  const buf = k.memory.buffer;
  const Lp = new Float64Array(buf, oL, (d * (d + 1)) / 2);
  const start = new Int32Array(buf, oStart, d);
  const inv = new Float64Array(buf, oInv, d);
  // The same packing and skyline as the JS kernel (from U alone).
  packLowerSkyline(U, d, Lp, start);
  for (let i = 0; i < d; i++) inv[i] = 1 / U[i * d + i]!;
  const xs = new Float64Array(buf, oX, chunk * d);
  const os = new Float64Array(buf, oOut, chunk);
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const n = Math.min(chunk, N - n0);
    xs.set(X.subarray(n0 * d, (n0 + n) * d));
    k.quadForms(d, n, oL, oStart, oInv, oX, oY, oOut);
    out.set(os.subarray(0, n), n0);
  }
  return true;
}
