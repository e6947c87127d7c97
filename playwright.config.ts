import { defineConfig, devices } from '@playwright/test'

// Browser tests against the production build served by the real server (see e2e/global-setup.ts),
// in Debian's Chromium (Playwright's own browser download is not reachable here).
const port = Number(process.env.E2E_PORT ?? 4391)

const browser = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
}

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  globalSetup: './e2e/global-setup.ts',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    // Against the production server on the machine's PostgreSQL and Redis (global-setup.ts).
    { name: 'chromium-system', testIgnore: /newcomer\//, use: browser },
    // Against what the README's run command starts: `npm start`, embedded PGlite, no Redis.
    { name: 'newcomer', testMatch: /newcomer\/.*\.spec\.ts/, use: browser },
  ],
})
