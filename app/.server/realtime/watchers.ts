/**
 * Freshness while someone watches: for every workspace with an open event stream in this process,
 * today's numbers are refreshed every REFRESH_ACTIVE_SECONDS (Meta updates insights about every 15
 * minutes; the demo uses 30 s). Due accounts get `requestSync(id, "incremental")`; the queue's
 * per-account singleton key collapses requests from several processes and from the scheduler's tick
 * into one job, and the Graph client's rate governor paces the calls the job makes.
 *
 * Accounts that are syncing already, paused by Meta's rate limit (the scheduler resumes them when
 * Meta allows), whose connection is not active or that need re-authorisation are never requested:
 * no calls with a dead token, none against the rate budget, no pile-up behind a running backfill.
 */
import { asService } from "../db/connection";
import { logger } from "../logger";
import { requestSync } from "../sync/scheduler";

export interface WatchersOptions {
  refreshSeconds: number;
  /** How often watched workspaces are checked (default: a sixth of the interval, 5 s to 60 s). */
  checkEveryMs?: number;
  /** Queues the sync (default: the scheduler's requestSync). */
  request?: (adAccountId: string) => Promise<unknown>;
}

const log = logger.child({ module: "watchers" });

interface WatchState {
  counts: Map<string, number>;
  options?: WatchersOptions;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}
const state: WatchState = ((globalThis as Record<string, unknown>).__spendlaneWatchers ??= { counts: new Map() }) as WatchState;

/** Marks workspaces as watched until the returned function is called (once per open stream). */
export function watchWorkspaces(workspaceIds: string[]): () => void {
  const added: string[] = [];
  for (const id of workspaceIds) {
    const n = state.counts.get(id) ?? 0;
    state.counts.set(id, n + 1);
    if (n === 0) added.push(id);
  }
  // Someone just started looking: bring stale numbers up to date now rather than at the next tick.
  if (added.length && state.options) void refreshDue(added);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const id of workspaceIds) {
      const n = (state.counts.get(id) ?? 1) - 1;
      if (n <= 0) state.counts.delete(id);
      else state.counts.set(id, n);
    }
  };
}

export function watchedWorkspaceIds(): string[] {
  return [...state.counts.keys()];
}

/** Ad accounts of `workspaceIds` whose last incremental sync is older than `refreshSeconds`. */
export async function dueWatchedAccounts(workspaceIds: string[], refreshSeconds: number): Promise<string[]> {
  if (workspaceIds.length === 0) return [];
  const rows = await asService(
    (tx) => tx<{ id: string }[]>`
    select a.id from public.ad_accounts a
    join public.meta_connections c on c.id = a.connection_id
    where a.workspace_id = any(${workspaceIds}::uuid[])
      and c.status = 'active'
      and a.sync_status not in ('needs_reauth', 'syncing', 'paused')
      and (a.last_incremental_at is null or a.last_incremental_at < now() - make_interval(secs => ${refreshSeconds}))
    order by a.id`,
  );
  return rows.map((r) => r.id);
}

/** Requests an incremental sync for every due account of the given (default: all watched) workspaces. */
export async function refreshDue(workspaceIds: string[] = watchedWorkspaceIds()): Promise<string[]> {
  const o = state.options;
  if (!o) return [];
  const request = o.request ?? ((id: string) => requestSync(id, "incremental"));
  const due = await dueWatchedAccounts(workspaceIds, o.refreshSeconds).catch((err) => {
    log.warn({ err }, "could not read watched accounts");
    return [] as string[];
  });
  for (const id of due) {
    try {
      await request(id);
    } catch (err) {
      log.warn({ err, adAccountId: id }, "could not queue a refresh for a watched account");
    }
  }
  if (due.length) log.info({ accounts: due.length }, "queued refreshes for watched workspaces");
  return due;
}

/** Starts the periodic check (runtime boot). Idempotent; `stopWatchers` ends it. */
export function startWatchers(options: WatchersOptions) {
  stopWatchers();
  state.options = options;
  const every = options.checkEveryMs ?? Math.min(60_000, Math.max(5_000, (options.refreshSeconds * 1000) / 6));
  state.timer = setInterval(() => {
    if (state.running || state.counts.size === 0) return;
    state.running = refreshDue()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => (state.running = undefined));
  }, every);
  state.timer.unref?.();
}

export function stopWatchers() {
  clearInterval(state.timer);
  state.timer = undefined;
  state.options = undefined;
}
