# The app image of helm/reward-router: every app is `reward-router run <app> ...` (the chart passes the
# arguments). NOT BUILT OR RUN HERE: the development and CI machine has no container engine, so this
# file is untested; the chart is checked offline (scripts/helm-check.sh) without an image.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Runtime dependencies only; onnxruntime-node's CUDA download is skipped by .npmrc.
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production KAFKAJS_NO_PARTITIONER_WARNING=1
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY streams ./streams
COPY schemas ./schemas
COPY data ./data
# tsx keeps a transform cache under the temp dir: the chart mounts an emptyDir at /tmp
# (readOnlyRootFilesystem).
USER 10001:10001
EXPOSE 9464
ENTRYPOINT ["node", "bin/reward-router.mjs"]
