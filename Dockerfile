# syntax=docker/dockerfile:1.7
# The enterprise service as a container. Build: docker build -t enterprise-service .
# test/deploy/dockerfile.e2e-spec.ts lints this file and replays the `deps` stage and the runtime stage's start
# command outside Docker, so a start command that does not work fails CI.
ARG NODE_IMAGE=node:24-bookworm-slim

# 1. Build: all dependencies, compile the packages (libs/*/dist) and the service (dist/).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs ./libs
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY nest-cli.json tsconfig.base.json tsconfig.build.json ./
COPY apps ./apps
RUN npm run build

# 2. Production dependencies only, from the same lock file; the service's own packages are npm workspaces
#    (node_modules/@nestjs-reliability/* link to libs/*), so the built libs come along.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/libs ./libs
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts

# 3. Runtime: compiled code + production dependencies, no npm in the process tree, not root.
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node and reaps zombies (node as PID 1 ignores default signal actions).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    NODE_COMPILE_CACHE=/app/compile-cache
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/libs ./libs
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir "$NODE_COMPILE_CACHE" && chown 1000:1000 "$NODE_COMPILE_CACHE"
# 1000 is `node` in the official image; numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# V8's compiled code for the bundle, made here as the user the service runs as (Node keys the cache by uid): a
# container's first start, every scale-out's, is then as fast as a restart. It is only read at run time, so a
# read-only root filesystem keeps it; another uid finds no entry and compiles, as without it.
RUN ["node", "dist/apps/enterprise-service/main.js", "--fill-compile-cache"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/liveness').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# node directly, never `npm start`: npm does not forward SIGTERM, so graceful shutdown would never run.
CMD ["node", "dist/apps/enterprise-service/main.js"]
