/** Async insights jobs (report runs) and the batch endpoint. */
import type { Emulator } from "./emulator";
import { GReq, GRes, Job, Route, TokenRec, VERSION_RE, batchItem, errRes, json, select, stringifyValues } from "./common";
import { GraphError, paramError } from "./errors";
import { OLD_REACH_ASYNC_PER_DAY, isOldBreakdownReach } from "./insights";
import { dayStr, randomDigits } from "./util";
import { versionAtLeast } from "./versions";

export async function insightsAsync(emu: Emulator, route: Route, g: GReq, tok: TokenRec): Promise<GRes> {
  const { q, acct } = emu.insightsCommon(route, g);
  // Reach for breakdown queries older than 13 months: async jobs only, 10 per ad account per day;
  // beyond that the job's rows omit it like a sync query's.
  let oldReach = false;
  const today = emu.model.nowCtx(acct, emu.nowMs()).today;
  if (isOldBreakdownReach(q, today) && q.fields.some((f) => f === "reach" || f === "frequency" || f === "cpp")) {
    const k = `${acct.accountId}|${today}`;
    const used = emu.oldReachJobs.get(k) ?? 0;
    if (used < OLD_REACH_ASYNC_PER_DAY) {
      emu.oldReachJobs.set(k, used + 1);
      oldReach = true;
    }
  }
  const nowMs = emu.nowMs();
  // Meta answers the POST at once and computes the report while it is polled. A big breakdown report
  // takes the emulator tens of seconds of CPU: computed before answering, the POST outlived the
  // client's request timeout. A query Meta refuses (a bad breakdown combination) is refused by the
  // POST itself: that check runs before the first turn of the event loop.
  const query = { route, q, oldReach, nowMs };
  const computing = reportRows(emu, query);
  const refused = await Promise.race([
    computing.then(
      () => null,
      (err: unknown) => err,
    ),
    new Promise((r) => setImmediate(() => r(null))),
  ]);
  if (refused) throw refused;
  const f = emu.takeFault(["async_failed", "async_skipped"], acct, "insights_async");
  const all = q.ranges;
  const job: Job = {
    id: `6${randomDigits(14)}`,
    accountId: acct.accountId,
    createdReal: Date.now(),
    polls: 0,
    outcome: f?.kind === "async_failed" ? "failed" : f?.kind === "async_skipped" ? "skipped" : "completed",
    rows: null,
    computing: null,
    query,
    dateStart: dayStr(Math.min(...all.map((r) => r.since))),
    dateStop: dayStr(Math.max(...all.map((r) => r.until))),
    timeRef: Math.floor(emu.nowMs() / 1000),
    userId: tok.userId,
  };
  job.computing = computing.then(
    (rows) => {
      job.rows = rows;
      job.computing = null;
      keepRows(emu, job);
    },
    () => {
      // the world changed under it (a reset): Meta's answer to a report that could not run
      job.outcome = "failed";
      job.computing = null;
    },
  );
  emu.jobs.set(job.id, job);
  return json(200, { report_run_id: job.id });
}

/**
 * Rows held in memory for report runs, at most. Meta keeps a report's results for 30 days; holding
 * every result in memory made a long backfill of a big account (millions of breakdown rows) outgrow
 * the process. The newest reports keep their rows; an older report's rows are computed again from its
 * query, as of the moment it ran, when they are read (the world has not moved unless a test moved it).
 */
export const JOB_ROWS_KEPT = 500_000;

function keepRows(emu: Emulator, job: Job): void {
  if (!job.rows) return;
  emu.keptJobs.push(job);
  emu.keptJobRows += job.rows.length;
  const cap = emu.opts.jobRowsKept ?? JOB_ROWS_KEPT;
  while (emu.keptJobRows > cap && emu.keptJobs.length > 1) {
    const old = emu.keptJobs.shift()!;
    emu.keptJobRows -= old.rows?.length ?? 0;
    old.rows = null;
  }
}

/** A report's rows as of the moment it ran, outside the paging cache (the job holds them). */
function reportRows(emu: Emulator, query: Job["query"]): Promise<Array<Record<string, unknown>>> {
  return emu.computeRows(query.route, query.q, query.oldReach, { nowMs: query.nowMs, cache: false });
}

/** A completed report's rows: held, or computed again (see JOB_ROWS_KEPT). */
export async function jobRows(emu: Emulator, job: Job): Promise<Array<Record<string, unknown>>> {
  if (job.computing) await job.computing;
  if (job.rows) return job.rows;
  // readers of the same dropped report share one computation (and one place in the kept list)
  job.recomputing ??= reportRows(emu, job.query).then((rows) => {
    job.rows = rows;
    job.recomputing = undefined;
    keepRows(emu, job);
    return rows;
  });
  return job.recomputing;
}

export function jobState(emu: Emulator, j: Job, poll: boolean): { status: string; pct: number } {
  const state = stateByClock(emu, j, poll);
  // still computing: running, whatever the configured speed says
  const ended = state.status === "Job Completed" || state.status === "Job Failed" || state.status === "Job Skipped";
  return j.computing && ended ? { status: "Job Running", pct: 99 } : state;
}

