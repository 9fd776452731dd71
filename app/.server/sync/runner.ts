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
import type { Sql, TransactionSql } from "postgres";
import type { GraphClient } from "../meta/graph";
import { MetaApiError } from "../meta/errors";
import { publishEvent } from "../realtime/publish";
import {
  SYNC_READ_MAX_DAYS,
  daysBetween,
  planSync,
  splitRange,
  type DayRange,
  type SyncKind,
} from "./planner";
import { upsertCampaigns, bumpDataVersion, type CampaignRow } from "./upsert";
import {
  AD_FIELDS, AD_INSIGHTS_FIELDS, ADSET_FIELDS, ALL_AD_STATUSES, BREAKDOWN_FIELDS, BREAKDOWN_READS, FETCHED_ATTRIBUTION_WINDOW,
  deriveCampaignFacts, writeAdFactsBatched, replaceBreakdownFactsBatched, toAdFactRow, toBreakdownRow, upsertAdObjects, upsertNamesFromFacts,
  type AdFactRow, type BreakdownFamily, type BreakdownRow, type MetaAd, type MetaAdSet,
} from "./ads";
import { refreshCreativeImages, type CreativeImageOptions } from "./creatives";
import { refreshAccountStatus } from "./account-status";
import { parseAttributionChoice, insightsAttributionParams, type AttributionChoice } from "../meta/attribution";
import { refreshAccountAttribution } from "./attribution";
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

export type GraphPort = Pick<GraphClient, "get" | "post" | "pages" | "calls">;

export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SyncDeps {
  sql: Sql;
  /** A Graph client for this token (the caller decides URL, version, app secret, governor). */
  graphFor(accessToken: string): GraphPort;
  /** Reads the connection's token (from the vault) inside a service transaction. */
  getToken(tx: TransactionSql, connectionId: string): Promise<string>;
  /** Flags the connection so nothing calls Meta with it until the user reconnects. */
  markNeedsReauth(tx: TransactionSql, connectionId: string, reason: string): Promise<void>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  log?: SyncLogger;
  /** How long a lease lasts without renewal (renewed every third of it while the run works). */
  leaseMs?: number;
  asyncPollMinMs?: number;
  asyncPollMaxMs?: number;
  asyncTimeoutMs?: number;
  /**
   * Rate-limit waits up to this long are sat out inside the run (holding the lease); longer ones end
   * the run as "paused" and the scheduler continues it later. Default 15 minutes.
   */
  maxRateLimitWaitMs?: number;
  /** Rows per page requested from Meta. */
  pageSize?: number;
  /**
   * Audience breakdowns are read for chunks ending within this many days of today (default 400: the
   * default 13-month backfill). 0 reads none (tests of other concerns, to stay fast).
   */
  breakdownHistoryDays?: number;
  /** Fetches creative images into our database after object syncs (absent: images are not fetched). */
  creativeImages?: CreativeImageOptions;
  /**
   * Fact rows per write transaction (default 5000). The embedded engine has one connection, so every
   * page request waits behind the transaction in progress: smaller ones keep pages answering.
   */
  writeBatchRows?: number;
  /** Called after each committed chunk (tests use it to kill a worker mid-backfill). */
  onChunk?: (info: { runId: string; range: DayRange; rows: number; remaining: number }) => void | Promise<void>;
  /** Called once a run has ended and committed, whatever its outcome (alerts evaluate here). */
  afterRun?: (info: { adAccountId: string; status: SyncStatus; now: Date }) => Promise<unknown>;
}

export interface SyncRequest {
  adAccountId: string;
  kind: SyncKind;
  /** CLI --since: read from this day (clamped to the history window). */
  since?: string;
}

export type SyncStatus = "succeeded" | "failed" | "needs_reauth" | "paused" | "skipped";

export interface SyncResult {
  runId: string | null;
  adAccountId: string;
  status: SyncStatus;
  days: number;
  rows: number;
  apiCalls: number;
  durationMs: number;
  /** Human text for people (never a token). */
  error?: string;
  /** For "paused": how long until Meta accepts calls again. */
  retryAfterMs?: number;
}


