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
    testTimeout: 120_000,
    hookTimeout: 240_000,
    env: {
      LOG_LEVEL: "silent",
      CHROMIUM_PATH: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    },
  },
});
