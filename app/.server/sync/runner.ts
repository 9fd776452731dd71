/**
 * The sync core: reads Meta insights for one ad account and writes them, chunk by chunk, each chunk
 * in one transaction with the run's checkpoint, the workspace's data version and a live event.
 * Runtime-agnostic (fetch through the Graph client, the `postgres` client, Web APIs only): the Node
 * worker, the CLI and the Deno edge function all call `runSync`.
 *
 * Reading a range (ADR 0015):
 * - up to SYNC_READ_MAX_DAYS days: paged GETs of /act_N/insights;
 * - longer: an async report run (POST, poll /{id} with backoff and a timeout, page /{id}/insights);
 * - async failure: retry once, then split the range in halves, then, at one day, campaign by campaign;
 * - too much data: split, then campaign by campaign;
 * - what is read: ad x day x publisher_platform rows (campaign facts are derived from them) and, on
 *   all but the frequent incremental passes, daily ad set breakdowns per audience family (ads.ts);
 * - rate limits: the Graph client and the governor wait; waits longer than the client accepts end the
 *   run as "paused" with its checkpoint kept, and the scheduler runs it again when Meta allows;
 * - invalid token: the connection is marked needs_reauth and no further call is made with it.
 */
import pRetry from "p-retry";
import type { TransactionSql } from "postgres";
import { MetaApiError } from "../meta/errors";
import { publishEvent } from "../realtime/publish";
import { daysBetween, planSync, type DayRange } from "./planner";
import { upsertCampaigns, bumpDataVersion, type CampaignRow } from "./upsert";
import {
  BREAKDOWN_READS,
  FETCHED_ATTRIBUTION_WINDOW,
  deriveCampaignFacts,
  writeAdFactsBatched,
  replaceBreakdownFactsBatched,
  type BreakdownFamily,
} from "./ads";
import { AD_FIELDS, ADSET_FIELDS, upsertAdObjects, upsertNamesFromFacts, type MetaAd, type MetaAdSet } from "./ad-objects";
import { refreshCreativeImages } from "./creatives";
import { AccountStatusRead } from "./account-status";
import { parseAttributionChoice } from "../meta/attribution";
import { refreshAccountAttribution } from "./attribution";
import { DEFAULT_PAGE_SIZE, RangeReader, adRead, breakdownRead, type ChunkRange } from "./range-reader";
import { LeaseLostError, stopWithStatus } from "./stop";
import {
  acquireLease,
  createRun,
  findResumableRun,
  finishRun,
  markRunResumed,
  releaseLease,
  renewLease,
  saveProgress,
  type Checkpoint,
  type RunRow,
} from "./runs";
import type { AccountRow, GraphPort, SyncDeps, SyncRequest, SyncResult } from "./types";

export type { GraphPort, SyncDeps, SyncLogger, SyncRequest, SyncResult, SyncStatus } from "./types";
export { ALL_CAMPAIGN_STATUSES, DEFAULT_PAGE_SIZE, RangeReader, adRead, breakdownRead, type ReadSpec } from "./range-reader";

/** Runs one sync of one ad account to the end (or to a clear stop). Never throws for Meta errors. */
export async function runSync(deps: SyncDeps, req: SyncRequest): Promise<SyncResult> {
  const result = await runSyncToEnd(deps, req);
  // a skipped run changed nothing; every other outcome may open or clear an alert
  if (deps.afterRun && result.status !== "skipped")
    await deps.afterRun({ adAccountId: req.adAccountId, status: result.status, now: (deps.now ?? (() => new Date()))() });
  return result;
}