/** Every status, so archived and deleted campaigns keep their history (Meta hides them by default). */
export const ALL_CAMPAIGN_STATUSES = ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "IN_PROCESS", "WITH_ISSUES"];

const DONE = new Set(["Job Completed"]);
const FAILED = new Set(["Job Failed", "Job Skipped"]);

/** A chunk of a run's checkpoint: the ad facts of a range, or (part "breakdowns") its audience facts. */
type ChunkRange = DayRange & { part?: "breakdowns" };

class LeaseLostError extends Error {
  constructor() {
    super("Another worker took over this account's sync; this run stopped without writing further");
  }
}

interface AccountRow {
  id: string;
  currency: string;
  agency_id: string;
  workspace_id: string;
  connection_id: string | null;
  meta_account_id: string;
  timezone_name: string;
  backfill_months: number;
  backfilled_since: string | null;
  connection_status: string | null;
  attribution_windows: string[] | null;
}

const passthrough = { parse: (v: unknown) => v, safeParse: (v: unknown) => ({ success: true as const, data: v }) };
/** The Graph client validates with zod when given a schema; rows are validated by each read's toRow instead. */
const anySchema = passthrough as never;

/** Runs one sync of one ad account to the end (or to a clear stop). Never throws for Meta errors. */
export async function runSync(deps: SyncDeps, req: SyncRequest): Promise<SyncResult> {
  const result = await runSyncToEnd(deps, req);
  // a skipped run changed nothing; every other outcome may open or clear an alert
  if (deps.afterRun && result.status !== "skipped") await deps.afterRun({ adAccountId: req.adAccountId, status: result.status, now: (deps.now ?? (() => new Date()))() });
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

  const [account] = await db((tx) => tx<AccountRow[]>`
    select a.id, a.currency, a.agency_id, a.workspace_id, a.connection_id, a.meta_account_id, a.timezone_name, a.backfill_months,
           to_char(a.backfilled_since, 'YYYY-MM-DD') as backfilled_since, c.status as connection_status,
           (select w.attribution_windows from public.workspaces w where w.id = a.workspace_id) as attribution_windows
    from public.ad_accounts a left join public.meta_connections c on c.id = a.connection_id
    where a.id = ${req.adAccountId}`);
  if (!account) throw new Error(`No ad account ${req.adAccountId}`);

  if (!(await db((tx) => acquireLease(tx, account.id, owner, leaseMs)))) {
    return { ...result, status: "skipped", error: "A sync of this ad account is already running", durationMs: Date.now() - started };
  }
  // Keeps the lease while long reads run; a run that cannot renew stops before its next write.
  let leaseLost = false;
  const heartbeat = setInterval(() => {
    db((tx) => renewLease(tx, account.id, owner, leaseMs)).then(
      (ok) => (leaseLost ||= !ok),
      () => {},
    );
  }, Math.max(200, Math.floor(leaseMs / 3)));

  let run: RunRow | null = null;
  let graph: GraphPort | null = null;
  try {
    if (!account.connection_id || account.connection_status !== "active") {
      const text = account.connection_id
        ? "The Meta connection needs to be re-authorised before this account can sync"
        : "This ad account has no Meta connection";
      run = await db(async (tx) => {
        const r = await createRun(tx, { agencyId: account.agency_id, workspaceId: account.workspace_id, adAccountId: account.id, kind: req.kind, range: { since: "1970-01-01", until: "1970-01-01" }, checkpoint: { remaining: [], total: 0, today: "" } });
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
      await db((tx) => markRunResumed(tx, resumable.id));
      deps.log?.info({ runId: run.id, remaining: checkpoint.remaining.length }, "resuming sync run from checkpoint");
    } else {
      const plan = planSync({ kind: req.kind, timeZone: account.timezone_name, now: now(), backfillMonths: account.backfill_months, backfilledSince: account.backfilled_since, since: req.since });
      // Headline numbers first (ad facts, newest first), then the audience breakdowns of the same
      // chunks within the breakdown history: dashboards fill before the heavier breakdown reads run.
      const history = req.kind === "incremental" ? -1 : (deps.breakdownHistoryDays ?? 400);
      const audience = plan.chunks.filter((c) => daysBetween(c.until, plan.today) <= history).map((c): ChunkRange => ({ ...c, part: "breakdowns" }));
      const remaining: ChunkRange[] = [...plan.chunks, ...audience];
      checkpoint = { remaining, total: remaining.length, today: plan.today };
      run = await db((tx) => createRun(tx, { agencyId: account.agency_id, workspaceId: account.workspace_id, adAccountId: account.id, kind: req.kind, range: plan.range, checkpoint }));
    }
    result.runId = run.id;
    await db((tx) => tx`update public.ad_accounts set sync_status = 'syncing', sync_error = null where id = ${account.id}`);

    const token = await sql.begin((tx) => deps.getToken(tx, account.connection_id!));
    graph = deps.graphFor(token);
    await refreshAccountStatus(sql, graph, account.id, account.meta_account_id);
    // Conversions are read under the workspace's attribution windows (ADR 0071); every fact row records
    // the windows it was read with. A `conversions` run (the choice changed) re-reads whole chunks here:
    // campaign facts are sums of ad rows, so the ad rows must carry the new windows too.
    const attribution = parseAttributionChoice(account.attribution_windows);
    const readerOptions = { sleep, pollMin: deps.asyncPollMinMs ?? 1000, pollMax: deps.asyncPollMaxMs ?? 30_000, timeout: deps.asyncTimeoutMs ?? 15 * 60_000, pageSize: deps.pageSize ?? DEFAULT_PAGE_SIZE, attribution, log: deps.log };
    const reader = new RangeReader(graph, account.meta_account_id, readerOptions, adRead(attribution));
    // Breakdowns change slowly and cost four reads a chunk: planned for every pass but the frequent incremental one.
    const breakdownReaders = (Object.keys(BREAKDOWN_READS) as BreakdownFamily[]).map((family) => ({ family, reader: new RangeReader(graph!, account.meta_account_id, readerOptions, breakdownRead(family, attribution)) }));

    // Meta's rate limit answers say how long to wait; sitting it out beats giving up a 37-month
    // backfill. The governor normally slows calls before Meta has to refuse them.
    const maxWait = deps.maxRateLimitWaitMs ?? 15 * 60_000;
    const patiently = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn();
        } catch (err) {
          if (!(err instanceof MetaApiError) || err.kind !== "rate_limited" || attempt >= 8) throw err;
          const wait = err.retryAfterMs ?? 60_000;
          if (wait > maxWait) throw err;
          deps.log?.info({ adAccountId: account.id, waitMs: wait }, "Meta rate limit: waiting before continuing");
          await sleep(wait);
        }
      }
    };

    // The campaigns list (with archived and deleted ones) on full reads, so old facts keep names and status.
    if (req.kind !== "incremental" && req.kind !== "manual" && req.kind !== "conversions") {
      const campaigns = await patiently(() => reader.campaigns());
      await sql.begin((tx) => upsertCampaigns(tx, account.id, account.workspace_id, campaigns));
      const sets = await patiently(() => reader.list<MetaAdSet>("adsets", ADSET_FIELDS));
      const ads = await patiently(() => reader.list<MetaAd>("ads", AD_FIELDS));
      await sql.begin((tx) => upsertAdObjects(tx, { id: account.id, workspaceId: account.workspace_id, currency: account.currency }, sets, ads));
      if (deps.creativeImages) {
        // Right after the objects (their image URLs are fresh now, and expire): pages show creatives
        // while the history is still arriving. A failure is recorded per creative, never fails the sync.
        const images = await refreshCreativeImages(sql, account.id, deps.creativeImages).catch((err) => {
          deps.log?.warn({ adAccountId: account.id, err: String(err) }, "creative images not refreshed");
          return null;
        });
        if (images?.fetched) {
          await sql.begin(async (tx) => {
            const version = await bumpDataVersion(tx, account.workspace_id);
            await publishEvent(tx, { type: "data", workspaceId: account.workspace_id, version });
          });
        }
      }
    }

    const advancesBackfill = run.kind === "backfill" || run.kind === "full";
    let callsBefore = 0;
    while (checkpoint.remaining.length > 0) {
      const chunk = checkpoint.remaining[0]! as ChunkRange;
      const range: DayRange = { since: chunk.since, until: chunk.until };
      const next: Checkpoint = { ...checkpoint, remaining: checkpoint.remaining.slice(1) };
      const progress = next.total === 0 ? 100 : ((next.total - next.remaining.length) / next.total) * 100;
      const runId = run.id;
      const target = { adAccountId: account.id, workspaceId: account.workspace_id, range, window: FETCHED_ATTRIBUTION_WINDOW };
      const guard = async (tx: TransactionSql) => {
        if (leaseLost || !(await renewLease(tx, account.id, owner, leaseMs))) throw new LeaseLostError();
      };
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
          await publishEvent(tx, { type: "progress", workspaceId: account.workspace_id, adAccountId: account.id, runId, progress: Math.round(progress * 100) / 100 });
        });
        checkpoint = next;
        result.rows += written;
        await deps.onChunk?.({ runId, range, rows: written, remaining: next.remaining.length });
        continue;
      }
      const rows = await patiently(() => reader.readRange(range));
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
        await publishEvent(tx, { type: "progress", workspaceId: account.workspace_id, adAccountId: account.id, runId, progress: Math.round(progress * 100) / 100 });
      });
      checkpoint = next;
      result.days += daysBetween(range.since, range.until);
      result.rows += written;
      await deps.onChunk?.({ runId, range, rows: written, remaining: next.remaining.length });
    }

    const tail = graph.calls - callsBefore;
    await sql.begin(async (tx) => {
      await finishRun(tx, run!.id, { status: "succeeded", apiCalls: tail });
      await tx`
        update public.ad_accounts set
          sync_status = 'ok', sync_error = null, sync_progress = 100, last_synced_at = now(),
          last_incremental_at = case when ${run!.kind} in ('incremental', 'manual', 'backfill', 'full') then now() else last_incremental_at end,
          last_restated_at = case when ${run!.kind} in ('restatement', 'backfill', 'full') then now() else last_restated_at end
        where id = ${account.id}`;
      await publishEvent(tx, { type: "progress", workspaceId: account.workspace_id, adAccountId: account.id, runId: run!.id, progress: 100, status: "succeeded" });
    });
    result.apiCalls = graph.calls;
    result.durationMs = Date.now() - started;
    deps.log?.info({ adAccountId: account.id, runId: run.id, kind: run.kind, rows: result.rows, days: result.days, apiCalls: result.apiCalls }, "sync finished");
    return result;
  } catch (err) {
    result.apiCalls = graph?.calls ?? 0;
    result.durationMs = Date.now() - started;
    return await stopWithStatus(deps, account, run, err, result);
  } finally {
    clearInterval(heartbeat);
    await db((tx) => releaseLease(tx, account.id, owner)).catch(() => {});
  }
}

