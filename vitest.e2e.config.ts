import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// Browser tests (Playwright via playwright-core, driving the system Chromium). One fork at a time:
// each file starts a real server and a browser, and the machine is small.
export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    // Guards against hangs, not speed checks (a loaded two-core machine once took 116 s for team.test.ts).
    testTimeout: 300_000,
    hookTimeout: 240_000,
    // Retrying reads wait for an outcome; 5 s (the default) is too short for a page to answer while the
    // demo backfill runs on a loaded two-core machine (CI's auth test failed at exactly that wait).
    // 90 s: the same bound as a navigation or an action (OUTCOME_TIMEOUT_MS in tests/e2e/helpers/browser.ts).
    expect: { poll: { timeout: 90_000, interval: 100 } },
    env: {
      LOG_LEVEL: "silent",
      CHROMIUM_PATH: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    },
  },
});
