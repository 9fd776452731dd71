/** `spendlane sync`: syncs a workspace in-process and prints the JSON summary; bad input changes nothing. */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph/index";
import { accountToday, addDays } from "../../app/.server/sync/planner";
import { emulator, connectTenant, diffAgainstTruth } from "../helpers/sync-helpers";

let emu: RunningEmulator;
beforeAll(async () => {
  // Real time: the CLI plans with the real clock.
  emu = await emulator({ world: { accounts: 1, campaignsPerAccount: 3 }, now: undefined });
});
afterAll(async () => {
  await emu?.close();
});

/** Async on purpose: the emulator serves from this process, so a blocking spawn would starve it. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["cli/bin.mjs", ...args], {
      env: {
        ...process.env,
        DATABASE_URL: inject("databaseUrl"),
        META_GRAPH_URL: emu.url,
        META_APP_SECRET: DEFAULT_APP_SECRET,
        META_APP_ID: "1",
        LOG_LEVEL: "silent",
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000); // a hang guard: tsx starts slowly on a busy machine
    child.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe("spendlane sync", () => {
  it("backfills a workspace given as agency/workspace slugs and prints the summary", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 1 });
    await sql()`update public.ad_accounts set backfill_months = 1 where id = ${t.accounts[0]!.id}`;
    const r = await cli(["sync", "--workspace", `${t.agencySlug}/${t.workspaceSlug}`]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(Object.keys(out).sort()).toEqual(["accounts", "apiCalls", "days", "durationMs", "rows", "status"]);
    expect(out).toMatchObject({ accounts: 1, status: "succeeded" });
    expect(out.rows).toBeGreaterThan(0);
    const a = t.accounts[0]!;
    const until = addDays(accountToday(a.timezone), -2);
    expect(await diffAgainstTruth(emu, a.id, a.metaAccountId, addDays(until, -20), until)).toEqual([]);
    const bad = await cli(["sync", "--workspace", `${t.agencySlug}/${t.workspaceSlug}`, "--since", "2026-02-30"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/since must be a date/);
    expect((await cli(["sync", "--workspace", "nobody/nothing"])).status).toBe(2);
    // three CLI processes, each under a 240 s hang guard: the default 300 s was exceeded at load 15
  }, 900_000);
});
