import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vite'

// The shared contract (types, error codes) lives in the server; web/ imports it as @contract/*.
const contract = decodeURIComponent(new URL('../server/src/contract', import.meta.url).pathname)
// Where `npm run dev` finds the API server (tsx watch server/src/main.ts). web/ is checked with browser
// types only, so declare the one Node global this file reads.
declare const process: { env: Record<string, string | undefined> }
const api = `http://127.0.0.1:${process.env.PORT ?? 3000}`

export default defineConfig({
  root: decodeURIComponent(new URL('.', import.meta.url).pathname),
  plugins: [svelte()],
  resolve: { alias: { '@contract': contract } },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api },
      '/socket.io': { target: api, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
})
