#!/usr/bin/env bash
# The GPU check, prepared (NOT YET RUN ON A GPU): on a machine with an NVIDIA GPU and its driver,
#   1. builds @tensorflow/tfjs-node-gpu against TensorFlow 2.16.2's CUDA wheel and the nvidia-*-cu12
#      wheels (scripts/setup-tfjs-node.sh --gpu; needs PyPI, or RR_WHEELHOUSE=<dir of those wheels>
#      for a machine without network),
#   2. scores with the demo tfjs reward model (data/tfjs-rm) through the scorer's micro-batching
#      operator on the ladder's pick (tfjs-node-gpu, which reports whether TensorFlow placed ops on
#      the GPU), beside wasm and the plain cpu backend (bench/scorer.bench.ts, one child per backend),
#   3. prints the GPU (nvidia-smi) and the figures.
#
#   bash scripts/gpu-check.sh [--batches 30 --repeats 5]
#
# Expect little from the GPU on this model: it is 4 k parameters, so a forward pass is all launch
# overhead; the check proves the path (build, load, place on GPU, score), not a speed-up.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
command -v nvidia-smi >/dev/null || { echo "gpu-check: no nvidia-smi: not an NVIDIA GPU machine" >&2; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if ! node -e "require('@tensorflow/tfjs-node-gpu')" 2>/dev/null; then
  bash scripts/setup-tfjs-node.sh --gpu
fi
CACHE="${RR_CACHE:-$HOME/.cache/reward-router}/tfjs-node"
LIBS="$(find "$CACHE"/tf-gpu-*/nvidia -maxdepth 2 -name lib -type d 2>/dev/null | tr '\n' ':')"
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:-}"
# A CPU-only tfjs-node next to the GPU build would be loaded second by the ladder; the GPU one is first.
node --import tsx bench/scorer.bench.ts --backends auto,wasm,cpu --skip-http "$@"
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv
