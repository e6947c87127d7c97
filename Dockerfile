# syntax=docker/dockerfile:1
# Parlor image. The server runs its TypeScript directly with tsx (a production dependency), so the
# server "build" is `prisma generate` (run by the root postinstall); the web UI is built by vite into
# web/dist, which the server serves at /.
#   docker build -t parlor:dev .             # or, for minikube: minikube image build -t parlor:dev .
#   docker run --rm -p 3000:3000 -e DATABASE_URL=... -e REDIS_URL=... -e JWT_SECRET=... parlor:dev

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, build the web UI, then drop dev dependencies -------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
# package.json's `allowScripts` (bcrypt's install script runs, the others are denied; Prisma's
# engine download is not needed with the wasm engine) is honoured by npm 11, the version we use.
RUN npm install --global --no-audit --no-fund npm@11.19.1
# Dependencies first, so this layer is reused while only the sources change. The postinstall's
# `prisma generate` loads prisma.config.ts and the adapter module it imports.
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY server/src/db/pg-compat.ts ./server/src/db/pg-compat.ts
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web
# Prisma's CLI and tsx are production dependencies on purpose: the image runs migrations and the server.
RUN npm prune --omit=dev --no-audit --no-fund && rm -rf node_modules/.cache

# ---- runtime: only what the server needs, owned by root and read-only for the app user ---------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 PORT=3000
WORKDIR /app
COPY --from=build /app/package.json /app/tsconfig.json /app/prisma.config.ts ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/server/src ./server/src
COPY --from=build /app/web/dist ./web/dist
# The image's `node` user, by number so Kubernetes can verify runAsNonRoot (runAsUser: 1000).
USER 1000:1000
EXPOSE 3000
# node is PID 1 (exec form, no shell or npm in between): it receives SIGTERM itself, drains
# (SHUTDOWN_TIMEOUT_MS) and exits 0. tsx caches compiled files under /tmp (an emptyDir in Kubernetes).
# Migrations: `node node_modules/prisma/build/index.js migrate deploy` (the Kubernetes initContainer)
# or MIGRATE_ON_START=true (the default) when the container runs alone.
CMD ["node", "--import", "tsx", "server/src/main.ts"]
