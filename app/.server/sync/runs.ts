/**
 * sync_runs rows and the per-account lease. Runtime-agnostic (postgres client only).
 *
 * One sync per ad account at a time, across every worker on every machine: a run must hold the
 * account's lease (ad_accounts.sync_lease_owner/until), taken with a conditional UPDATE and renewed
 * with every committed chunk. A worker that dies (SIGKILL, lost machine) stops renewing, the lease
 * expires, and the next run takes over and resumes the dead run from its checkpoint.
 */
import type { DayRange, SyncKind } from "./planner";

type Sql = import("postgres").Sql;
type Tx = import("postgres").TransactionSql;
type Q = Sql | Tx;

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "needs_reauth" | "canceled";

/** Where a run stands: the chunks still to do, newest first. Saved with every committed chunk. */
export interface Checkpoint {
  remaining: DayRange[];
  total: number;
  today: string;
}

export interface RunRow {
  id: string;
  kind: SyncKind;
  status: RunStatus;
  progress: string;
  since: string | null;
  until: string | null;
  days_done: number;
  rows_written: number;
  api_calls: number;
  error: string | null;
  checkpoint: Checkpoint | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Takes the account's lease for `owner` unless another live run holds it. */
export async function acquireLease(q: Q, adAccountId: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await q`
    update public.ad_accounts
    set sync_lease_owner = ${owner}, sync_lease_until = now() + ${leaseMs} * interval '1 millisecond'
    where id = ${adAccountId}
      and (sync_lease_owner is null or sync_lease_owner = ${owner} or sync_lease_until < now())
    returning id`;
  return rows.length === 1;
}

/** Renews the lease; false when another run took it over (this run must stop writing). */
export async function renewLease(q: Q, adAccountId: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await q`
    update public.ad_accounts set sync_lease_until = now() + ${leaseMs} * interval '1 millisecond'
    where id = ${adAccountId} and sync_lease_owner = ${owner}
    returning id`;
  return rows.length === 1;
}

export async function releaseLease(q: Q, adAccountId: string, owner: string): Promise<void> {
  await q`update public.ad_accounts set sync_lease_owner = null, sync_lease_until = null
    where id = ${adAccountId} and sync_lease_owner = ${owner}`;
}

/**
 * The newest unfinished run of the account whose owner is gone, to resume from its checkpoint.
 * Backfill-type runs resume across kinds that read the same window (backfill and full).
 */
export async function findResumableRun(q: Q, adAccountId: string, kind: SyncKind): Promise<RunRow | null> {
  const kinds = kind === "backfill" || kind === "full" ? ["backfill", "full"] : [kind];
  const [r] = await q<RunRow[]>`
    select * from public.sync_runs
    where ad_account_id = ${adAccountId} and status in ('queued', 'running') and kind = any(${kinds}::text[])
      and checkpoint is not null
    order by created_at desc limit 1`;
  return r ?? null;
}

export async function createRun(
  q: Q,
  a: { agencyId: string; workspaceId: string; adAccountId: string; kind: SyncKind; range: DayRange; checkpoint: Checkpoint; owner: string },
): Promise<RunRow> {
  const [r] = await q<RunRow[]>`
    insert into public.sync_runs (agency_id, workspace_id, ad_account_id, kind, status, since, until, checkpoint, started_at, lease_owner)
    values (${a.agencyId}, ${a.workspaceId}, ${a.adAccountId}, ${a.kind}, 'running', ${a.range.since}, ${a.range.until},
            ${q.json(a.checkpoint as never)}, now(), ${a.owner})
    returning *`;
  return r!;
}

/** `owner` carries the run on from here (a stalled previous holder must leave the row alone). */
export async function markRunResumed(q: Q, runId: string, owner: string): Promise<void> {
  await q`update public.sync_runs set status = 'running', error = null, started_at = coalesce(started_at, now()), lease_owner = ${owner}
    where id = ${runId}`;
}

/**
 * Closes the run of a holder that lost the account's lease: canceled, with the reason and the time it
 * stopped, unless another holder has resumed the row since (then it is theirs to finish).
 */
export async function cancelSupersededRun(q: Q, runId: string, owner: string, reason: string): Promise<void> {
  await q`update public.sync_runs set status = 'canceled', error = ${reason}, finished_at = now()
    where id = ${runId} and lease_owner = ${owner} and status = 'running'`;
}

/** Saves progress after a committed chunk (inside the chunk's transaction). */
export async function saveProgress(
  q: Q,
  runId: string,
  p: { checkpoint: Checkpoint; progress: number; days: number; rows: number; apiCalls: number },
): Promise<void> {
  await q`
    update public.sync_runs set
      checkpoint = ${q.json(p.checkpoint as never)},
      progress = ${p.progress.toFixed(2)},
      days_done = days_done + ${p.days},
      rows_written = rows_written + ${p.rows},
      api_calls = api_calls + ${p.apiCalls}
    where id = ${runId}`;
}

export async function finishRun(
  q: Q,
  runId: string,
  f: { status: Exclude<RunStatus, "queued" | "running">; error?: string | null; apiCalls?: number },
): Promise<void> {
  await q`
    update public.sync_runs set
      status = ${f.status},
      error = ${f.error ?? null},
      api_calls = api_calls + ${f.apiCalls ?? 0},
      progress = case when ${f.status} = 'succeeded' then 100 else progress end,
      checkpoint = case when ${f.status} = 'succeeded' then null else checkpoint end,
      finished_at = now()
    where id = ${runId}`;
}
