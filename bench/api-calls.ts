/**
 * Meta API calls per account-day: a 13-month backfill and an incremental pass of one ad account with
 * 50 campaigns, against the in-process emulator (the sync's default page size, async reports for ranges over
 * 7 days), into an in-memory PGlite database.
 * Every pass reads ad x day x platform rows; backfill and restatement passes also read the four audience
 * breakdown families per ad set (ADR 0080); incremental passes do not.
 *   npx tsx bench/api-calls.ts [--campaigns 50] [--months 13] [--page-size 5000]   -> bench/results/api-calls.json
 */
import fs from "node:fs";
import { startEmbedded } from "../app/.server/db/embedded";
import { configureDatabase, closeDatabase, sql } from "../app/.server/db/connection";
import { migrate } from "../app/.server/db/migrate";
import { emulator, connectTenant, sync, control } from "../tests/helpers/sync-helpers";
import { DEFAULT_PAGE_SIZE } from "../app/.server/sync/runner";

process.env.VAULT_KEY ??= Buffer.alloc(32, 3).toString("base64");
process.env.SESSION_SECRET ??= "bench-session-secret-0123456789abcdefghij";
process.env.DATA_DIR ??= "memory://";
const db = await startEmbedded({ dataDir: "memory://" });
configureDatabase(db.url, { max: 4 });
await migrate(sql());
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CAMPAIGNS = arg("campaigns", 50);
const MONTHS = arg("months", 13);
const PAGE = arg("page-size", DEFAULT_PAGE_SIZE);
const emu = await emulator({ world: { accounts: 1, campaignsPerAccount: CAMPAIGNS } });
try {
  const t = await connectTenant(emu, { n: 1, backfillMonths: MONTHS });
  const a = t.accounts[0]!;
  const measure = async (kind: "backfill" | "incremental" | "restatement") => {
    await control(emu, "POST", "/calls/reset");
    const r = await sync(
      emu,
      { adAccountId: a.id, kind },
      { breakdownHistoryDays: 400, pageSize: PAGE, graphTimeoutMs: 30_000 /* production's bound: the in-process emulator computes reports on its POST */ },
    );
    if (r.status !== "succeeded") throw new Error(`${kind}: ${r.status} ${r.error}`);
    const calls = await control(emu, "GET", "/calls");
    const emulatorCalls = calls.total;
    return {
      kind,
      days: r.days,
      rows: r.rows,
      apiCalls: r.apiCalls,
      emulatorCalls,
      callsPerAccountDay: Number((emulatorCalls / r.days).toFixed(3)),
      byKind: calls.byKind,
      durationMs: r.durationMs,
    };
  };
  const results = [await measure("backfill"), await measure("incremental"), await measure("restatement")];
  const out = {
    measuredAt: new Date().toISOString(),
    setup: `1 ad account x ${CAMPAIGNS} campaigns (2-6 ad sets each, 1-5 ads per ad set) x 4 platforms, ${MONTHS}-month backfill, emulator seed sync-tests, page size ${PAGE}, async report runs for ranges > 7 days (30-day chunks); ad-level read on every pass, 4 breakdown reads per chunk on backfill and restatement`,
    results,
  };
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync("bench/results/api-calls.json", JSON.stringify(out, null, 2) + "\n");
  console.log(JSON.stringify(out, null, 2));
} finally {
  await emu.close();
  await closeDatabase();
  await db.stop();
}
