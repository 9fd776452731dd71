/**
 * How a run stops: a failure becomes a clear, stored status (needs re-authorisation, paused until
 * Meta allows calls again, or failed), announced to live pages. Only unexpected errors are rethrown.
 */
import type { TransactionSql } from "postgres";
import { MetaApiError, MetaDataError } from "../meta/errors";
import { publishEvent } from "../realtime/publish";
import { cancelSupersededRun, finishRun, type RunRow } from "./runs";
import type { AccountRow, SyncDeps, SyncResult } from "./types";

/**
 * Another worker holds the account's lease now: the run ends as "skipped" without writing further,
 * and its run row is closed as canceled unless the new holder resumed that row.
 */
export class LeaseLostError extends Error {
  constructor() {
    super("Another worker took over this account's sync; this run stopped without writing further");
  }
}

/**
 * Turns a failure into a clear, stored status. Only unexpected non-Meta errors are rethrown.
 * `owner` is the run's lease holder id (a run that lost the lease closes only a row still its own).
 */
export async function stopWithStatus(
  deps: SyncDeps,
  account: AccountRow,
  run: RunRow | null,
  err: unknown,
  result: SyncResult,
  owner: string,
): Promise<SyncResult> {
  const sql = deps.sql;
  const runId = run?.id ?? null;
  const recordedCalls = async (tx: TransactionSql) => {
    // api_calls of committed chunks are already counted; add the calls since the last chunk.
    if (!runId) return 0;
    const [r] = await tx<{ api_calls: number }[]>`select api_calls from public.sync_runs where id = ${runId}`;
    return Math.max(0, result.apiCalls - (r?.api_calls ?? 0));
  };
  if (err instanceof LeaseLostError) {
    // Left "running", the row would look like a sync in progress until a run of its kind resumed it.
    if (runId) await sql.begin((tx) => cancelSupersededRun(tx, runId, owner, err.message));
    deps.log?.warn({ adAccountId: account.id, runId }, "sync stopped: another worker took over the account");
    return { ...result, status: "skipped", error: err.message };
  }
  // Live pages learn that the run stopped (their progress bar ends), with the run's status.
  const announce = async (tx: TransactionSql, status: string) => {
    if (!runId) return;
    const [r] = await tx<{ progress: string }[]>`select progress::text from public.sync_runs where id = ${runId}`;
    await publishEvent(tx, { type: "progress", workspaceId: account.workspace_id, adAccountId: account.id, runId, progress: Number(r?.progress ?? 0), status });
  };
  if (err instanceof MetaApiError && err.kind === "token_invalid") {
    const text = "Meta rejected the access token (expired or revoked). Reconnect the Meta account to resume syncing.";
    await sql.begin(async (tx) => {
      if (account.connection_id) await deps.markNeedsReauth(tx, account.connection_id, text);
      if (runId) await finishRun(tx, runId, { status: "needs_reauth", error: text, apiCalls: await recordedCalls(tx) });
      await tx`update public.ad_accounts set sync_status = 'needs_reauth', sync_error = ${text} where id = ${account.id}`;
      await announce(tx, "needs_reauth");
    });
    deps.log?.warn({ adAccountId: account.id, runId }, "sync stopped: token invalid");
    return { ...result, status: "needs_reauth", error: text };
  }
  if (err instanceof MetaApiError && (err.kind === "rate_limited" || err.kind === "transient" || err.kind === "async_failed")) {
    // Worth trying again: the run stays resumable (status queued, checkpoint kept).
    const waitMs = err.kind === "rate_limited" ? (err.retryAfterMs ?? 60_000) : 60_000;
    const at = new Date(Date.now() + waitMs).toISOString().slice(11, 16);
    const text =
      err.kind === "rate_limited"
        ? `Meta's rate limit for this ad account was reached; the sync continues after ${at} UTC`
        : `Meta was temporarily unavailable (${err.message}); the sync continues after ${at} UTC`;
    await sql.begin(async (tx) => {
      if (runId) {
        await tx`update public.sync_runs set status = 'queued', error = ${text}, api_calls = api_calls + ${await recordedCalls(tx)} where id = ${runId}`;
      }
      await tx`update public.ad_accounts set sync_status = 'paused', sync_error = ${text} where id = ${account.id}`;
      await announce(tx, "queued");
    });
    deps.log?.warn({ adAccountId: account.id, runId, kind: err.kind }, "sync paused");
    return { ...result, status: "paused", error: text, retryAfterMs: waitMs };
  }
  const text =
    err instanceof MetaApiError
      ? err.kind === "permission"
        ? "Meta denied access to this ad account (missing ads_read permission or the account was unshared)"
        : `Meta API error: ${err.message}`
      : `Sync failed: ${(err as Error)?.message ?? String(err)}`;
  await sql.begin(async (tx) => {
    if (runId) await finishRun(tx, runId, { status: "failed", error: text, apiCalls: await recordedCalls(tx) });
    await tx`update public.ad_accounts set sync_status = 'error', sync_error = ${text} where id = ${account.id}`;
    await announce(tx, "failed");
  });
  deps.log?.warn({ adAccountId: account.id, runId, err: text }, "sync failed");
  if (!(err instanceof MetaApiError) && !(err instanceof MetaDataError)) throw err;
  return { ...result, status: "failed", error: text };
}