/** Turns a failure into a clear, stored status. Only unexpected non-Meta errors are rethrown. */
async function stopWithStatus(deps: SyncDeps, account: AccountRow, run: RunRow | null, err: unknown, result: SyncResult): Promise<SyncResult> {
  const sql = deps.sql;
  const runId = run?.id ?? null;
  const recordedCalls = async (tx: TransactionSql) => {
    // api_calls of committed chunks are already counted; add the calls since the last chunk.
    if (!runId) return 0;
    const [r] = await tx<{ api_calls: number }[]>`select api_calls from public.sync_runs where id = ${runId}`;
    return Math.max(0, result.apiCalls - (r?.api_calls ?? 0));
  };
  if (err instanceof LeaseLostError) {
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
  if (!(err instanceof MetaApiError) && !(err instanceof Error && /^Meta (sent|returned)/.test(err.message))) throw err;
  return { ...result, status: "failed", error: text };
}

/**
 * Rows per insights page. Result pages are most of a backfill's calls (ad x day x platform rows and
 * the age x gender family are large), so pages are as big as Meta serves; a page Meta finds too big
 * answers "reduce the amount of data", which the reader's split path already handles (ADR 0080).
 */
export const DEFAULT_PAGE_SIZE = 5000;

interface ReaderOptions {
  sleep: (ms: number) => Promise<void>;
  pollMin: number;
  pollMax: number;
  timeout: number;
  pageSize: number;
  /** attribution windows for conversions (null: each ad account's own setting) */
  attribution?: AttributionChoice;
  /** read only the conversion fields (a `conversions` re-sync) */
  conversionsOnly?: boolean;
  log?: SyncLogger;
}

/** What one kind of read asks Meta for, and how its rows are validated. */
export interface ReadSpec<T> {
  level: "ad" | "adset" | "campaign";
  breakdowns: string[];
  fields: readonly string[];
  toRow(r: Record<string, unknown>): T;
}

/** The read every figure is summed from: ad x day x publisher_platform (all statuses). */
export function adRead(choice: AttributionChoice): ReadSpec<AdFactRow> {
  return { level: "ad", breakdowns: ["publisher_platform"], fields: AD_INSIGHTS_FIELDS, toRow: (r) => toAdFactRow(r, choice) };
}

export function breakdownRead(family: BreakdownFamily, choice: AttributionChoice): ReadSpec<BreakdownRow> {
  return { level: "adset", breakdowns: BREAKDOWN_READS[family].breakdowns, fields: BREAKDOWN_FIELDS, toRow: (r) => toBreakdownRow(family, r, choice) };
}

/** Reads insights rows for day ranges of one ad account, with the fallbacks described above. */
export class RangeReader<T = AdFactRow> {
  private campaignIds: string[] | null = null;
  constructor(
    private graph: GraphPort,
    private actId: string,
    private o: ReaderOptions,
    private spec: ReadSpec<T>,
  ) {}

  private params(range: DayRange, campaignId?: string): Record<string, unknown> {
    const filtering: object[] = [{ field: "campaign.effective_status", operator: "IN", value: ALL_CAMPAIGN_STATUSES }];
    if (this.spec.level === "ad") filtering.push({ field: "ad.effective_status", operator: "IN", value: ALL_AD_STATUSES });
    if (campaignId) filtering.push({ field: "campaign.id", operator: "EQUAL", value: campaignId });
    const { extraFields, ...windows } = insightsAttributionParams(this.o.attribution ?? null);
    return {
      level: this.spec.level,
      breakdowns: this.spec.breakdowns,
      time_increment: 1,
      fields: [...new Set([...this.spec.fields, ...extraFields])].join(","),
      ...windows,
      time_range: { since: range.since, until: range.until },
      filtering,
      limit: this.o.pageSize,
    };
  }

  async campaigns(): Promise<CampaignRow[]> {
    const out: CampaignRow[] = [];
    for await (const page of this.graph.pages<CampaignRow>(
      `${this.actId}/campaigns`,
      { fields: "id,name,objective,status,effective_status", effective_status: ALL_CAMPAIGN_STATUSES, limit: 500 },
      anySchema,
    )) {
      for (const c of page) if (c && typeof c.id === "string" && typeof c.name === "string") out.push(c);
    }
    this.campaignIds = out.map((c) => c.id);
    return out;
  }

  /** An object edge of the account (ad sets, ads) with every status, all pages. */
  async list<O>(edge: "adsets" | "ads", fields: string): Promise<O[]> {
    const out: O[] = [];
    const statuses = ALL_AD_STATUSES;
    for await (const page of this.graph.pages<O>(`${this.actId}/${edge}`, { fields, effective_status: statuses, limit: 500 }, anySchema)) {
      for (const o of page) if (o && typeof o === "object") out.push(o);
    }
    return out;
  }

  /** All rows of the range, or a MetaApiError once every fallback is exhausted. */
  async readRange(range: DayRange): Promise<T[]> {
    let first: unknown;
    try {
      return await this.readOnce(range);
    } catch (err) {
      if (!(err instanceof MetaApiError) || (err.kind !== "async_failed" && err.kind !== "too_much_data")) throw err;
      first = err;
    }
    if ((first as MetaApiError).kind === "async_failed") {
      try {
        return await this.readOnce(range);
      } catch (err) {
        if (!(err instanceof MetaApiError) || (err.kind !== "async_failed" && err.kind !== "too_much_data")) throw err;
      }
    }
    if (daysBetween(range.since, range.until) > 1) {
      const [a, b] = splitRange(range);
      return [...(await this.readRange(a)), ...(await this.readRange(b))];
    }
    return this.readByCampaign(range);
  }

  private async readByCampaign(range: DayRange): Promise<T[]> {
    if (!this.campaignIds) await this.campaigns();
    const rows: T[] = [];
    for (const id of this.campaignIds!) {
      try {
        rows.push(...(await this.readOnce(range, id)));
      } catch (err) {
        if (!(err instanceof MetaApiError) || err.kind !== "async_failed") throw err;
        rows.push(...(await this.readOnce(range, id)));
      }
    }
    return rows;
  }

  private async readOnce(range: DayRange, campaignId?: string): Promise<T[]> {
    const params = this.params(range, campaignId);
    if (daysBetween(range.since, range.until) <= SYNC_READ_MAX_DAYS) return this.collect(`${this.actId}/insights`, params);
    const started = await this.graph.post<{ report_run_id?: string }>(`${this.actId}/insights`, params, undefined, { accountId: this.actId });
    const id = started?.report_run_id;
    if (!id || !/^\d+$/.test(String(id))) throw new MetaApiError("unknown", "Meta did not return a report_run_id for an async insights request");
    await this.waitForReport(String(id));
    return this.collect(`${id}/insights`, { limit: this.o.pageSize });
  }

  private async waitForReport(id: string): Promise<void> {
    const deadline = Date.now() + this.o.timeout;
    let delay = this.o.pollMin;
    // A report is never done the moment it is created: a first poll right away is a wasted call.
    await this.o.sleep(delay);
    for (;;) {
      const r = await this.graph.get<ReportRunStatus>(id, { fields: REPORT_RUN_FIELDS }, undefined, { accountId: this.actId });
      const status = String(r?.async_status ?? "");
      if (DONE.has(status) && Number(r?.async_percent_completion ?? 100) >= 100) return;
      if (FAILED.has(status)) throw reportRunError(status, r, this.actId, this.o.log);
      if (Date.now() + delay > deadline) throw new MetaApiError("async_failed", `Meta's async report did not finish within ${Math.round(this.o.timeout / 1000)} s`);
      await this.o.sleep(delay);
      delay = Math.min(this.o.pollMax, delay * 2);
    }
  }

  private async collect(path: string, params: Record<string, unknown>): Promise<T[]> {
    const rows: T[] = [];
    for await (const page of this.graph.pages<Record<string, unknown>>(path, params, anySchema, { accountId: this.actId })) {
      for (const r of page) rows.push(this.spec.toRow(r));
    }
    return rows;
  }
}

/** A report run's status and, when it failed, Meta's reasons (returned by default from v25). */
interface ReportRunStatus {
  async_status?: string;
  async_percent_completion?: number;
  error_code?: number;
  error_subcode?: number;
  error_message?: string;
  error_user_title?: string;
  error_user_msg?: string;
}
const REPORT_RUN_FIELDS = "async_status,async_percent_completion,error_code,error_subcode,error_message,error_user_title,error_user_msg";

/** A failed or skipped report run as an error that carries Meta's reasons (logged, and in the run's error text). */
function reportRunError(status: string, r: ReportRunStatus, actId: string, log?: SyncLogger): MetaApiError {
  const what = status === "Job Skipped" ? "expired" : "failed";
  const code = typeof r.error_code === "number" ? r.error_code : undefined;
  const subcode = typeof r.error_subcode === "number" ? r.error_subcode : undefined;
  const reason = [r.error_user_title, r.error_user_msg ?? r.error_message].filter((x) => typeof x === "string" && x).join(": ").slice(0, 300);
  const tag = code !== undefined ? ` [code ${code}${subcode !== undefined ? `/${subcode}` : ""}]` : "";
  log?.warn({ account: actId, status, errorCode: code, errorSubcode: subcode, errorMessage: r.error_message, errorUserTitle: r.error_user_title, errorUserMsg: r.error_user_msg }, "Meta async report did not complete");
  // -3 / 1504045: the report is too large; the reader splits it like any too-much-data answer.
  const kind = code === -3 || subcode === 1504045 ? "too_much_data" : "async_failed";
  return new MetaApiError(kind, `Meta's async report ${what}${reason ? `: ${reason}` : ""}${tag}`, { code, subcode, metaMessage: r.error_message });
}
