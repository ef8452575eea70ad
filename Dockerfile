# syntax=docker/dockerfile:1
# Shardstore: one image for every role (gateway, storage node, migrate, the CLI).
#   docker build -t shardstore .
#   docker run --rm shardstore --help

FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 and @ronomon/reed-solomon build native code when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
# `npm ci` builds dist/ (prepare); then the dev dependencies go.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/deploy ./deploy
RUN ln -s /app/bin/shardstore.js /usr/local/bin/shardstore && mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080 9000
# The gateway's health; storage node services override it in docker-compose.yml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.SHARDSTORE_PORT || 8080) + '/_health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["shardstore"]
CMD ["gateway"]
