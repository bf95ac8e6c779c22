# gpuops as a team service: `docker compose up` (see docker-compose.yml), or
#   docker build -t gpuops . && docker run -p 3000:3000 -e DATABASE_URL=... -e REDIS_URL=... gpuops
# The default command runs the bot and the workers (`serve --role all`); override it with
# `node bin/gpuops.js serve --role bot` or `node bin/gpuops.js worker` to scale them apart.

# Build: every dependency, then the TypeScript compiled to dist/ and the CLI bundled (dist/cli).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` would build before the sources are here; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY src src
COPY db db
RUN npm run build

# Runtime: production dependencies, the compiled code and the bin; no TypeScript, no tsx.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` builds with dev dependencies, which are left out here; dist/ comes from
# the build stage. Native add-ons are optional (ssh2 and msgpackr fall back or ship prebuilt ones).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY bin/gpuops.js bin/
# The data directory (SSH key, simulator state) belongs to the unprivileged user that runs gpuops;
# mount a volume there to keep gpuops's SSH key across restarts.
RUN mkdir .gpuops && chown node:node .gpuops
USER node
ENV GPUOPS_DATA_DIR=/app/.gpuops \
    GPUOPS_HTTP_HOST=0.0.0.0 \
    PORT=3000 \
    GPUOPS_LOG_FILE=-
EXPOSE 3000
# Slim images have no curl: Node's own fetch asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:${PORT:-3000}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "bin/gpuops.js", "serve"]
