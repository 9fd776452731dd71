/**
 * "Refresh now" for a workspace: queues a manual sync of each of its ad accounts, respecting Meta's
 * rate state. Request path: the accounts are read under asUser, so RLS decides what the user may
 * refresh; queueing itself is a service action of the scheduler.
 */
import { asUser } from "../db/connection";
import { InputError } from "../errors";
import { assertWritable } from "../billing/limits";
import { processGovernor } from "../meta/graph";
import { requestSync, pendingSync } from "./scheduler";

export interface RefreshAccount {
  adAccountId: string;
  name: string;
  /** queued now, already queued or running, waiting for Meta's rate limit, or not syncable */
  state: "queued" | "already_queued" | "rate_limited" | "needs_reauth";
  /** When the sync will start (ISO), for queued and rate-limited accounts. */
  runsAt?: string;
}

export async function queueWorkspaceRefresh(userId: string, workspaceId: string, now = new Date()): Promise<RefreshAccount[]> {
  const accounts = await asUser(userId, async (tx) => {
    // A read-only agency (billing: canceled, unpaid, trial or grace over) keeps its data but syncing
    // is paused: refusing here says why, with the upgrade prompt.
    const [ws] = await tx<{ agency_id: string }[]>`select agency_id from public.workspaces where id = ${workspaceId}`;
    if (ws) await assertWritable(tx, ws.agency_id);
    return tx<{ id: string; name: string; meta_account_id: string; sync_status: string; connection_status: string | null }[]>`
      select a.id, a.name, a.meta_account_id, a.sync_status, c.status as connection_status
      from public.ad_accounts a left join public.meta_connections c on c.id = a.connection_id
      where a.workspace_id = ${workspaceId}
      order by a.name`;
  });
  if (accounts.length === 0) throw new InputError("Connect a Meta ad account before refreshing.");
  const out: RefreshAccount[] = [];
  for (const a of accounts) {
    // Client viewers cannot see connections (RLS), but they cannot reach this action either.
    if (a.connection_status !== "active" || a.sync_status === "needs_reauth") {
      out.push({ adAccountId: a.id, name: a.name, state: "needs_reauth" });
      continue;
    }
    const pausedUntil = processGovernor().state(a.meta_account_id).pausedUntil;
    const delay = pausedUntil && pausedUntil > now.getTime() ? Math.ceil((pausedUntil - now.getTime()) / 1000) : 0;
    const jobId = await requestSync(a.id, "manual", { startAfterSeconds: delay || undefined });
    if (jobId) {
      out.push({ adAccountId: a.id, name: a.name, state: delay ? "rate_limited" : "queued", runsAt: new Date(now.getTime() + delay * 1000).toISOString() });
    } else {
      const pending = await pendingSync(a.id);
      out.push({ adAccountId: a.id, name: a.name, state: "already_queued", runsAt: pending?.startAfter.toISOString() });
    }
  }
  return out;
}
