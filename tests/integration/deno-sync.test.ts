/**
 * Runs the Deno test of the Supabase edge function (supabase/functions/meta-sync/sync_test.ts)
 * against this run's test database; fails when the Deno test fails or does not run.
 */
import { describe, expect, inject, it } from "vitest";
import { runProcess } from "../helpers/run-process";

describe("supabase/functions/meta-sync (Deno)", () => {
  // two Deno runs of up to 240 s each (they take about a minute together beside other suites)
  it("type-checks and syncs one account exactly under Deno", { timeout: 600_000 }, async () => {
    const env = { ...process.env, DATABASE_URL: inject("databaseUrl"), NO_COLOR: "1" };
    const check = await runProcess("npx", ["deno", "check", "supabase/functions/meta-sync/index.ts"], { env, timeoutMs: 240_000 });
    expect(check.status, check.stderr + check.stdout).toBe(0);
    const test = await runProcess("npx", ["deno", "test", "-A", "supabase/functions/meta-sync/sync_test.ts"], { env, timeoutMs: 240_000 });
    const out = test.stdout + test.stderr;
    expect(test.status, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/ok \| 1 passed \| 0 failed/);
  });
});
