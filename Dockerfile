# syntax=docker/dockerfile:1
# One image for every role: the command picks it (`start`, the default, runs api + worker +
# connector in one process; `api`, `worker`, `connector` run one role each; `migrate up`,
# `seed-demo`, `retention sweep …` are one-off commands). See README.md, "Production".
# test/docker-image.test.ts replays these steps in a clean folder (there is no Docker engine in CI):
# keep RUN steps to the commands it knows (npm ci, npm ci --omit=dev, npm run, npm cache clean,
# mkdir -p, chown) or teach it the new one.

# --- build: every dependency, then the editor (Vite) into editor/dist ---
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
# The editor imports the flow schema and the API's types from the server's folders.
COPY editor ./editor
COPY engine ./engine
COPY api ./api
COPY connectors ./connectors
COPY platform ./platform
RUN npm run build:editor

# --- runtime: production dependencies only (tsx is one: the server runs its TypeScript as is) ---
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    ONEMESSAGE_DATA_DIR=/var/lib/onemessage
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY api ./api
COPY engine ./engine
COPY platform ./platform
COPY connectors ./connectors
COPY migrations ./migrations
COPY examples ./examples
COPY --from=build /app/editor/dist ./editor/dist
# The data folder (WhatsApp media) is the one place the process writes: a volume in docker-compose.yml.
RUN mkdir -p /var/lib/onemessage && chown node:node /var/lib/onemessage
# The official Node image's unprivileged user (uid 1000); the code stays root-owned, read-only to it.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/onemessage.js"]
CMD ["start"]
