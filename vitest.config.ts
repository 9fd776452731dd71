import { defineConfig } from "vitest/config";
import tsconfigPaths from "vite-tsconfig-paths";

// Two projects in one run: unit and emulator tests need no database and start none; integration
// tests run on PGlite by default and on real PostgreSQL when TEST_DATABASE_URL is set
// (tests/setup/global-db.ts creates a fresh, migrated database for the run either way).
export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    projects: [
      { extends: true, test: { name: "unit", include: ["tests/unit/**/*.test.ts", "tests/emulator/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/setup/global-db.ts"],
          setupFiles: ["tests/setup/per-file.ts"],
        },
      },
    ],
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Guards against hangs, not speed checks: some tests start processes (CLI, tsx, PGlite) that take
    // tens of seconds on a busy two-core machine, and a fresh clone's `npm test` must not depend on luck.
    // So no test sets a shorter limit of its own, and a poll waits as long as the work may take under load.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    env: {
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      SESSION_SECRET: "test-session-secret-0123456789abcdefghijkl",
      VAULT_KEY: Buffer.alloc(32, 9).toString("base64"),
      DATA_DIR: "memory://",
      // see app/.server/db/connection.ts: on the shared PGlite a connection may wait behind the other test process
      DATABASE_CONNECT_TIMEOUT_SECONDS: "120",
    },
  },
});
