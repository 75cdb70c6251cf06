#!/usr/bin/env python3
"""Reference Thompson-sampling step in NumPy/SciPy float64, as the authors write it.

For every arm k with cached factor U_k (U_kᵀ U_k = Λ_k, upper triangular) and mean μ_k,
for a batch of N contexts X (N×d):

    Z  = rng.standard_normal((d, N))                  # one d-dim normal per pair
    W  = scipy.linalg.solve_triangular(U_k, Z)        # U_k⁻¹ Z: columns ~ N(0, Λ_k⁻¹)
    s_k = X @ μ_k + Σ_i X[n, i] · W[i, n]             # <μ_k + w̃_n, x_n>

then argmax over arms per pair. Also NumPy's fastest form of the same decision (`--form fast`
rows "fast_*"): per arm ONE triangular solve for the whole batch, Y = U_k⁻ᵀ Xᵀ, so that
xᵀΛ_k⁻¹x = ‖column of Y‖², and one normal per pair: s_k = X μ_k + sqrt(q)·z (the scalar form,
as this project's router computes it). Timed with time.perf_counter (normals included),
median of repeats, default BLAS threads and (if threadpoolctl is importable) one
thread. Prints one JSON object on stdout.

Usage: reference_numpy.py --configs 64x4,576x8 [--n 480] [--updates 200] [--seed 1]
"""
import argparse
import json
import os
import platform
import sys
import time


def build(np, d, K, updates, rng):
    """K posteriors: Λ = 50·I + Σ x xᵀ over `updates` unit contexts; U = chol(Λ)ᵀ, μ = Λ⁻¹ b."""
    Us, mus = [], []
    for _ in range(K):
        e = rng.standard_normal(d)
        e /= np.linalg.norm(e)
        xs = rng.standard_normal((updates, d))
        xs /= np.linalg.norm(xs, axis=1, keepdims=True)
        r = rng.uniform(size=updates)
        lam = 50.0 * np.eye(d) + xs.T @ xs
        b = 50.0 * e + xs.T @ r
        U = np.linalg.cholesky(lam).T.copy()
        Us.append(U)
        mus.append(np.linalg.solve(lam, b))
    return Us, mus


def step(np, sl, Us, mus, X, rng):
    K = len(Us)
    N, d = X.shape
    S = np.empty((K, N))
    for k in range(K):
        Z = rng.standard_normal((d, N))
        W = sl.solve_triangular(Us[k], Z, lower=False)
        S[k] = X @ mus[k] + np.einsum("ni,in->n", X, W)
    return S.argmax(axis=0)


def step_fast(np, sl, Us, mus, X, rng):
    K = len(Us)
    N, d = X.shape
    XT = np.ascontiguousarray(X.T)
    S = np.empty((K, N))
    for k in range(K):
        Y = sl.solve_triangular(Us[k], XT, trans="T", lower=False)  # U^T Y = X^T
        q = np.einsum("in,in->n", Y, Y)
        S[k] = X @ mus[k] + np.sqrt(q) * rng.standard_normal(N)
    return S.argmax(axis=0)


def timeit(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", required=True, help="comma-separated dxK, e.g. 64x4,576x8")
    ap.add_argument("--n", type=int, default=480)
    ap.add_argument("--updates", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import numpy as np
    import scipy
    import scipy.linalg as sl

    try:
        import threadpoolctl
    except ImportError:  # optional
        threadpoolctl = None

    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }
    if threadpoolctl is not None:
        info["threadpool"] = [
            {k: lib.get(k) for k in ("internal_api", "prefix", "version", "architecture", "num_threads", "threading_layer")}
            for lib in threadpoolctl.threadpool_info()
        ]
    else:
        # no threadpoolctl: fall back to numpy's own build description
        try:
            cfg = np.show_config(mode="dicts")
            info["show_config"] = cfg.get("Build Dependencies", cfg)
        except TypeError:
            info["show_config"] = "numpy.show_config() has no dict mode in this version"

    rng = np.random.default_rng(args.seed)
    results = []
    for spec in args.configs.split(","):
        d, K = (int(v) for v in spec.split("x"))
        Us, mus = build(np, d, K, args.updates, rng)
        X = rng.standard_normal((args.n, d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        repeats = 7 if d <= 256 else 5
        fn = lambda: step(np, sl, Us, mus, X, rng)  # noqa: E731
        row = {"d": d, "K": K, "n": args.n, "repeats": repeats}
        ts = timeit(fn, 2, repeats)
        row["default_threads"] = {"median_s": ts[len(ts) // 2], "min_s": ts[0], "decisions_per_s": args.n / ts[len(ts) // 2]}
        if threadpoolctl is not None:
            with threadpoolctl.threadpool_limits(limits=1):
                ts1 = timeit(fn, 1, repeats)
            row["one_thread"] = {"median_s": ts1[len(ts1) // 2], "min_s": ts1[0], "decisions_per_s": args.n / ts1[len(ts1) // 2]}
        fast = lambda: step_fast(np, sl, Us, mus, X, rng)  # noqa: E731
        tf = timeit(fast, 2, repeats)
        row["fast_default_threads"] = {"median_s": tf[len(tf) // 2], "min_s": tf[0], "decisions_per_s": args.n / tf[len(tf) // 2]}
        if threadpoolctl is not None:
            with threadpoolctl.threadpool_limits(limits=1):
                tf1 = timeit(fast, 1, repeats)
            row["fast_one_thread"] = {"median_s": tf1[len(tf1) // 2], "min_s": tf1[0], "decisions_per_s": args.n / tf1[len(tf1) // 2]}
        results.append(row)
        print(f"numpy d={d} K={K} done", file=sys.stderr)

    json.dump({"info": info, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
