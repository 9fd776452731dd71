/**
 * Supabase Edge Function `meta-sync`: pg_cron calls it every few minutes (README.md); it finds the
 * ad accounts that are due and runs the same sync core as the Node worker for them, within a time
 * budget, then answers a JSON summary. Runs that do not finish keep their checkpoint and continue on
 * the next invocation; the per-account lease keeps it from racing a Node worker.
 *
 * Auth: `Authorization: Bearer <META_SYNC_SECRET>` (a shared secret set on the function and in the
 * pg_cron job); anything else is 401. The answer never carries a token.
 */
import { findDueAccounts } from "../../../app/.server/sync/due.ts";
import { runSync, type SyncResult } from "../../../app/.server/sync/runner.ts";
import { configFromEnv, connect, denoSyncDeps } from "./deps.ts";

export interface InvocationSummary {
  accounts: number;
  results: Pick<SyncResult, "adAccountId" | "status" | "days" | "rows" | "apiCalls" | "error">[];
  durationMs: number;
}

/** One pass: due accounts, one at a time, until the budget is spent. */
export async function syncDueAccounts(opts: { budgetMs?: number; limit?: number; refreshSeconds?: number } = {}): Promise<InvocationSummary> {
  const started = Date.now();
  const cfg = configFromEnv();
  const sql = connect(cfg);
  try {
    const due = await sql.begin((tx) =>
      findDueAccounts(tx, opts.refreshSeconds ?? null, opts.limit ?? 20, { billingEnabled: Boolean(Deno.env.get("STRIPE_SECRET_KEY")) }),
    );
    const results: InvocationSummary["results"] = [];
    for (const d of due) {
      if (Date.now() - started > (opts.budgetMs ?? 100_000)) break;
      const r = await runSync(denoSyncDeps(cfg, sql), d);
      results.push({ adAccountId: r.adAccountId, status: r.status, days: r.days, rows: r.rows, apiCalls: r.apiCalls, error: r.error });
    }
    return { accounts: results.length, results, durationMs: Date.now() - started };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function authorized(req: Request): boolean {
  const secret = Deno.env.get("META_SYNC_SECRET");
  if (!secret) return false;
  const got = req.headers.get("authorization") ?? "";
  const want = `Bearer ${secret}`;
  // Constant-time compare: the secret must not leak through timing.
  if (got.length !== want.length) return false;
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff |= got.charCodeAt(i) ^ want.charCodeAt(i);
  return diff === 0;
}

if (import.meta.main) {
  Deno.serve(async (req) => {
    if (req.method !== "POST") return new Response("Method Not Allowed", { status: 405, headers: { Allow: "POST" } });
    if (!authorized(req)) return new Response("Unauthorized", { status: 401 });
    try {
      return Response.json(await syncDueAccounts());
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "meta-sync failed", error: (err as Error).message }));
      return Response.json({ error: "meta-sync failed; see the function logs" }, { status: 500 });
    }
  });
}
