;; quadforms.wat: WebAssembly SIMD kernel for `quadFormsBatch` (src/core/linalg.ts).
;;
;; Build: `node scripts/build-kernels.mjs` assembles this file with wabt and writes the
;; bytes, base64, to src/core/kernels/quadforms.wasm.ts (test/unit/kernels.test.ts checks
;; that the two have not drifted apart).
;;
;; What it computes, for each context x (a row of X): y = L⁻¹ x with L = Uᵀ packed
;; lower-triangular (row i at element offset i(i+1)/2), then q = ‖y‖². Exactly the
;; JS kernel's operations, per context, in the JS kernel's order:
;;   rows are taken in pairs (i, i+1), i even; j runs from s = min(start[i], start[i+1])
;;   a ← x_i,  b ← x_{i+1}
;;   for j = s .. i−1:  a ← a − L[i][j]·y_j ;  b ← b − L[i+1][j]·y_j
;;   a ← a · inv[i] ;  b ← b − L[i+1][i]·a ;  b ← b · inv[i+1]
;;   (odd d: the last row alone, from start[d−1])
;;   q ← 0 ; for k = 0 .. d−1: q ← q + y_k·y_k
;; Each f64x2 lane is one context and every lane op (f64x2.mul, f64x2.sub, f64x2.add) is
;; a plain IEEE-754 binary64 operation with round-to-nearest, so each lane gets the same
;; bits as the scalar JS code. No fused multiply-add (no relaxed-simd): WebAssembly
;; forbids contracting mul+sub, so the result is deterministic on every engine and CPU
;; (the spec leaves only NaN payloads open, which never turn a number into another).
;;
;; Block: 8 contexts (4 vectors) × 2 rows = 8 vector accumulators, the JS kernel's
;; 4 × 2 block twice as wide. Contexts are independent, so the block width changes
;; nothing per context.
;;
;; Memory (byte offsets, all laid out by the caller, 16-byte aligned):
;;   $L      packed L, d(d+1)/2 f64
;;   $start  first nonzero column of each row of L, d i32
;;   $inv    1 / U[i][i], d f64
;;   $X      the contexts, N × d f64 row-major
;;   $Y      workspace, 8·d f64: Y[i·8 + c] = y_i of context c of the block
;;   $out    ceil(N/8)·8 f64 (the tail of the last block is padding)
(module
  (memory (export "memory") 1)

  (func (export "quadForms")
    (param $d i32) (param $N i32) (param $L i32) (param $start i32) (param $inv i32)
    (param $X i32) (param $Y i32) (param $out i32)
    (local $n0 i32) (local $B i32) (local $c i32) (local $i i32)
    (local $p i32) (local $q i32) (local $end i32)
    (local $r0 i32) (local $s0 i32) (local $s1 i32)
    (local $pL0 i32) (local $pL1 i32) (local $pY i32) (local $pYi i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $l v128) (local $m v128) (local $v v128)

    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_s (local.get $n0) (local.get $N)))
        ;; B = min(8, N − n0)
        (local.set $B (i32.sub (local.get $N) (local.get $n0)))
        (if (i32.gt_s (local.get $B) (i32.const 8)) (then (local.set $B (i32.const 8))))

        ;; ---- gather: Y[i·8 + c] = X[(n0 + c)·d + i] for c < B, 0 for the padding lanes
        (local.set $c (i32.const 0))
        (loop $cols
          ;; $p walks X's row (8 bytes), $q walks Y's column (64 bytes)
          (local.set $q (i32.add (local.get $Y) (i32.shl (local.get $c) (i32.const 3))))
          (local.set $end (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 6))))
          (if (i32.lt_s (local.get $c) (local.get $B))
            (then
              (local.set $p (i32.add (local.get $X)
                (i32.shl (i32.mul (i32.add (local.get $n0) (local.get $c)) (local.get $d)) (i32.const 3))))
              (loop $rows
                (f64.store (local.get $q) (f64.load (local.get $p)))
                (local.set $p (i32.add (local.get $p) (i32.const 8)))
                (local.set $q (i32.add (local.get $q) (i32.const 64)))
                (br_if $rows (i32.lt_u (local.get $q) (local.get $end)))))
            (else
              (loop $zeros
                (f64.store (local.get $q) (f64.const 0))
                (local.set $q (i32.add (local.get $q) (i32.const 64)))
                (br_if $zeros (i32.lt_u (local.get $q) (local.get $end))))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $cols (i32.lt_u (local.get $c) (i32.const 8))))

        ;; ---- forward solve, rows in pairs
        (local.set $i (i32.const 0))
        (block $pairs_done
          (loop $pairs
            (br_if $pairs_done (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $d)))
            ;; r0 = i(i+1)/2 (element offset of row i), row i+1 starts i+1 elements later
            (local.set $r0 (i32.shr_u (i32.mul (local.get $i) (i32.add (local.get $i) (i32.const 1))) (i32.const 1)))
            (local.set $pYi (i32.add (local.get $Y) (i32.shl (local.get $i) (i32.const 6))))
            (local.set $a0 (v128.load (local.get $pYi)))
            (local.set $a1 (v128.load offset=16 (local.get $pYi)))
            (local.set $a2 (v128.load offset=32 (local.get $pYi)))
            (local.set $a3 (v128.load offset=48 (local.get $pYi)))
            (local.set $b0 (v128.load offset=64 (local.get $pYi)))
            (local.set $b1 (v128.load offset=80 (local.get $pYi)))
            (local.set $b2 (v128.load offset=96 (local.get $pYi)))
            (local.set $b3 (v128.load offset=112 (local.get $pYi)))
            ;; j from min(start[i], start[i+1])
            (local.set $s0 (i32.load (i32.add (local.get $start) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $s1 (i32.load offset=4 (i32.add (local.get $start) (i32.shl (local.get $i) (i32.const 2)))))
            (if (i32.lt_s (local.get $s1) (local.get $s0)) (then (local.set $s0 (local.get $s1))))
            (local.set $pL0 (i32.add (local.get $L) (i32.shl (i32.add (local.get $r0) (local.get $s0)) (i32.const 3))))
            (local.set $pL1 (i32.add (local.get $pL0) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 3))))
            (local.set $pY (i32.add (local.get $Y) (i32.shl (local.get $s0) (i32.const 6))))
            (block $dot_done
              (br_if $dot_done (i32.ge_u (local.get $pY) (local.get $pYi)))
              (loop $dot
                (local.set $l (v128.load64_splat (local.get $pL0)))
                (local.set $m (v128.load64_splat (local.get $pL1)))
                (local.set $v (v128.load (local.get $pY)))
                (local.set $a0 (f64x2.sub (local.get $a0) (f64x2.mul (local.get $l) (local.get $v))))
                (local.set $b0 (f64x2.sub (local.get $b0) (f64x2.mul (local.get $m) (local.get $v))))
                (local.set $v (v128.load offset=16 (local.get $pY)))
                (local.set $a1 (f64x2.sub (local.get $a1) (f64x2.mul (local.get $l) (local.get $v))))
                (local.set $b1 (f64x2.sub (local.get $b1) (f64x2.mul (local.get $m) (local.get $v))))
                (local.set $v (v128.load offset=32 (local.get $pY)))
                (local.set $a2 (f64x2.sub (local.get $a2) (f64x2.mul (local.get $l) (local.get $v))))
                (local.set $b2 (f64x2.sub (local.get $b2) (f64x2.mul (local.get $m) (local.get $v))))
                (local.set $v (v128.load offset=48 (local.get $pY)))
                (local.set $a3 (f64x2.sub (local.get $a3) (f64x2.mul (local.get $l) (local.get $v))))
                (local.set $b3 (f64x2.sub (local.get $b3) (f64x2.mul (local.get $m) (local.get $v))))
                (local.set $pL0 (i32.add (local.get $pL0) (i32.const 8)))
                (local.set $pL1 (i32.add (local.get $pL1) (i32.const 8)))
                (local.set $pY (i32.add (local.get $pY) (i32.const 64)))
                (br_if $dot (i32.lt_u (local.get $pY) (local.get $pYi)))))
            ;; a ← a·inv[i];  b ← (b − L[i+1][i]·a)·inv[i+1]   ($pL1 now points at L[i+1][i])
            (local.set $l (v128.load64_splat (i32.add (local.get $inv) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $a0 (f64x2.mul (local.get $a0) (local.get $l)))
            (local.set $a1 (f64x2.mul (local.get $a1) (local.get $l)))
            (local.set $a2 (f64x2.mul (local.get $a2) (local.get $l)))
            (local.set $a3 (f64x2.mul (local.get $a3) (local.get $l)))
            (local.set $m (v128.load64_splat
              (i32.add (local.get $L) (i32.shl (i32.add (i32.add (local.get $r0) (local.get $i)) (i32.add (local.get $i) (i32.const 1))) (i32.const 3)))))
            (local.set $b0 (f64x2.sub (local.get $b0) (f64x2.mul (local.get $m) (local.get $a0))))
            (local.set $b1 (f64x2.sub (local.get $b1) (f64x2.mul (local.get $m) (local.get $a1))))
            (local.set $b2 (f64x2.sub (local.get $b2) (f64x2.mul (local.get $m) (local.get $a2))))
            (local.set $b3 (f64x2.sub (local.get $b3) (f64x2.mul (local.get $m) (local.get $a3))))
            (local.set $l (v128.load64_splat offset=8 (i32.add (local.get $inv) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $b0 (f64x2.mul (local.get $b0) (local.get $l)))
            (local.set $b1 (f64x2.mul (local.get $b1) (local.get $l)))
            (local.set $b2 (f64x2.mul (local.get $b2) (local.get $l)))
            (local.set $b3 (f64x2.mul (local.get $b3) (local.get $l)))
            (v128.store (local.get $pYi) (local.get $a0))
            (v128.store offset=16 (local.get $pYi) (local.get $a1))
            (v128.store offset=32 (local.get $pYi) (local.get $a2))
            (v128.store offset=48 (local.get $pYi) (local.get $a3))
            (v128.store offset=64 (local.get $pYi) (local.get $b0))
            (v128.store offset=80 (local.get $pYi) (local.get $b1))
            (v128.store offset=96 (local.get $pYi) (local.get $b2))
            (v128.store offset=112 (local.get $pYi) (local.get $b3))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $pairs)))

        ;; ---- last row when d is odd ($i = d − 1)
        (if (i32.lt_s (local.get $i) (local.get $d))
          (then
            (local.set $r0 (i32.shr_u (i32.mul (local.get $i) (i32.add (local.get $i) (i32.const 1))) (i32.const 1)))
            (local.set $pYi (i32.add (local.get $Y) (i32.shl (local.get $i) (i32.const 6))))
            (local.set $a0 (v128.load (local.get $pYi)))
            (local.set $a1 (v128.load offset=16 (local.get $pYi)))
            (local.set $a2 (v128.load offset=32 (local.get $pYi)))
            (local.set $a3 (v128.load offset=48 (local.get $pYi)))
            (local.set $s0 (i32.load (i32.add (local.get $start) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $pL0 (i32.add (local.get $L) (i32.shl (i32.add (local.get $r0) (local.get $s0)) (i32.const 3))))
            (local.set $pY (i32.add (local.get $Y) (i32.shl (local.get $s0) (i32.const 6))))
            (block $dot1_done
              (br_if $dot1_done (i32.ge_u (local.get $pY) (local.get $pYi)))
              (loop $dot1
                (local.set $l (v128.load64_splat (local.get $pL0)))
                (local.set $a0 (f64x2.sub (local.get $a0) (f64x2.mul (local.get $l) (v128.load (local.get $pY)))))
                (local.set $a1 (f64x2.sub (local.get $a1) (f64x2.mul (local.get $l) (v128.load offset=16 (local.get $pY)))))
                (local.set $a2 (f64x2.sub (local.get $a2) (f64x2.mul (local.get $l) (v128.load offset=32 (local.get $pY)))))
                (local.set $a3 (f64x2.sub (local.get $a3) (f64x2.mul (local.get $l) (v128.load offset=48 (local.get $pY)))))
                (local.set $pL0 (i32.add (local.get $pL0) (i32.const 8)))
                (local.set $pY (i32.add (local.get $pY) (i32.const 64)))
                (br_if $dot1 (i32.lt_u (local.get $pY) (local.get $pYi)))))
            (local.set $l (v128.load64_splat (i32.add (local.get $inv) (i32.shl (local.get $i) (i32.const 3)))))
            (v128.store (local.get $pYi) (f64x2.mul (local.get $a0) (local.get $l)))
            (v128.store offset=16 (local.get $pYi) (f64x2.mul (local.get $a1) (local.get $l)))
            (v128.store offset=32 (local.get $pYi) (f64x2.mul (local.get $a2) (local.get $l)))
            (v128.store offset=48 (local.get $pYi) (f64x2.mul (local.get $a3) (local.get $l)))))

        ;; ---- q = ((0 + y_0²) + y_1²) + … per lane, written for all 8 lanes
        (local.set $a0 (v128.const f64x2 0 0))
        (local.set $a1 (v128.const f64x2 0 0))
        (local.set $a2 (v128.const f64x2 0 0))
        (local.set $a3 (v128.const f64x2 0 0))
        (local.set $pY (local.get $Y))
        (local.set $end (i32.add (local.get $Y) (i32.shl (local.get $d) (i32.const 6))))
        (loop $sq
          (local.set $v (v128.load (local.get $pY)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=16 (local.get $pY)))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=32 (local.get $pY)))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=48 (local.get $pY)))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (local.get $v))))
          (local.set $pY (i32.add (local.get $pY) (i32.const 64)))
          (br_if $sq (i32.lt_u (local.get $pY) (local.get $end))))
        (local.set $p (i32.add (local.get $out) (i32.shl (local.get $n0) (i32.const 3))))
        (v128.store (local.get $p) (local.get $a0))
        (v128.store offset=16 (local.get $p) (local.get $a1))
        (v128.store offset=32 (local.get $p) (local.get $a2))
        (v128.store offset=48 (local.get $p) (local.get $a3))

        (local.set $n0 (i32.add (local.get $n0) (i32.const 8)))
        (br $blocks))))
)
