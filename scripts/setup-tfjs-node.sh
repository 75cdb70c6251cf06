#!/usr/bin/env bash
# Opt-in: builds @tensorflow/tfjs-node (or, with --gpu, @tensorflow/tfjs-node-gpu) against the
# libtensorflow that TensorFlow's own wheel on PyPI ships, because the packages' install scripts
# download libtensorflow from Google's storage, which is not reachable here. Never part of `npm ci`
# or CI. It lives in node_modules, so run it again after every `npm ci`.
#
#   npm run setup:tfjs-node            # CPU: tensorflow-cpu 2.16.2 wheel (≈ 214 MB once, cached), build ≈ 140 s measured on the loaded 2-core machine
#   npm run setup:tfjs-node -- --gpu   # GPU: tensorflow[and-cuda] 2.16.2 (≈ 590 MB wheel + the nvidia-*-cu12 wheels)
#
# Needs: python3 -m pip, g++, make, Node's headers (/usr/include/node, else NODE_DIR=...). Without
# network: RR_WHEELHOUSE=<dir with the wheels> (pip --no-index --find-links).
# Cache: $RR_CACHE (default ~/.cache/reward-router)/tfjs-node. After the GPU build, the CUDA
# libraries are on the path printed at the end (export it as LD_LIBRARY_PATH before running).
set -euo pipefail
GPU=0
[[ "${1:-}" == "--gpu" ]] && GPU=1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${RR_CACHE:-$HOME/.cache/reward-router}/tfjs-node"
TF_VERSION=2.16.2
TFJS_VERSION=4.22.0
NODE_DIR="${NODE_DIR:-/usr}"
mkdir -p "$CACHE"
cd "$ROOT"

if [[ $GPU == 1 ]]; then PKG=tfjs-node-gpu; else PKG=tfjs-node; fi
echo "[setup:tfjs-node] @tensorflow/$PKG@$TFJS_VERSION without its install script (no download from Google's storage)"
npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/$PKG@$TFJS_VERSION" >/dev/null
DIR="$ROOT/node_modules/@tensorflow/$PKG"

if [[ $GPU == 1 ]]; then
  # The CUDA build of TensorFlow and the nvidia-*-cu12 wheels its and-cuda extra pins, in one target dir.
  TARGET="$CACHE/tf-gpu-$TF_VERSION"
  if [[ ! -f "$TARGET/tensorflow/libtensorflow_cc.so.2" ]]; then
    python3 -m pip install --quiet --target "$TARGET" ${RR_WHEELHOUSE:+--no-index --find-links "$RR_WHEELHOUSE"} "tensorflow[and-cuda]==$TF_VERSION"
  fi
  TFDIR="$TARGET/tensorflow"
else
  WHEEL_DIR="$CACHE/wheels"
  mkdir -p "$WHEEL_DIR"
  WHEEL="$(ls "$WHEEL_DIR"/tensorflow_cpu-$TF_VERSION-*.whl 2>/dev/null | head -1 || true)"
  if [[ -z "$WHEEL" ]]; then
    echo "[setup:tfjs-node] pip download tensorflow-cpu==$TF_VERSION (≈ 214 MB, once)"
    python3 -m pip download --quiet --no-deps --only-binary=:all: ${RR_WHEELHOUSE:+--no-index --find-links "$RR_WHEELHOUSE"} --dest "$WHEEL_DIR" "tensorflow-cpu==$TF_VERSION"
    WHEEL="$(ls "$WHEEL_DIR"/tensorflow_cpu-$TF_VERSION-*.whl | head -1)"
  fi
  TFDIR="$CACHE/tf-cpu-$TF_VERSION/tensorflow"
  if [[ ! -f "$TFDIR/libtensorflow_cc.so.2" ]]; then
    rm -rf "$CACHE/tf-cpu-$TF_VERSION"
    unzip -q "$WHEEL" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
      'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tsl/c/*' 'tensorflow/include/tsl/platform/*' \
      'tensorflow/include/tensorflow/core/platform/*' -d "$CACHE/tf-cpu-$TF_VERSION"
  fi
fi

echo "[setup:tfjs-node] libtensorflow from $TFDIR → $DIR/deps"
rm -rf "$DIR/deps"
mkdir -p "$DIR/deps/lib" "$DIR/deps/include/tensorflow/core" "$DIR/deps/include/tsl"
cp "$TFDIR/libtensorflow_cc.so.2" "$TFDIR/libtensorflow_framework.so.2" "$DIR/deps/lib/"
cp -r "$TFDIR/include/tensorflow/c" "$DIR/deps/include/tensorflow/"
cp -r "$TFDIR/include/tensorflow/core/platform" "$DIR/deps/include/tensorflow/core/"
cp -r "$TFDIR/include/tsl/c" "$TFDIR/include/tsl/platform" "$DIR/deps/include/tsl/"
# libtensorflow_cc.so.2 exports the C API; the binding links -ltensorflow and looks for the 2.9.1 names.
ln -sf libtensorflow_cc.so.2 "$DIR/deps/lib/libtensorflow.so"
ln -sf libtensorflow_cc.so.2 "$DIR/deps/lib/libtensorflow.so.2"
ln -sf libtensorflow_cc.so.2 "$DIR/deps/lib/libtensorflow.so.2.9.1"
ln -sf libtensorflow_framework.so.2 "$DIR/deps/lib/libtensorflow_framework.so"

echo "[setup:tfjs-node] node-pre-gyp rebuild (2–3 min on 2 cores)"
(cd "$DIR" && npx --yes node-pre-gyp rebuild --nodedir="$NODE_DIR" >"$CACHE/build-$PKG.log" 2>&1) || { tail -30 "$CACHE/build-$PKG.log"; exit 1; }

if [[ $GPU == 1 ]]; then
  LIBS="$(find "$CACHE/tf-gpu-$TF_VERSION/nvidia" -maxdepth 2 -name lib -type d | tr '\n' ':')"
  echo "[setup:tfjs-node] CUDA libraries: export LD_LIBRARY_PATH=$LIBS\${LD_LIBRARY_PATH:-}"
  export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:-}"
fi
node -e "const tf = require('@tensorflow/$PKG'); tf.ready().then(() => console.log('[setup:tfjs-node] @tensorflow/$PKG loads: backend', tf.getBackend(), 'TensorFlow', tf.version['tfjs-node'] ?? '', JSON.stringify(tf.engine().backend.binding ? tf.engine().backend.binding.TF_Version : '')))"
echo "done"