function stateByClock(emu: Emulator, j: Job, poll: boolean): { status: string; pct: number } {
  const final = j.outcome === "completed" ? "Job Completed" : j.outcome === "failed" ? "Job Failed" : "Job Skipped";
  if (emu.asyncCfg.mode === "polls") {
    const k = j.polls;
    if (poll) j.polls++;
    const n = Math.max(1, emu.asyncCfg.pollsToComplete);
    if (k >= n) return { status: final, pct: j.outcome === "completed" ? 100 : Math.min(99, Math.round((100 * (n - 1)) / n)) };
    if (k <= 1) return { status: k === 0 ? "Job Not Started" : "Job Started", pct: 0 };
    return { status: "Job Running", pct: Math.round((100 * (k - 1)) / n) };
  }
  const frac = emu.asyncCfg.durationMs <= 0 ? 1 : (Date.now() - j.createdReal) / emu.asyncCfg.durationMs;
  if (frac >= 1) return { status: final, pct: j.outcome === "completed" ? 100 : 50 };
  if (frac < 0.1) return { status: "Job Not Started", pct: 0 };
  if (frac < 0.2) return { status: "Job Started", pct: 0 };
  return { status: "Job Running", pct: Math.min(99, Math.round(frac * 100)) };
}

export function jobObj(emu: Emulator, j: Job, fields: string[], poll: boolean, version: string | null): Record<string, unknown> {
  const st = emu.jobState(j, poll);
  const done = st.status === "Job Completed" || st.status === "Job Failed" || st.status === "Job Skipped";
  const obj: Record<string, unknown> = {
    id: j.id,
    account_id: j.accountId,
    time_ref: j.timeRef,
    time_completed: done ? j.timeRef + 3 : undefined,
    async_status: st.status,
    async_percent_completion: st.pct,
    date_start: j.dateStart,
    date_stop: j.dateStop,
    emails: [],
    friendly_name: "",
    is_bookmarked: false,
    is_running: !done,
    schedule_id: "0",
    error_code: undefined,
    error_subcode: undefined,
    error_message: undefined,
    error_user_title: undefined,
    error_user_msg: undefined,
  };
  if (st.status === "Job Failed") {
    Object.assign(obj, {
      error_code: -2,
      error_subcode: 2490547,
      error_message: "Report Failed. Please retry later.",
      error_user_title: "Report Failed",
      error_user_msg: "The report failed to run. Please retry later.",
    });
  }
  // From v25.0 a failed run carries the error_* fields by default (error_code became a signed int);
  // older versions returned them only when asked for in `fields`.
  const errorFields = ["error_code", "error_subcode", "error_message", "error_user_title", "error_user_msg"];
  const defaults = [
    "id",
    "account_id",
    "time_ref",
    "time_completed",
    "async_status",
    "async_percent_completion",
    "date_start",
    "date_stop",
    ...(versionAtLeast(version, 25) ? errorFields : []),
  ];
  return select(obj, fields, defaults, "AdReportRun");
}

export async function batch(emu: Emulator, g: GReq): Promise<GRes> {
  emu.count("batch", null);
  let items: unknown;
  try {
    items = JSON.parse(g.params.batch!);
  } catch {
    return errRes(paramError("The parameter batch must be a JSON array"));
  }
  if (!Array.isArray(items)) return errRes(paramError("The parameter batch must be a JSON array"));
  if (items.length > 50)
    return errRes(new GraphError(400, { message: "(#1) Too many requests in batch message. Maximum batch size is 50", type: "OAuthException", code: 1 }));
  if (items.length === 0) return errRes(paramError("The parameter batch must not be empty"));
  const top = emu.tokenOf(g);
  if (!top) return errRes(new GraphError(400, { message: "An access token is required to request emu resource.", type: "OAuthException", code: 104 }));
  const timeout = emu.takeFault(["batch_timeout"], null, "batch");
  const cutoff = timeout ? Math.ceil(items.length / 2) : Infinity;
  const includeHeaders = g.params.include_headers !== "false";
  const out: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i >= cutoff) {
      out.push(null);
      continue;
    }
    const it = items[i] as { method?: string; relative_url?: string; body?: string | Record<string, unknown> };
    if (!it || typeof it.relative_url !== "string") {
      out.push(batchItem(errRes(paramError("Each batch item needs a relative_url")), includeHeaders));
      continue;
    }
    const u = new URL(it.relative_url.replace(/^\/+/, "/").replace(/^(?!\/)/, "/"), "http://x");
    const params: Record<string, string> = {};
    u.searchParams.forEach((v, k) => (params[k] = v));
    if (it.body) Object.assign(params, typeof it.body === "string" ? Object.fromEntries(new URLSearchParams(it.body)) : stringifyValues(it.body));
    if (!params.access_token) {
      params.access_token = top;
      if (g.params.appsecret_proof && !params.appsecret_proof) params.appsecret_proof = g.params.appsecret_proof;
    }
    const segs = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    let version = g.version;
    if (segs[0] && VERSION_RE.test(segs[0])) version = segs.shift()!;
    const r = await emu.graph({ method: (it.method ?? "GET").toUpperCase(), version, path: segs, params, headers: {}, baseUrl: g.baseUrl, inBatch: true });
    out.push(r.drop ? null : batchItem(r, includeHeaders));
  }
  return json(200, out);
}