async function runSyncToEnd(deps: SyncDeps, req: SyncRequest): Promise<SyncResult> {
  const started = Date.now();
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const leaseMs = deps.leaseMs ?? 60_000;
  const sql = deps.sql;
  const owner = crypto.randomUUID();
  // Every statement runs in a transaction: the embedded engine multiplexes socket connections onto one
  // backend and only keeps transactions apart, so bare statements of concurrent runs could interleave.
  const db = <T>(fn: (tx: TransactionSql) => Promise<T>) => sql.begin(fn) as Promise<T>;
  const result: SyncResult = { runId: null, adAccountId: req.adAccountId, status: "succeeded", days: 0, rows: 0, apiCalls: 0, durationMs: 0 };

  const [account] = await db(
    (tx) => tx<AccountRow[]>`
    select a.id, a.currency, a.agency_id, a.workspace_id, a.connection_id, a.meta_account_id, a.timezone_name, a.backfill_months,
           to_char(a.backfilled_since, 'YYYY-MM-DD') as backfilled_since, c.status as connection_status,
           (select w.attribution_windows from public.workspaces w where w.id = a.workspace_id) as attribution_windows
    from public.ad_accounts a left join public.meta_connections c on c.id = a.connection_id
    where a.id = ${req.adAccountId}`,
  );
  if (!account) throw new Error(`No ad account ${req.adAccountId}`);

  if (!(await db((tx) => acquireLease(tx, account.id, owner, leaseMs)))) {
    return { ...result, status: "skipped", error: "A sync of this ad account is already running", durationMs: Date.now() - started };
  }
  // Keeps the lease while long reads run; a run that cannot renew stops before its next write.
  let leaseLost = false;
  const heartbeat = setInterval(
    () => {
      db((tx) => renewLease(tx, account.id, owner, leaseMs)).then(
        (ok) => (leaseLost ||= !ok),
        () => {},
      );
    },
    Math.max(200, Math.floor(leaseMs / 3)),
  );

  let run: RunRow | null = null;
  let graph: GraphPort | null = null;
  let creativeImages: Promise<void> | undefined;
  let startImages: (() => void) | undefined;
  try {
    if (!account.connection_id || account.connection_status !== "active") {
      const text = account.connection_id
        ? "The Meta connection needs to be re-authorised before this account can sync"
        : "This ad account has no Meta connection";
      run = await db(async (tx) => {
        const r = await createRun(tx, {
          agencyId: account.agency_id,
          workspaceId: account.workspace_id,
          adAccountId: account.id,
          kind: req.kind,
          range: { since: "1970-01-01", until: "1970-01-01" },
          checkpoint: { remaining: [], total: 0, today: "" },
          owner,
        });
        await finishRun(tx, r.id, { status: "needs_reauth", error: text });
        await tx`update public.ad_accounts set sync_status = 'needs_reauth', sync_error = ${text} where id = ${account.id}`;
        return r;
      });
      return { ...result, runId: run.id, status: "needs_reauth", error: text, durationMs: Date.now() - started };
    }

    // Resume the newest unfinished run of this kind (a killed worker's), else plan a new one.
    const resumable = req.since ? null : await db((tx) => findResumableRun(tx, account.id, req.kind));
    let checkpoint: Checkpoint;
    if (resumable?.checkpoint) {
      run = resumable;
      checkpoint = resumable.checkpoint;
      await db((tx) => markRunResumed(tx, resumable.id, owner));
      deps.log?.info({ runId: run.id, remaining: checkpoint.remaining.length }, "resuming sync run from checkpoint");
    } else {
      const plan = planSync({
        kind: req.kind,
        timeZone: account.timezone_name,
        now: now(),
        backfillMonths: account.backfill_months,
        backfilledSince: account.backfilled_since,
        since: req.since,
      });
      // Headline numbers first (ad facts, newest first), then the audience breakdowns of the same
      // chunks within the breakdown history: dashboards fill before the heavier breakdown reads run.
      const history = req.kind === "incremental" ? -1 : (deps.breakdownHistoryDays ?? 400);
      const audience = plan.chunks.filter((c) => daysBetween(c.until, plan.today) <= history).map((c): ChunkRange => ({ ...c, part: "breakdowns" }));
      const remaining: ChunkRange[] = [...plan.chunks, ...audience];
      checkpoint = { remaining, total: remaining.length, today: plan.today };
      run = await db((tx) =>
        createRun(tx, {
          agencyId: account.agency_id,
          workspaceId: account.workspace_id,
          adAccountId: account.id,
          kind: req.kind,
          range: plan.range,
          checkpoint,
          owner,
        }),
      );
    }
    result.runId = run.id;
    await db((tx) => tx`update public.ad_accounts set sync_status = 'syncing', sync_error = null where id = ${account.id}`);

    const token = await sql.begin((tx) => deps.getToken(tx, account.connection_id!));
    graph = deps.graphFor(token);
    const status = new AccountStatusRead(sql, graph, account.id, account.meta_account_id);
    await status.upFront(checkpoint.remaining[0]);
    // Conversions are read under the workspace's attribution windows (ADR 0071); every fact row records
    // the windows it was read with. A `conversions` run (the choice changed) re-reads whole chunks here:
    // campaign facts are sums of ad rows, so the ad rows must carry the new windows too.
    const attribution = parseAttributionChoice(account.attribution_windows);
    const readerOptions = {
      sleep,
      pollMin: deps.asyncPollMinMs ?? 1000,
      pollMax: deps.asyncPollMaxMs ?? 30_000,
      timeout: deps.asyncTimeoutMs ?? 15 * 60_000,
      pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE,
      attribution,
      log: deps.log,
    };
    const reader = new RangeReader(graph, account.meta_account_id, readerOptions, adRead(attribution));
    // Breakdowns change slowly and cost four reads a chunk: planned for every pass but the frequent incremental one.
    const breakdownReaders = (Object.keys(BREAKDOWN_READS) as BreakdownFamily[]).map((family) => ({
      family,
      reader: new RangeReader(graph!, account.meta_account_id, readerOptions, breakdownRead(family, attribution)),
    }));

    // Meta's rate limit answers say how long to wait; sitting it out beats giving up a 37-month
    // backfill. The governor normally slows calls before Meta has to refuse them.
    const maxWait = deps.maxRateLimitWaitMs ?? 15 * 60_000;
    const waitable = (err: unknown): err is MetaApiError =>
      err instanceof MetaApiError && err.kind === "rate_limited" && (err.retryAfterMs ?? 60_000) <= maxWait;
    const patiently = <T>(fn: () => Promise<T>): Promise<T> =>
      pRetry(fn, {
        retries: 8,
        // The wait is Meta's (retry-after), slept in onFailedAttempt with the injectable sleep.
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: (err) => waitable(err),
        onFailedAttempt: async (err) => {
          if (err.retriesLeft <= 0 || !waitable(err)) return;
          const wait = err.retryAfterMs ?? 60_000;
          deps.log?.info({ adAccountId: account.id, waitMs: wait }, "Meta rate limit: waiting before continuing");
          await sleep(wait);
        },
      });

    // The campaigns list (with archived and deleted ones) on full reads, so old facts keep names and status.
    if (req.kind !== "incremental" && req.kind !== "manual" && req.kind !== "conversions") {
      const campaigns = await patiently(() => reader.campaigns());
      await sql.begin((tx) => upsertCampaigns(tx, account.id, account.workspace_id, campaigns));
      const sets = await patiently(() => reader.list<MetaAdSet>("adsets", ADSET_FIELDS));
      const ads = await patiently(() => reader.list<MetaAd>("ads", AD_FIELDS));
      await sql.begin((tx) => upsertAdObjects(tx, { id: account.id, workspaceId: account.workspace_id, currency: account.currency }, sets, ads));
      if (deps.creativeImages) {
        // Soon after the objects (their image URLs are fresh now, and expire): pages show creatives
        // while the history is still arriving. A failure is recorded per creative, never fails the sync.
        // Started once the first chunk of facts is in (below), in the background, awaited before the
        // lease goes: first numbers do not wait for a few hundred image fetches (ADR 0170).
        const imageOptions = deps.creativeImages;
        startImages = () => {
          startImages = undefined;
          creativeImages = (async () => {
            const images = await refreshCreativeImages(sql, account.id, imageOptions);
            if (images.fetched) {
              await sql.begin(async (tx) => {
                const version = await bumpDataVersion(tx, account.workspace_id);
                await publishEvent(tx, { type: "data", workspaceId: account.workspace_id, version });
              });
            }
          })().catch((err) => deps.log?.warn({ adAccountId: account.id, err: String(err) }, "creative images not refreshed"));
        };
      }
    }

    const advancesBackfill = run.kind === "backfill" || run.kind === "full";
    // Every write transaction starts here: it renews the lease, or stops the run if it is gone.
    const guard = async (tx: TransactionSql) => {
      if (leaseLost || !(await renewLease(tx, account.id, owner, leaseMs))) throw new LeaseLostError();
    };
    let callsBefore = 0;
    while (checkpoint.remaining.length > 0) {
      const chunk = checkpoint.remaining[0]! as ChunkRange;
      const range: DayRange = { since: chunk.since, until: chunk.until };
      const next: Checkpoint = { ...checkpoint, remaining: checkpoint.remaining.slice(1) };
      const progress = next.total === 0 ? 100 : ((next.total - next.remaining.length) / next.total) * 100;
      const runId = run.id;
      const target = { adAccountId: account.id, workspaceId: account.workspace_id, range, window: FETCHED_ATTRIBUTION_WINDOW };
      if (chunk.part === "breakdowns") {
        // The four families' async reports run at once (Meta works on them in parallel; each waits
        // for its own report), then each is written in bounded transactions; the checkpoint moves on
        // once all four are stored (a run stopped midway re-reads the chunk; replace keeps it exact).
        const families = await Promise.all(breakdownReaders.map(async (b) => ({ family: b.family, rows: await patiently(() => b.reader.readRange(range)) })));
        let written = 0;
        for (const f of families) written += await replaceBreakdownFactsBatched(sql, { ...target, family: f.family, rows: f.rows }, guard, deps.writeBatchRows);
        const calls = graph.calls - callsBefore;
        callsBefore = graph.calls;
        await sql.begin(async (tx) => {
          await guard(tx);
          const version = await bumpDataVersion(tx, account.workspace_id);
          await saveProgress(tx, runId, { checkpoint: next, progress, days: 0, rows: written, apiCalls: calls });
          await tx`update public.ad_accounts set sync_progress = ${progress.toFixed(2)} where id = ${account.id}`;
          await publishEvent(tx, { type: "data", workspaceId: account.workspace_id, version });
          await publishEvent(tx, {
            type: "progress",
            workspaceId: account.workspace_id,
            adAccountId: account.id,
            runId,
            progress: Math.round(progress * 100) / 100,
          });
        });
        checkpoint = next;
        result.rows += written;
        await deps.onChunk?.({ runId, range, rows: written, remaining: next.remaining.length });
        continue;
      }
      const rows = await patiently(() => reader.readRange(range, status.wanted));
      await status.settle();
      const calls = graph.calls - callsBefore;
      callsBefore = graph.calls;
      const written = await writeAdFactsBatched(sql, { ...target, rows }, guard, deps.writeBatchRows);
      await sql.begin(async (tx) => {
        await guard(tx);
        const names = new Map<string, CampaignRow>();
        for (const r of rows) if (r.campaignName) names.set(r.campaignId, { id: r.campaignId, name: r.campaignName });
        await upsertCampaigns(tx, account.id, account.workspace_id, [...names.values()]);
        await upsertNamesFromFacts(tx, account.id, account.workspace_id, rows);
        await deriveCampaignFacts(tx, target);
        await refreshAccountAttribution(tx, account.id);
        const version = await bumpDataVersion(tx, account.workspace_id);
        await saveProgress(tx, runId, { checkpoint: next, progress, days: daysBetween(range.since, range.until), rows: written, apiCalls: calls });
        await tx`
          update public.ad_accounts set
            sync_progress = ${progress.toFixed(2)},
            backfilled_since = case when ${advancesBackfill} then least(coalesce(backfilled_since, ${range.since}::date), ${range.since}::date) else backfilled_since end
          where id = ${account.id}`;
        await publishEvent(tx, { type: "data", workspaceId: account.workspace_id, version });
        await publishEvent(tx, {
          type: "progress",
          workspaceId: account.workspace_id,
          adAccountId: account.id,
          runId,
          progress: Math.round(progress * 100) / 100,
        });
      });
      checkpoint = next;
      startImages?.();
      result.days += daysBetween(range.since, range.until);
      result.rows += written;
      await deps.onChunk?.({ runId, range, rows: written, remaining: next.remaining.length });
    }

    startImages?.();
    const tail = graph.calls - callsBefore;
    await sql.begin(async (tx) => {
      await guard(tx);
      await finishRun(tx, run!.id, { status: "succeeded", apiCalls: tail });
      await tx`
        update public.ad_accounts set
          sync_status = 'ok', sync_error = null, sync_progress = 100, last_synced_at = now(),
          last_incremental_at = case when ${run!.kind} in ('incremental', 'manual', 'backfill', 'full') then now() else last_incremental_at end,
          last_restated_at = case when ${run!.kind} in ('restatement', 'backfill', 'full') then now() else last_restated_at end
        where id = ${account.id}`;
      await publishEvent(tx, {
        type: "progress",
        workspaceId: account.workspace_id,
        adAccountId: account.id,
        runId: run!.id,
        progress: 100,
        status: "succeeded",
      });
    });
    result.apiCalls = graph.calls;
    result.durationMs = Date.now() - started;
    deps.log?.info(
      { adAccountId: account.id, runId: run.id, kind: run.kind, rows: result.rows, days: result.days, apiCalls: result.apiCalls },
      "sync finished",
    );
    return result;
  } catch (err) {
    result.apiCalls = graph?.calls ?? 0;
    result.durationMs = Date.now() - started;
    return await stopWithStatus(deps, account, run, err, result, owner);
  } finally {
    await creativeImages;
    clearInterval(heartbeat);
    await db((tx) => releaseLease(tx, account.id, owner)).catch(() => {});
  }
}
