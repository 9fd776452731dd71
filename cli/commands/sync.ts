/**
 * `spendlane sync --workspace W [--full] [--since YYYY-MM-DD]`: syncs the workspace's ad accounts now,
 * in this process, and prints one JSON summary. `spendlane worker`: runs the queue worker until
 * SIGINT/SIGTERM. W is a workspace id or agencySlug/workspaceSlug.
 */
import type { Command } from "commander";
import { asService } from "../../app/.server/db/connection";
import { InputError } from "../../app/.server/errors";
import { installLifecycle } from "../../app/.server/ops/lifecycle";
import { startRuntime } from "../../app/.server/runtime";
import { assertDay } from "../../app/.server/sync/planner";
import { syncNow } from "../../app/.server/sync/service";
import type { SyncResult } from "../../app/.server/sync/runner";
import { withDatabase } from "../context";
import { printJson } from "../output";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function workspaceAccounts(w: string): Promise<{ id: string; backfilled: boolean }[]> {
  return asService(async (tx) => {
    let ws: { id: string }[] = [];
    if (UUID_RE.test(w)) ws = await tx<{ id: string }[]>`select id from public.workspaces where id = ${w}`;
    else {
      const parts = w.split("/");
      if (parts.length === 2 && parts[0] && parts[1]) {
        ws = await tx<{ id: string }[]>`select w.id from public.workspaces w join public.agencies a on a.id = w.agency_id
          where a.slug = ${parts[0].toLowerCase()} and w.slug = ${parts[1].toLowerCase()}`;
      }
    }
    if (!ws[0]) throw new InputError(`No workspace "${w}" (use its id or agencySlug/workspaceSlug)`, { workspace: "not found" });
    const accounts = await tx<{ id: string; backfilled_since: Date | null }[]>`
      select id, backfilled_since from public.ad_accounts where workspace_id = ${ws[0].id} order by created_at`;
    if (accounts.length === 0) throw new InputError(`Workspace "${w}" has no ad accounts attached`, { workspace: "no ad accounts" });
    return accounts.map((a) => ({ id: a.id, backfilled: a.backfilled_since !== null }));
  });
}

export function registerSyncCommands(program: Command) {
  program
    .command("sync")
    .description("sync a workspace's ad accounts from Meta now (in this process)")
    .requiredOption("--workspace <w>", "workspace id or agencySlug/workspaceSlug")
    .option("--full", "re-read the whole history window (BACKFILL_MONTHS), replacing stored days")
    .option("--since <date>", "re-read from this day (YYYY-MM-DD, account time zone) to today")
    .action((o: { workspace: string; full?: boolean; since?: string }) =>
      withDatabase(async () => {
        if (o.since) {
          try {
            assertDay(o.since, "since");
          } catch (err) {
            throw new InputError((err as Error).message, { since: "expected YYYY-MM-DD" });
          }
        }
        const accounts = await workspaceAccounts(o.workspace);
        const started = Date.now();
        const results: SyncResult[] = [];
        for (const a of accounts) {
          // Not yet backfilled: a backfill; otherwise the recent days, unless told to go wider.
          const kind = o.full ? "full" : o.since ? "manual" : a.backfilled ? "incremental" : "backfill";
          results.push(await syncNow({ adAccountId: a.id, kind, since: o.since }));
        }
        const worst = ["needs_reauth", "failed", "paused", "skipped", "succeeded"].find((s) => results.some((r) => r.status === s)) ?? "succeeded";
        printJson({
          accounts: results.length,
          days: results.reduce((n, r) => n + r.days, 0),
          rows: results.reduce((n, r) => n + r.rows, 0),
          apiCalls: results.reduce((n, r) => n + r.apiCalls, 0),
          durationMs: Date.now() - started,
          status: worst,
          ...(results.some((r) => r.error)
            ? { errors: results.filter((r) => r.error).map((r) => ({ adAccountId: r.adAccountId, status: r.status, error: r.error })) }
            : {}),
        });
        if (worst !== "succeeded") process.exitCode = 1;
      }),
    );

  program
    .command("worker")
    .description("run the sync queue worker (pg-boss) until interrupted")
    .action(async () => {
      const runtime = await startRuntime({ role: "worker" });
      // SIGTERM/SIGINT, or the parent gone: running jobs get the rest of SHUTDOWN_TIMEOUT_MS.
      installLifecycle({ timeoutMs: runtime.env.SHUTDOWN_TIMEOUT_MS, steps: [{ name: "runtime", run: (remainingMs) => runtime.stop(remainingMs) }] });
      process.stderr.write(`spendlane worker running on ${runtime.engine}; Ctrl-C stops it\n`);
      await new Promise<never>(() => {});
    });
}
