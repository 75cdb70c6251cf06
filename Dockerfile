# The app image of helm/reward-router: every app is `reward-router run <app> ...` (the chart passes the
# arguments). NOT BUILT OR RUN HERE: the development and CI machine has no container engine, so this
# file is untested; the chart is checked offline (scripts/helm-check.sh) without an image.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Runtime dependencies only; onnxruntime-node's CUDA download is skipped by .npmrc.
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

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production KAFKAJS_NO_PARTITIONER_WARNING=1
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
# bin/reward-router.mjs runs dist/ when it exists (no TypeScript loader at start). Shipped files
# (schemas/, data/) are found from the package root (src/paths.ts), as from the sources.
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY data ./data
USER 10001:10001
EXPOSE 9464
ENTRYPOINT ["node", "bin/reward-router.mjs"]
