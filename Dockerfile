# syntax=docker/dockerfile:1
# Parlor image. The build stage compiles the server to one JavaScript module (esbuild, `npm run
# build:server` -> dist/server/main.js; its npm dependencies stay in node_modules), builds the web UI
# (vite -> web/dist, served at /) and keeps only the production dependencies the runtime loads.
#   docker build -t parlor:dev .             # or, for minikube: minikube image build -t parlor:dev .
#   docker run --rm -p 3000:3000 -e DATABASE_URL=... -e REDIS_URL=... -e JWT_SECRET=... parlor:dev
# Without Docker (as CI does): bash .ci/image builds it with buildah and runs it.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, build server and web UI, then drop what does not run ----------
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
RUN npm run build:web && npm run build:server
# Production dependencies only (prisma, @prisma/client and its generated client, bcrypt, ...), then
# what none of them loads at run time: TypeScript (an optional peer of Prisma), type declarations,
# source maps and docs, Prisma's copy of the client generator (only `prisma generate` uses it), the
# @prisma/client runtimes of other databases and engines (the generated client loads runtime/client.js),
# and the sources effect and zod ship next to their builds. `bash .ci/image` runs the result: migrate
# deploy, migrate-on-start and the server.
RUN npm prune --omit=dev --no-audit --no-fund \
  && cd node_modules \
  && rm -rf .cache typescript @types prisma/prisma-client effect/src zod/src zod/v3/tests \
  && find @prisma/client/runtime -type f ! -name client.js ! -name client.mjs ! -name index-browser.js -delete \
  && find . -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' \) -delete

# ---- runtime: only what runs, owned by root and read-only for the app user -----------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 PORT=3000
WORKDIR /app
# The Prisma CLI (migrations) reads package.json, prisma.config.ts and the adapter module it imports.
COPY --from=build /app/package.json /app/prisma.config.ts ./
COPY --from=build /app/server/src/db/pg-compat.ts ./server/src/db/pg-compat.ts
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/server ./dist/server
COPY --from=build /app/web/dist ./web/dist
# The image's `node` user, by number so Kubernetes can verify runAsNonRoot (runAsUser: 1000).
USER 1000:1000
EXPOSE 3000
# node is PID 1 (exec form, no shell or npm in between): it receives SIGTERM itself, drains
# (SHUTDOWN_TIMEOUT_MS) and exits 0.
# Migrations: `node node_modules/prisma/build/index.js migrate deploy` (the Kubernetes initContainer)
# or MIGRATE_ON_START=true (the default) when the container runs alone.
CMD ["node", "dist/server/main.js"]
