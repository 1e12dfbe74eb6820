import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests: Debian's Chromium with the built extension (dist/extension), against a real
 * broker and a real demo shop started as their own processes on loopback ports.
 */
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 180_000,
  // Upper bounds on waiting for a state, never durations a test expects: generous, for loaded machines.
  expect: { timeout: 30_000 },
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  // No action or navigation may wait for the whole test timeout without saying what it waited for.
  use: { trace: 'retain-on-failure', actionTimeout: 30_000, navigationTimeout: 60_000 },
});
