import { defineConfig, devices } from '@playwright/test'
import { CHROMIUM_LAUNCH } from './e2e/support/chromium'

// Browser tests against the production build served by the real server (see e2e/global-setup.ts),
// in Debian's Chromium (Playwright's own browser download is not reachable here).
const port = Number(process.env.E2E_PORT ?? 4391)

const browser = { ...devices['Desktop Chrome'], launchOptions: CHROMIUM_LAUNCH }

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
