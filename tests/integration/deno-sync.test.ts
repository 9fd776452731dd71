/**
 * Runs the Deno test of the Supabase edge function (supabase/functions/meta-sync/sync_test.ts)
 * against this run's test database; fails when the Deno test fails or does not run.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, inject, it } from "vitest";

describe("supabase/functions/meta-sync (Deno)", () => {
  it("type-checks and syncs one account exactly under Deno", () => {
    const env = { ...process.env, DATABASE_URL: inject("databaseUrl"), NO_COLOR: "1" };
    const check = spawnSync("npx", ["deno", "check", "supabase/functions/meta-sync/index.ts"], { env, encoding: "utf8", timeout: 120_000 });
    expect(check.status, check.stderr + check.stdout).toBe(0);
    const test = spawnSync("npx", ["deno", "test", "-A", "supabase/functions/meta-sync/sync_test.ts"], { env, encoding: "utf8", timeout: 150_000 });
    const out = test.stdout + test.stderr;
    expect(test.status, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/ok \| 1 passed \| 0 failed/);
  });
});
