import type { IncomingMessage, ServerResponse } from "node:http";
import { scenarioControl } from "./scenarios";
import { Buffer } from "node:buffer";
import { buildWorld, AdAccount, Campaign, PLATFORMS, User, World, WorldSpec, campaignStartMs } from "./world";
import { Aggregator, DataModel, DEFAULT_MODEL, ModelConfig, UnitValues } from "./data";
import { DEFAULT_LIMITS, DeepPartial, LimitsConfig, mergeLimits, RateContext, RateLimiter, BucType } from "./ratelimit";
import { GraphError, GraphErrorBody, nonexistingField, paramError, tokenError, TOO_MUCH_DATA_MESSAGE, UNSUPPORTED_GET, wwwAuthenticate } from "./errors";
import { earliestDay, InsightsQuery, isOldBreakdownReach, OLD_REACH_ASYNC_PER_DAY, parseInsightsQuery, parseList, runInsights, parseJson } from "./insights";
import { CONVERSION_ACTION_PRIORITY } from "./conversions";
import {
  dayNum, dayStr, decCursor, encCursor, fbtraceId, fmtLocalTime, hmacHex, localMidnightMs, moneyFixed, parseMoneyToMinor,
  randomDigits, randomId, tzOffsetHours,
} from "./util";
import { createHmac } from "node:crypto";
import { AdsCatalog, parseFields, type AdNode } from "./ads";
import { needsAdsPath, runAdInsights, type AdScope } from "./ads-insights";
import { checkVersion, versionAtLeast } from "./versions";
import { AVAILABLE_WINDOWS, parseSetting, settingAmount, settingName, windowAmount } from "./attribution";

export const DEFAULT_APP_ID = "1000000000000001";
export const DEFAULT_APP_SECRET = "emulator-app-secret";
export const DEFAULT_SCOPES = ["ads_read", "ads_management", "business_management", "public_profile"];

export interface AsyncJobConfig {
  /** "time": progresses with wall time over durationMs; "polls": one stage per GET of the report run. */
  mode: "time" | "polls";
  durationMs: number;
  pollsToComplete: number;
}

export interface LoginConfig {
  type: "USER" | "SYSTEM_USER";
  scopes: string[];
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  seed?: string | number;
  /** Freezes the emulator clock at this instant (change it with POST /__emulator/clock). Default: real time. */
  now?: Date | string;
  appId?: string;
  appSecret?: string;
  appName?: string;
  requireAppsecretProof?: boolean;
  world?: WorldSpec;
  limits?: DeepPartial<LimitsConfig>;
  asyncJob?: Partial<AsyncJobConfig>;
  tokenLifetimes?: { codeExchangeSeconds?: number; longLivedSeconds?: number; controlTokenSeconds?: number };
  defaultPageSize?: number;
  maxPageSize?: number;
  hideArchivedInInsights?: boolean;
  /** Allow-list of versions (e.g. ["v25.0","v26.0"]); others get error 2635. Default: the version table (versions.ts) at the emulator clock. */
  versions?: string[];
  /** Version named in the 2635 message. Default: the newest live version at the emulator clock. */
  latestVersion?: string;
  model?: Partial<ModelConfig>;
  loginConfigs?: Record<string, LoginConfig>;
  /** UNCONFIRMED upstream: rows with zero impressions and zero spend are left out (default true). */
  omitZeroRows?: boolean;
  /** UNCONFIRMED upstream threshold: age/gender breakdown rows with fewer impressions are left out (default 20). */
  breakdownMinImpressions?: number;
  /** UNCONFIRMED upstream: whether a bare numeric ad account id (without act_) resolves (default false → 100/33). */
  acceptBareAccountId?: boolean;
  /** UNCONFIRMED upstream: data_access_expires_at = issued_at + this many days (default 90). */
  dataAccessExpiryDays?: number;
  /** Base URL used in paging `next` links; default: derived from the request Host header. */
  publicUrl?: string;
  log?: (line: string) => void;
}

export const DEFAULT_LOGIN_CONFIGS: Record<string, LoginConfig> = {
  "900000000000001": { type: "SYSTEM_USER", scopes: ["ads_read", "ads_management", "business_management"] },
  "900000000000002": { type: "USER", scopes: ["ads_read", "ads_management", "business_management"] },
};

interface TokenRec {
  token: string;
  userId: string;
  type: "USER" | "SYSTEM_USER";
  scopes: string[];
  issuedAt: number; // unix s
  expiresAt: number; // unix s, 0 = never
  state: "valid" | "expired" | "revoked";
  expiredAtMs?: number;
}

interface CodeRec {
  userId: string;
  redirectUri: string;
  scopes: string[];
  type: "USER" | "SYSTEM_USER";
  used: boolean;
  expiresAtMs: number;
}

interface DialogReq {
  clientId: string;
  redirectUri: string;
  state?: string;
  scope?: string;
  configId?: string;
  responseType: string;
}

interface Job {
  id: string;
  accountId: string;
  createdReal: number;
  polls: number;
  outcome: "completed" | "failed" | "skipped";
  rows: Array<Record<string, unknown>>;
  dateStart: string;
  dateStop: string;
  timeRef: number;
  userId: string;
}

export interface Fault {
  kind: string;
  remaining: number;
  account?: string;
  endpoint?: string;
  delayMs?: number;
  subcode?: number;
}

const FAULT_KINDS = new Set([
  "http500", "code1", "code2", "code17", "code80000", "code80004", "code4", "code613", "slow", "drop", "async_failed",
  "async_skipped", "batch_timeout", "code190",
]);

interface GReq {
  method: string;
  version: string | null;
  path: string[];
  params: Record<string, string>;
  headers: Record<string, string | undefined>;
  baseUrl: string;
  inBatch?: boolean;
}

export interface GRes {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  html?: string;
  text?: string;
  location?: string;
  drop?: boolean;
}

interface Route {
  kind: string;
  account: AdAccount | null;
  campaign?: Campaign;
  job?: Job;
  user?: User;
  business?: { id: string; name: string };
  adNode?: AdNode;
  marketing: boolean;
  needsToken: boolean;
}

const VERSION_RE = /^v\d+\.\d+$/;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): GRes => ({ status, headers, body });

export function appsecretProof(token: string, secret: string): string {
  return hmacHex(secret, token);
}

export class Emulator {
  appId: string;
  appSecret: string;
  appName: string;
  requireProof: boolean;
  world!: World;
  model!: DataModel;
  ads!: AdsCatalog;
  limiter: RateLimiter;
  seed = "1";
  frozenNow: number | null = null;
  tokens = new Map<string, TokenRec>();
  codes = new Map<string, CodeRec>();
  dialogs = new Map<string, DialogReq>();
  jobs = new Map<string, Job>();
  faults: Fault[] = [];
  calls = { total: 0, byKind: {} as Record<string, number>, byAccount: {} as Record<string, number> };
  asyncCfg: AsyncJobConfig;
  private baseLimits: LimitsConfig;
  private opts: EmulatorOptions;

  constructor(opts: EmulatorOptions = {}) {
    this.opts = opts;
    this.appId = opts.appId ?? DEFAULT_APP_ID;
    this.appSecret = opts.appSecret ?? DEFAULT_APP_SECRET;
    this.appName = opts.appName ?? "Spendlane (emulated)";
    this.requireProof = opts.requireAppsecretProof ?? true;
    this.baseLimits = mergeLimits(DEFAULT_LIMITS, opts.limits);
    this.limiter = new RateLimiter(mergeLimits(this.baseLimits));
    this.asyncCfg = { mode: "time", durationMs: 1500, pollsToComplete: 4, ...opts.asyncJob };
    this.reset({ seed: opts.seed ?? "1", world: opts.world, now: opts.now });
  }

  log(s: string): void {
    this.opts.log?.(s);
  }

  // ---------------- state ----------------
  reset(r: { seed?: string | number; world?: WorldSpec; now?: Date | string | null }): void {
    this.seed = String(r.seed ?? this.seed);
    this.world = buildWorld(this.seed, r.world ?? this.opts.world);
    this.model = new DataModel(this.world, this.seed, { ...DEFAULT_MODEL, ...this.opts.model });
    this.ads = new AdsCatalog(this);
    this.dataVersion++;
    this.tokens.clear();
    this.codes.clear();
    this.dialogs.clear();
    this.jobs.clear();
    this.oldReachJobs?.clear();
    this.faults = [];
    this.limiter.cfg = mergeLimits(this.baseLimits);
    this.limiter.reset();
    this.resetCalls();
    if (r.now !== undefined) this.setNow(r.now);
  }

  setNow(now: Date | string | number | null): void {
    if (now == null) {
      this.frozenNow = null;
      return;
    }
    const ms = now instanceof Date ? now.getTime() : typeof now === "number" ? now : Date.parse(now);
    if (Number.isNaN(ms)) throw new Error(`invalid now: ${String(now)}`);
    this.frozenNow = ms;
  }

  nowMs(): number {
    return this.frozenNow ?? Date.now();
  }

  resetCalls(): void {
    this.calls = { total: 0, byKind: {}, byAccount: {} };
  }

  private count(kind: string, account: AdAccount | null): void {
    this.calls.total++;
    this.calls.byKind[kind] = (this.calls.byKind[kind] ?? 0) + 1;
    if (account) this.calls.byAccount[account.id] = (this.calls.byAccount[account.id] ?? 0) + 1;
  }

  issueToken(userId: string, type: "USER" | "SYSTEM_USER", expiresInSeconds: number | null, scopes = DEFAULT_SCOPES): TokenRec {
    const now = Math.floor(this.nowMs() / 1000);
    const token = `EAA${randomId(6).replace(/[-_]/g, "B")}${randomId(48).replace(/[-_]/g, "Z")}`;
    const rec: TokenRec = {
      token,
      userId,
      type,
      scopes,
      issuedAt: now,
      expiresAt: type === "SYSTEM_USER" || expiresInSeconds == null ? 0 : now + expiresInSeconds,
      state: "valid",
    };
    this.tokens.set(token, rec);
    return rec;
  }

  addFault(f: Partial<Fault> & { kind: string; count?: number }): Fault {
    if (!FAULT_KINDS.has(f.kind)) throw new Error(`unknown fault kind ${f.kind}; one of ${[...FAULT_KINDS].join(", ")}`);
    const fault: Fault = {
      kind: f.kind,
      remaining: Math.max(1, Number(f.count ?? 1)),
      account: f.account ? String(f.account).replace(/^act_/, "") : undefined,
      endpoint: f.endpoint,
      delayMs: f.delayMs,
      subcode: f.subcode,
    };
    this.faults.push(fault);
    return fault;
  }

  private takeFault(kinds: string[], account: AdAccount | null, endpoint: string): Fault | null {
    const i = this.faults.findIndex(
      (f) => kinds.includes(f.kind) && (!f.account || f.account === account?.accountId) && (!f.endpoint || f.endpoint === endpoint),
    );
    if (i < 0) return null;
    const f = this.faults[i]!;
    f.remaining--;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return f;
  }

  account(idOrAct: string): AdAccount | undefined {
    return this.world.accountsById.get(String(idOrAct).replace(/^act_/, ""));
  }

  // ---------------- truth ----------------
  truth(q: { account: string; since: string; until: string; level?: string; platform?: string; campaign?: string; window?: string }): unknown {
    const acct = this.account(q.account);
    if (!acct) throw new Error(`unknown account ${q.account}`);
    // conversions under the given windows (comma list), or the account's own attribution setting
    const setting = q.window ? parseSetting(q.window) : acct.attributionSetting;
    const s = dayNum(q.since);
    const u = dayNum(q.until);
    if (Number.isNaN(s) || Number.isNaN(u) || u < s) throw new Error("since/until must be YYYY-MM-DD with since <= until");
    const now = this.model.nowCtx(acct, this.nowMs());
    let camps = acct.campaigns;
    if (q.campaign) camps = camps.filter((c) => c.id === q.campaign);
    const pis = PLATFORMS.map((_, i) => i).filter((i) => !q.platform || PLATFORMS[i] === q.platform);
    const summarize = (cs: Campaign[]) => {
      const agg = new Aggregator(acct);
      let rows = 0;
      for (const c of cs)
        for (const pi of pis)
          for (let d = s; d <= Math.min(u, now.today); d++) {
            const v = this.model.unit(c, pi, d, now);
            if (v) {
              agg.add(c, v);
              if (v.impressions > 0 || v.spend > 0) rows++;
            }
          }
      const t = agg.finish();
      return {
        spend: moneyFixed(t.spend, acct.offset),
        spend_minor: t.spend,
        impressions: t.impressions,
        clicks: t.clicks,
        inline_link_clicks: t.link,
        conversions: settingAmount(t.credit, setting),
        conversion_value: moneyFixed(settingAmount(t.credit, setting, true), acct.offset),
        conversion_value_minor: settingAmount(t.credit, setting, true),
        conversions_by_window: Object.fromEntries(AVAILABLE_WINDOWS.map((w) => [w, windowAmount(t.credit, w)])),
        reach: t.reach,
        rows,
      };
    };
    const head = {
      account: acct.id, currency: acct.currency, timezone_name: acct.timezone, since: q.since, until: q.until, conversion_action_priority: CONVERSION_ACTION_PRIORITY,
      attribution_setting: settingName(acct.attributionSetting), attribution_windows: setting,
    };
    if (q.level === "campaign") {
      return { ...head, ...summarize(camps), campaigns: camps.map((c) => ({ campaign_id: c.id, campaign_name: c.name, status: c.status, ...summarize([c]) })).filter((x) => x.rows > 0) };
    }
    return { ...head, ...summarize(camps) };
  }

  truthDaily(q: { account: string; since: string; until: string; window?: string }): unknown {
    const acct = this.account(q.account);
    if (!acct) throw new Error(`unknown account ${q.account}`);
    const setting = q.window ? parseSetting(q.window) : acct.attributionSetting;
    const s = dayNum(q.since);
    const u = dayNum(q.until);
    if (Number.isNaN(s) || Number.isNaN(u) || u < s) throw new Error("since/until must be YYYY-MM-DD with since <= until");
    const now = this.model.nowCtx(acct, this.nowMs());
    const rows: unknown[] = [];
    for (const c of acct.campaigns)
      for (let d = s; d <= Math.min(u, now.today); d++)
        for (let pi = 0; pi < PLATFORMS.length; pi++) {
          const v = this.model.unit(c, pi, d, now);
          if (!v || (v.impressions === 0 && v.spend === 0)) continue;
          rows.push({
            campaign_id: c.id,
            date: dayStr(d),
            publisher_platform: PLATFORMS[pi],
            spend: moneyFixed(v.spend, acct.offset),
            spend_minor: v.spend,
            impressions: v.impressions,
            clicks: v.clicks,
            inline_link_clicks: v.link,
            reach: v.reach,
            conversions: settingAmount(v.credit!, setting),
            conversion_value: moneyFixed(settingAmount(v.credit!, setting, true), acct.offset),
            conversion_value_minor: settingAmount(v.credit!, setting, true),
          });
        }
    return { account: acct.id, currency: acct.currency, since: q.since, until: q.until, attribution_windows: setting, rows };
  }

  // ---------------- HTTP entry ----------------
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const raw = await readBody(req);
    const ctype = String(req.headers["content-type"] ?? "");
    const baseUrl = this.opts.publicUrl ?? `http://${req.headers.host ?? "127.0.0.1"}`;
    try {
      if (url.pathname.startsWith("/emu-cdn/")) {
        const img = this.ads.cdn(url.pathname, url.searchParams);
        res.writeHead(img.status, { "Content-Type": img.type, "Content-Length": img.body.length, "Cache-Control": "max-age=1209600, no-transform" });
        return void res.end(img.body);
      }
      if (url.pathname.startsWith("/__emulator")) {
        let body: any = {};
        if (raw.length) {
          try {
            body = ctype.includes("application/x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
          } catch {
            return send(res, json(400, { error: "invalid JSON body" }));
          }
        }
        return send(res, this.control(req.method ?? "GET", url.pathname.slice("/__emulator".length) || "/", url.searchParams, body ?? {}));
      }
      const params: Record<string, string> = {};
      url.searchParams.forEach((v, k) => (params[k] = v));
      if (raw.length) Object.assign(params, parseBody(raw, ctype));
      const segs = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      let version: string | null = null;
      if (segs[0] && VERSION_RE.test(segs[0])) version = segs.shift()!;
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v[0] : v;
      const r = await this.graph({ method: (req.method ?? "GET").toUpperCase(), version, path: segs, params, headers, baseUrl });
      if (r.drop) {
        req.socket.destroy();
        return;
      }
      send(res, r);
    } catch (e) {
      this.log(`internal error: ${(e as Error).stack}`);
      send(res, json(500, { error: { message: "An unknown error occurred", type: "OAuthException", code: 1, error_subcode: 99, fbtrace_id: fbtraceId() } }));
    }
  }

  // ---------------- Graph dispatcher ----------------
  async graph(g: GReq): Promise<GRes> {
    let route: Route;
    try {
      route = this.route(g);
    } catch (e) {
      // Meta validates the access token before it looks the object up: a bad token answers 190 on
      // every path, also for ids that do not exist (never the 100/33 "object does not exist").
      if (e instanceof GraphError) return errRes(this.tokenErrorFirst(g) ?? e);
      throw e;
    }
    if (route.kind === "batch") return this.batch(g);
    this.count(route.kind, route.account);
    const rctx: RateContext = {
      accountId: route.account?.accountId ?? null,
      businessKey: route.account?.businessId ?? null,
      type: (route.kind.startsWith("insights") || route.kind.startsWith("report_run") ? "ads_insights" : "ads_management") as BucType,
      write: g.method === "POST",
      insights: route.kind.startsWith("insights") || route.kind === "report_run_insights",
    };
    let rlHeaders: Record<string, string> = {};
    try {
      if (route.kind === "dialog") return this.dialog(g);
      if (route.kind === "dialog_decide") return this.decide(g);
      checkVersion(g.version, route.marketing, this.nowMs(), { allow: this.opts.versions, latest: this.opts.latestVersion });
      if (route.kind === "oauth_access_token") return await this.withFaults(route, g, () => this.accessToken(g));
      let tok: TokenRec | "app" | null = null;
      if (route.needsToken || route.kind === "debug_token") tok = this.auth(g, route.kind === "debug_token");
      // faults
      const slow = this.takeFault(["slow"], route.account, route.kind);
      if (slow) await new Promise((r) => setTimeout(r, slow.delayMs ?? 2000));
      const f = this.takeFault([...FAULT_KINDS].filter((k) => k.startsWith("code") || k === "http500" || k === "drop"), route.account, route.kind);
      if (f) return this.faultResponse(f, rctx);
      if (tok) rlHeaders = this.limiter.hit(rctx);
      const r = await this.exec(route, g, tok);
      r.headers = { ...rlHeaders, ...r.headers };
      return r;
    } catch (e) {
      if (e instanceof GraphError) {
        const r = errRes(e);
        r.headers = { ...rlHeaders, ...r.headers };
        return r;
      }
      throw e;
    }
  }

  private async withFaults(route: Route, _g: GReq, fn: () => GRes): Promise<GRes> {
    const slow = this.takeFault(["slow"], route.account, route.kind);
    if (slow) await new Promise((r) => setTimeout(r, slow.delayMs ?? 2000));
    const f = this.takeFault(["http500", "code1", "code2", "drop"], null, route.kind);
    if (f) return this.faultResponse(f, { accountId: null, businessKey: null, type: "ads_management", write: false, insights: false });
    return fn();
  }

  private faultResponse(f: Fault, rctx: RateContext): GRes {
    const e = (status: number, body: GraphErrorBody, extra: Record<string, string> = {}) =>
      errRes(new GraphError(status, body, { ...this.limiter.headers(rctx), ...extra }));
    // Insights calls refused for load carry the insights throttle at its limit (Meta sends usage
    // headers on error responses too; clients must read them there).
    const throttle = (app: number, acc: number): Record<string, string> =>
      rctx.insights ? { "X-FB-Ads-Insights-Throttle": JSON.stringify({ app_id_util_pct: app, acc_id_util_pct: acc, ads_api_access_tier: this.limiter.cfg.accessTier }) } : {};
    const blockedHeaders = (type: BucType) => {
      const key = rctx.businessKey ?? rctx.accountId ?? this.appId;
      return {
        ...throttle(0, 100),
        "X-Business-Use-Case-Usage": JSON.stringify({
          [key]: [{ type, call_count: 100, total_cputime: 50, total_time: 70, estimated_time_to_regain_access: 1, ads_api_access_tier: this.limiter.cfg.accessTier }],
        }),
      };
    };
    switch (f.kind) {
      case "drop":
        return { status: 0, headers: {}, drop: true };
      case "http500":
        return { status: 500, headers: { "Content-Type": "text/html; charset=utf-8" }, html: "<html><body><h1>500 Internal Server Error</h1></body></html>" };
      case "code1":
        return e(500, { message: "An unknown error occurred", type: "OAuthException", code: 1, error_subcode: f.subcode ?? 99 });
      case "code2":
        return e(503, { message: "(#2) Service temporarily unavailable", type: "OAuthException", code: 2, is_transient: true });
      case "code4":
        return e(400, { message: "(#4) Application request limit reached", type: "OAuthException", code: 4, is_transient: true }, { "X-App-Usage": JSON.stringify({ call_count: 100, total_time: 80, total_cputime: 60 }), ...throttle(100, 0) });
      case "code17":
        return e(400, { message: "(#17) User request limit reached", type: "OAuthException", code: 17, error_subcode: f.subcode ?? 2446079, is_transient: true }, blockedHeaders(rctx.type));
      case "code80000":
        return e(400, { message: "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.", type: "OAuthException", code: 80000, error_subcode: 2446079, is_transient: true }, blockedHeaders("ads_insights"));
      case "code80004":
        return e(400, { message: "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.", type: "OAuthException", code: 80004, error_subcode: 2446079, is_transient: true }, blockedHeaders("ads_management"));
      case "code613":
        return e(400, { message: "(#613) Calls to this api have exceeded the rate limit.", type: "OAuthException", code: 613, error_subcode: f.subcode ?? 1487742, is_transient: true });
      case "code190": {
        const err = tokenError("Error validating access token: The user has not authorized application " + this.appId + ".", f.subcode ?? 458);
        return errRes(err);
      }
    }
    return e(500, { message: "An unknown error occurred", type: "OAuthException", code: 1 });
  }

  private route(g: GReq): Route {
    const p = g.path;
    const base = { account: null as AdAccount | null, marketing: false, needsToken: true };
    if (p.length === 0) {
      if (g.method === "POST" && g.params.batch != null) return { ...base, kind: "batch", needsToken: false };
      if (g.params.ids) return { ...base, kind: "multi", marketing: true };
      throw new GraphError(400, { message: "Unsupported get request.", type: "GraphMethodException", code: 100 });
    }
    const [a, b, c] = p;
    if (a === "dialog" && b === "oauth") return { ...base, kind: c === "decide" ? "dialog_decide" : "dialog", needsToken: false };
    if (a === "oauth" && b === "access_token") return { ...base, kind: "oauth_access_token", needsToken: false };
    if (a === "debug_token" && p.length === 1) return { ...base, kind: "debug_token", needsToken: false };
    if (a === "me") {
      if (p.length === 1) return { ...base, kind: "me" };
      if (b === "adaccounts" && p.length === 2) return { ...base, kind: "adaccounts", marketing: true };
      if (b === "businesses" && p.length === 2) return { ...base, kind: "businesses", marketing: true };
      if (b === "permissions" && p.length === 2) return { ...base, kind: "permissions" };
    }
    if (p.length > 3 || (c !== undefined)) throw unknownPath(p);
    if (a!.startsWith("act_")) {
      const acct = this.account(a!);
      if (!acct || !/^act_\d+$/.test(a!)) throw UNSUPPORTED_GET(a!, g.method.toLowerCase());
      const r = { ...base, account: acct, marketing: true };
      if (p.length === 1) return { ...r, kind: "adaccount" };
      if (b === "campaigns") return { ...r, kind: "campaigns" };
      if (b === "adsets" || b === "ads") return { ...r, kind: `edge_${b}` };
      if (b === "insights") return { ...r, kind: g.method === "POST" ? "insights_async" : "insights" };
      throw unknownPath(p);
    }
    if (this.opts.acceptBareAccountId && /^\d+$/.test(a!) && this.world.accountsById.has(a!)) {
      return this.route({ ...g, path: [`act_${a}`, ...p.slice(1)] });
    }
    const camp = this.world.campaignsById.get(a!);
    if (camp) {
      const r = { ...base, account: this.account(camp.accountId)!, campaign: camp, marketing: true };
      if (p.length === 1) return { ...r, kind: "campaign" };
      if (b === "adsets" || b === "ads") return { ...r, kind: `edge_${b}` };
      if (b === "insights") return { ...r, kind: g.method === "POST" ? "insights_async" : "insights" };
      throw unknownPath(p);
    }
    const adNode = this.ads.find(a!);
    if (adNode) {
      const c = adNode.kind === "adset" ? adNode.set.campaign : adNode.ad.adset.campaign;
      const r = { ...base, account: this.account(c.accountId)!, campaign: c, adNode, marketing: true };
      if (p.length === 1) return { ...r, kind: `node_${adNode.kind}` };
      if (b === "ads" && adNode.kind === "adset") return { ...r, kind: "edge_ads" };
      if (b === "insights" && adNode.kind !== "creative") return { ...r, kind: g.method === "POST" ? "insights_async" : "insights" };
      throw unknownPath(p);
    }
    const job = this.jobs.get(a!);
    if (job) {
      const r = { ...base, account: this.account(job.accountId)!, job, marketing: true };
      if (p.length === 1) return { ...r, kind: "report_run" };
      if (b === "insights") return { ...r, kind: "report_run_insights" };
      throw unknownPath(p);
    }
    const biz = this.world.businesses.find((x) => x.id === a);
    if (biz) {
      if (p.length === 1) return { ...base, kind: "business", business: biz, marketing: true };
      if (b === "owned_ad_accounts" || b === "client_ad_accounts") return { ...base, kind: "business_adaccounts", business: biz, marketing: true };
      throw unknownPath(p);
    }
    const user = this.world.usersById.get(a!);
    if (user && p.length === 1) return { ...base, kind: "user", user };
    if (p.length === 1) return { ...base, kind: "unknown_object" };
    throw unknownPath(p);
  }

  private tokenOf(g: GReq): string | undefined {
    if (g.params.access_token) return g.params.access_token;
    const h = g.headers.authorization;
    const m = h ? /^(?:OAuth|Bearer)\s+(.+)$/i.exec(h.trim()) : null;
    return m ? m[1] : undefined;
  }

  /** The token error a call would get, if its token is missing or invalid (null: token fine or absent). */
  private tokenErrorFirst(g: GReq): GraphError | null {
    const t = this.tokenOf(g);
    if (!t || this.isAppToken(t)) return null;
    try {
      this.checkToken(t);
      return null;
    } catch (e) {
      if (e instanceof GraphError) return e;
      throw e;
    }
  }

  private isAppToken(t: string): boolean {
    return t === `${this.appId}|${this.appSecret}`;
  }

  private checkToken(t: string): TokenRec {
    const rec = this.tokens.get(t);
    if (!rec) throw tokenError("Invalid OAuth access token - Cannot parse access token");
    const invalid = this.tokenInvalidity(rec);
    if (invalid) throw tokenError(invalid.message, invalid.subcode);
    return rec;
  }

  tokenInvalidity(rec: TokenRec): { message: string; subcode: number } | null {
    const now = this.nowMs();
    if (rec.state === "revoked")
      return { message: "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.", subcode: 460 };
    const expiredAt = rec.state === "expired" ? rec.expiredAtMs! : rec.expiresAt && rec.expiresAt * 1000 <= now ? rec.expiresAt * 1000 : null;
    if (expiredAt != null)
      return { message: `Error validating access token: Session has expired on ${fbDate(expiredAt)}. The current time is ${fbDate(now)}.`, subcode: 463 };
    return null;
  }

  /** Authenticates a Graph call. Returns the token record, or "app" for the app access token. */
  private auth(g: GReq, allowApp: boolean): TokenRec | "app" {
    const t = this.tokenOf(g);
    if (!t) throw new GraphError(400, { message: "An access token is required to request this resource.", type: "OAuthException", code: 104 });
    if (this.isAppToken(t)) {
      if (allowApp) return "app";
      throw new GraphError(400, { message: "An active access token must be used to query information about the current user.", type: "OAuthException", code: 2500 });
    }
    const rec = this.checkToken(t);
    if (this.requireProof) {
      const proof = g.params.appsecret_proof;
      if (!proof) throw new GraphError(400, { message: "API calls from the server require an appsecret_proof argument", type: "GraphMethodException", code: 100 });
      if (proof !== appsecretProof(t, this.appSecret)) throw new GraphError(400, { message: "Invalid appsecret_proof provided in the API argument", type: "GraphMethodException", code: 100 });
    }
    return rec;
  }

  private userOf(tok: TokenRec): User {
    return this.world.usersById.get(tok.userId)!;
  }

  private canSee(tok: TokenRec, acct: AdAccount): boolean {
    const u = this.userOf(tok);
    return !!u && u.accountIds.includes(acct.accountId);
  }

  // ---------------- handlers ----------------
  private async exec(route: Route, g: GReq, tok: TokenRec | "app" | null): Promise<GRes> {
    if (route.kind === "debug_token") return this.debugToken(g);
    if (tok === "app" || !tok) throw new GraphError(400, { message: "An active access token must be used to query information about the current user.", type: "OAuthException", code: 2500 });
    const user = this.userOf(tok);
    if (route.account && !this.canSee(tok, route.account)) throw UNSUPPORTED_GET(g.path[0]!, g.method.toLowerCase());
    if (route.job && route.job.userId !== tok.userId && !this.canSee(tok, route.account!)) throw UNSUPPORTED_GET(g.path[0]!);
    const fields = parseList(g.params.fields);
    switch (route.kind) {
      case "me":
      case "user": {
        const u = route.user ?? user;
        if (route.user && route.user.id !== user.id) throw UNSUPPORTED_GET(route.user.id);
        return json(200, select({ id: u.id, name: u.name, email: u.email, first_name: u.name.split(" ")[0], last_name: u.name.split(" ").slice(1).join(" ") }, fields, ["id", "name"], "User"));
      }
      case "permissions":
        return json(200, { data: [...tok.scopes].map((s) => ({ permission: s, status: "granted" })) });
      case "adaccounts": {
        const accts = user.accountIds.map((id) => this.world.accountsById.get(id)!);
        return json(200, this.paged(accts.map((a) => this.accountObj(a, fields)), g, true));
      }
      case "businesses": {
        const ids = new Set(user.accountIds.map((id) => this.world.accountsById.get(id)!.businessId).filter(Boolean));
        const bs = this.world.businesses.filter((b) => ids.has(b.id));
        return json(200, this.paged(bs.map((b) => select({ ...b, verification_status: "verified" }, fields, ["id", "name"], "Business")), g, true));
      }
      case "business": {
        const ids = new Set(user.accountIds.map((id) => this.world.accountsById.get(id)!.businessId));
        if (!ids.has(route.business!.id)) throw UNSUPPORTED_GET(route.business!.id);
        return json(200, select({ ...route.business!, verification_status: "verified" }, fields, ["id", "name"], "Business"));
      }
      case "business_adaccounts": {
        const accts = user.accountIds.map((id) => this.world.accountsById.get(id)!).filter((a) => a.businessId === route.business!.id);
        return json(200, this.paged(accts.map((a) => this.accountObj(a, fields)), g, true));
      }
      case "adaccount":
        return json(200, this.accountObj(route.account!, fields));
      case "campaigns":
        return json(200, this.paged(this.listCampaigns(route.account!, g.params).map((c) => this.campaignObj(c, fields)), g, true));
      case "campaign":
        return json(200, this.campaignObj(route.campaign!, fields));
      case "edge_adsets":
      case "edge_ads":
      case "node_adset":
      case "node_ad":
      case "node_creative":
        return this.adObjects(route, g);
      case "insights":
        return this.insightsSync(route, g);
      case "insights_async":
        return this.insightsAsync(route, g, tok);
      case "report_run":
        return json(200, this.jobObj(route.job!, fields, true, g.version));
      case "report_run_insights": {
        const j = route.job!;
        const st = this.jobState(j, false);
        if (st.status !== "Job Completed")
          throw new GraphError(400, { message: `(#100) The report run ${j.id} is not completed (status: ${st.status})`, type: "OAuthException", code: 100, error_subcode: 2601 });
        return json(200, this.paged(j.rows, g, false));
      }
      case "multi": {
        const out: Record<string, unknown> = {};
        for (const id of parseList(g.params.ids)) {
          const acct = id.startsWith("act_") ? this.account(id) : undefined;
          const camp = this.world.campaignsById.get(id);
          if (acct && this.canSee(tok, acct)) out[id] = this.accountObj(acct, fields);
          else if (camp && this.canSee(tok, this.account(camp.accountId)!)) out[id] = this.campaignObj(camp, fields);
          else throw UNSUPPORTED_GET(id);
        }
        return json(200, out);
      }
      case "unknown_object":
        throw UNSUPPORTED_GET(g.path[0]!, g.method.toLowerCase());
    }
    throw unknownPath(g.path);
  }

  private paged<T>(items: T[], g: GReq, summary: boolean): Record<string, unknown> {
    const def = this.opts.defaultPageSize ?? 25;
    const max = this.opts.maxPageSize ?? 5000;
    let limit = def;
    if (g.params.limit != null) {
      const n = Number(g.params.limit);
      if (!Number.isInteger(n) || n < 0) throw paramError("Param limit must be a non-negative integer");
      limit = Math.min(Math.max(n, 1), max);
    }
    let start = 0;
    if (g.params.after) {
      const i = decCursor(g.params.after);
      if (i == null) throw new GraphError(400, { message: "(#100) Invalid cursor", type: "OAuthException", code: 100, error_subcode: 2642 });
      start = i + 1;
    } else if (g.params.before) {
      const i = decCursor(g.params.before);
      if (i == null) throw new GraphError(400, { message: "(#100) Invalid cursor", type: "OAuthException", code: 100, error_subcode: 2642 });
      start = Math.max(0, i - limit);
    }
    const page = items.slice(start, start + limit);
    const out: Record<string, unknown> = { data: page };
    if (page.length) {
      const paging: Record<string, unknown> = { cursors: { before: encCursor(start), after: encCursor(start + page.length - 1) } };
      const link = (k: "after" | "before", v: string) => {
        const sp = new URLSearchParams();
        for (const [pk, pv] of Object.entries(g.params)) if (pk !== "after" && pk !== "before" && pk !== "limit" && pk !== "batch") sp.set(pk, pv);
        sp.set("limit", String(limit));
        sp.set(k, v);
        const path = [g.version, ...g.path].filter(Boolean).map((s) => encodeURIComponent(s!)).join("/");
        return `${g.baseUrl}/${path}?${sp.toString()}`;
      };
      if (start + page.length < items.length) paging.next = link("after", encCursor(start + page.length - 1));
      if (start > 0) paging.previous = link("before", encCursor(start));
      out.paging = paging;
    }
    if (summary && g.params.summary && /total_count|true/.test(g.params.summary)) out.summary = { total_count: items.length };
    return out;
  }

  private accountObj(a: AdAccount, fields: string[]): Record<string, unknown> {
    const biz = a.businessId ? this.world.businesses.find((b) => b.id === a.businessId)! : null;
    const obj: Record<string, unknown> = {
      id: a.id,
      account_id: a.accountId,
      name: a.name,
      currency: a.currency,
      timezone_name: a.timezone,
      timezone_id: a.timezoneId,
      timezone_offset_hours_utc: tzOffsetHours(this.nowMs(), a.timezone),
      account_status: a.accountStatus,
      disable_reason: a.disableReason,
      amount_spent: String(a.amountSpent),
      spend_cap: String(a.spendCap),
      balance: "0",
      business: biz ? { id: biz.id, name: biz.name } : undefined,
      business_name: biz?.name ?? "",
      created_time: fmtLocalTime(localMidnightMs(a.createdDay, a.timezone) + 37_000_000, a.timezone),
      owner: biz?.id ?? this.world.users[0]!.id,
      min_daily_budget: Math.round(100 * a.usdRate) * (a.offset === 1 ? 1 : 1),
      is_personal: biz ? 0 : 1,
    };
    return select(obj, fields, ["account_id", "id"], "AdAccount");
  }

  private listCampaigns(a: AdAccount, params: Record<string, string>): Campaign[] {
    let statuses: string[] | null = null;
    if (params.effective_status) statuses = parseList(params.effective_status);
    if (params.filtering) {
      const f = parseJson(params.filtering, "filtering");
      if (!Array.isArray(f)) throw paramError("Param filtering must be an array");
      for (const x of f as Array<{ field: string; operator: string; value: unknown }>) {
        if (["effective_status", "campaign.effective_status", "status", "campaign.status"].includes(x.field)) {
          const vals = Array.isArray(x.value) ? x.value.map(String) : [String(x.value)];
          statuses = String(x.operator).toUpperCase() === "NOT_IN" ? ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"].filter((s) => !vals.includes(s)) : vals;
        } else if (x.field === "id" || x.field === "campaign.id") {
          // handled below
        } else throw paramError(`Filtering field ${x.field} is invalid`);
      }
      const idf = (f as Array<{ field: string; value: unknown }>).find((x) => x.field === "id" || x.field === "campaign.id");
      if (idf) {
        const ids = Array.isArray(idf.value) ? idf.value.map(String) : [String(idf.value)];
        return a.campaigns.filter((c) => ids.includes(c.id) && (statuses ? statuses.includes(c.status) : c.status !== "ARCHIVED" && c.status !== "DELETED"));
      }
    }
    return a.campaigns.filter((c) => (statuses ? statuses.includes(c.status) : c.status !== "ARCHIVED" && c.status !== "DELETED"));
  }

  private campaignObj(c: Campaign, fields: string[]): Record<string, unknown> {
    const a = this.account(c.accountId)!;
    const startMs = campaignStartMs(c, a);
    const obj: Record<string, unknown> = {
      id: c.id,
      account_id: a.accountId,
      name: c.name,
      objective: c.objective,
      status: c.status,
      configured_status: c.status,
      effective_status: c.status,
      daily_budget: String(c.dailyBudget),
      lifetime_budget: "0",
      budget_remaining: String(Math.round(c.dailyBudget * 0.4)),
      start_time: fmtLocalTime(startMs, a.timezone),
      stop_time: c.stopTimeDay != null ? fmtLocalTime(localMidnightMs(c.stopTimeDay + 1, a.timezone), a.timezone) : undefined,
      created_time: fmtLocalTime(localMidnightMs(c.createdDay, a.timezone) + 36_000_000 + (Number(c.id.slice(-4)) % 3600) * 1000, a.timezone),
      updated_time: fmtLocalTime(localMidnightMs(c.updatedDay, a.timezone) + 40_000_000, a.timezone),
      buying_type: "AUCTION",
      bid_strategy: c.bidStrategy,
      special_ad_categories: [],
      source_campaign_id: "0",
    };
    return select(obj, fields, ["id"], "Campaign");
  }

  /** Ad sets, ads and creatives (ads.ts); edges page like every other list. */
  private adObjects(route: Route, g: GReq): GRes {
    const fields = parseFields(g.params.fields);
    const n = route.adNode;
    if (route.kind === "node_adset" && n?.kind === "adset") return json(200, this.ads.adsetObj(n.set, fields));
    if (route.kind === "node_ad" && n?.kind === "ad") return json(200, this.ads.adObj(n.ad, fields, g.baseUrl));
    if (route.kind === "node_creative" && n?.kind === "creative") return json(200, this.ads.creativeObj(n.ad, fields, g.baseUrl));
    const campaigns = route.campaign ? [route.campaign] : route.account!.campaigns;
    if (route.kind === "edge_adsets") return json(200, this.paged(this.ads.listAdSets(campaigns, g.params).map((s) => this.ads.adsetObj(s, fields)), g, true));
    const sets = n?.kind === "adset" ? [n.set] : campaigns.flatMap((c) => this.ads.listAdSets([c], { effective_status: '["ACTIVE","PAUSED","CAMPAIGN_PAUSED","ARCHIVED","DELETED"]' }));
    return json(200, this.paged(this.ads.listAds(sets, g.params).map((a) => this.ads.adObj(a, fields, g.baseUrl)), g, true));
  }

  private adScope(route: Route): AdScope {
    const n = route.adNode;
    return { campaign: route.campaign, adset: n?.kind === "adset" ? n.set : undefined, ad: n?.kind === "ad" ? n.ad : undefined };
  }

  private insightsCommon(route: Route, g: GReq): { q: InsightsQuery; acct: AdAccount } {
    const acct = route.account!;
    const now = this.model.nowCtx(acct, this.nowMs());
    const defaultLevel = route.adNode?.kind === "ad" ? "ad" : route.adNode?.kind === "adset" ? "adset" : route.campaign ? "campaign" : "account";
    const q = parseInsightsQuery(g.params, defaultLevel, now.today, earliestDay(acct, route.campaign ?? null));
    return { q, acct };
  }

  /** Small cache of computed result sets so that walking pages does not recompute the whole query. */
  private rowCache = new Map<string, Array<Record<string, unknown>>>();
  dataVersion = 0;

  private async computeRows(route: Route, q: InsightsQuery, allowOldBreakdownReach = false): Promise<Array<Record<string, unknown>>> {
    const acct = route.account!;
    const nowMs = this.nowMs();
    const key = JSON.stringify([this.dataVersion, acct.accountId, route.campaign?.id ?? null, route.adNode ? g0(route.adNode) : null, q, Math.floor(nowMs / 1000), allowOldBreakdownReach]);
    const hit = this.rowCache.get(key);
    if (hit) return hit;
    const scope = this.adScope(route);
    const rows = needsAdsPath(q, scope)
      ? await runAdInsights(this.model, acct, scope, q, this.model.nowCtx(acct, nowMs), this.adInsightsOptions())
      : runInsights(this.model, acct, route.campaign ?? null, q, this.model.nowCtx(acct, nowMs), { ...this.adInsightsOptions(), allowOldBreakdownReach });
    if (this.rowCache.size >= 64) this.rowCache.delete(this.rowCache.keys().next().value!);
    this.rowCache.set(key, rows);
    return rows;
  }

  adInsightsOptions() {
    return {
      hideArchivedInInsights: this.opts.hideArchivedInInsights ?? true,
      omitZeroRows: this.opts.omitZeroRows ?? true,
      breakdownMinImpressions: this.opts.breakdownMinImpressions ?? 20,
    };
  }

  private async insightsSync(route: Route, g: GReq): Promise<GRes> {
    const { q } = this.insightsCommon(route, g);
    const rows = await this.computeRows(route, q);
    const budget = this.limiter.cfg.rowBudget;
    if (rows.length > budget) {
      const t = this.limiter.cfg.tooMuchData;
      throw new GraphError(t.httpStatus, { message: TOO_MUCH_DATA_MESSAGE, type: "OAuthException", code: t.code, error_subcode: t.subcode, error_user_title: "Too much data", error_user_msg: TOO_MUCH_DATA_MESSAGE });
    }
    return json(200, this.paged(rows, g, false));
  }

  /** Async jobs that returned reach for old breakdown queries, per `${account}|${day}`. */
  private oldReachJobs = new Map<string, number>();

  private async insightsAsync(route: Route, g: GReq, tok: TokenRec): Promise<GRes> {
    const { q, acct } = this.insightsCommon(route, g);
    // Reach for breakdown queries older than 13 months: async jobs only, 10 per ad account per day;
    // beyond that the job's rows omit it like a sync query's.
    let oldReach = false;
    const today = this.model.nowCtx(acct, this.nowMs()).today;
    if (isOldBreakdownReach(q, today) && q.fields.some((f) => f === "reach" || f === "frequency" || f === "cpp")) {
      const k = `${acct.accountId}|${today}`;
      const used = this.oldReachJobs.get(k) ?? 0;
      if (used < OLD_REACH_ASYNC_PER_DAY) {
        this.oldReachJobs.set(k, used + 1);
        oldReach = true;
      }
    }
    const rows = await this.computeRows(route, q, oldReach);
    const f = this.takeFault(["async_failed", "async_skipped"], acct, "insights_async");
    const all = q.ranges;
    const job: Job = {
      id: `6${randomDigits(14)}`,
      accountId: acct.accountId,
      createdReal: Date.now(),
      polls: 0,
      outcome: f?.kind === "async_failed" ? "failed" : f?.kind === "async_skipped" ? "skipped" : "completed",
      rows,
      dateStart: dayStr(Math.min(...all.map((r) => r.since))),
      dateStop: dayStr(Math.max(...all.map((r) => r.until))),
      timeRef: Math.floor(this.nowMs() / 1000),
      userId: tok.userId,
    };
    this.jobs.set(job.id, job);
    return json(200, { report_run_id: job.id });
  }

  private jobState(j: Job, poll: boolean): { status: string; pct: number } {
    const final = j.outcome === "completed" ? "Job Completed" : j.outcome === "failed" ? "Job Failed" : "Job Skipped";
    if (this.asyncCfg.mode === "polls") {
      const k = j.polls;
      if (poll) j.polls++;
      const n = Math.max(1, this.asyncCfg.pollsToComplete);
      if (k >= n) return { status: final, pct: j.outcome === "completed" ? 100 : Math.min(99, Math.round((100 * (n - 1)) / n)) };
      if (k <= 1) return { status: k === 0 ? "Job Not Started" : "Job Started", pct: 0 };
      return { status: "Job Running", pct: Math.round((100 * (k - 1)) / n) };
    }
    const frac = this.asyncCfg.durationMs <= 0 ? 1 : (Date.now() - j.createdReal) / this.asyncCfg.durationMs;
    if (frac >= 1) return { status: final, pct: j.outcome === "completed" ? 100 : 50 };
    if (frac < 0.1) return { status: "Job Not Started", pct: 0 };
    if (frac < 0.2) return { status: "Job Started", pct: 0 };
    return { status: "Job Running", pct: Math.min(99, Math.round(frac * 100)) };
  }

  private jobObj(j: Job, fields: string[], poll: boolean, version: string | null): Record<string, unknown> {
    const st = this.jobState(j, poll);
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
      Object.assign(obj, { error_code: -2, error_subcode: 2490547, error_message: "Report Failed. Please retry later.", error_user_title: "Report Failed", error_user_msg: "The report failed to run. Please retry later." });
    }
    // From v25.0 a failed run carries the error_* fields by default (error_code became a signed int);
    // older versions returned them only when asked for in `fields`.
    const errorFields = ["error_code", "error_subcode", "error_message", "error_user_title", "error_user_msg"];
    const defaults = ["id", "account_id", "time_ref", "time_completed", "async_status", "async_percent_completion", "date_start", "date_stop", ...(versionAtLeast(version, 25) ? errorFields : [])];
    return select(obj, fields, defaults, "AdReportRun");
  }

  // ---------------- batch ----------------
  private async batch(g: GReq): Promise<GRes> {
    this.count("batch", null);
    let items: unknown;
    try {
      items = JSON.parse(g.params.batch!);
    } catch {
      return errRes(paramError("The parameter batch must be a JSON array"));
    }
    if (!Array.isArray(items)) return errRes(paramError("The parameter batch must be a JSON array"));
    if (items.length > 50) return errRes(new GraphError(400, { message: "(#1) Too many requests in batch message. Maximum batch size is 50", type: "OAuthException", code: 1 }));
    if (items.length === 0) return errRes(paramError("The parameter batch must not be empty"));
    const top = this.tokenOf(g);
    if (!top) return errRes(new GraphError(400, { message: "An access token is required to request this resource.", type: "OAuthException", code: 104 }));
    const timeout = this.takeFault(["batch_timeout"], null, "batch");
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
      const r = await this.graph({ method: (it.method ?? "GET").toUpperCase(), version, path: segs, params, headers: {}, baseUrl: g.baseUrl, inBatch: true });
      out.push(r.drop ? null : batchItem(r, includeHeaders));
    }
    return json(200, out);
  }

  // ---------------- OAuth ----------------
  private dialog(g: GReq): GRes {
    const p = g.params;
    const html = (status: number, body: string): GRes => ({ status, headers: { "Content-Type": "text/html; charset=utf-8" }, html: page("Log in with Facebook (emulator)", body) });
    if (p.client_id !== this.appId) return html(400, `<p id="error">Invalid App ID: ${esc(p.client_id ?? "")}</p>`);
    if (!p.redirect_uri) return html(400, `<p id="error">redirect_uri is required</p>`);
    if (p.config_id && !this.loginConfigs()[p.config_id]) return html(400, `<p id="error">Invalid config_id ${esc(p.config_id)}</p>`);
    const reqId = randomId(12);
    this.dialogs.set(reqId, { clientId: p.client_id, redirectUri: p.redirect_uri, state: p.state, scope: p.scope, configId: p.config_id, responseType: p.response_type ?? "code" });
    const action = `/${g.version ?? "v26.0"}/dialog/oauth/decide`;
    const rows = this.world.users
      .map(
        (u) => `<li class="user" data-user-id="${u.id}"><form method="post" action="${action}">
<input type="hidden" name="request_id" value="${reqId}"><input type="hidden" name="user_id" value="${u.id}">
<span class="name">${esc(u.name)}</span> <small>(${u.id}, ${u.accountIds.length} ad accounts)</small>
<button type="submit" name="decision" value="approve" data-testid="approve-${u.id}" id="approve-${u.id}">Approve as ${esc(u.name)}</button>
<button type="submit" name="decision" value="deny" data-testid="deny-${u.id}" id="deny-${u.id}">Deny</button>
</form></li>`,
      )
      .join("\n");
    const what = p.config_id ? `configuration ${esc(p.config_id)} (${this.loginConfigs()[p.config_id]!.type})` : `permissions: ${esc(p.scope ?? "public_profile")}`;
    return html(200, `<h1>${esc(this.appName)} wants access</h1><p>Requested ${what}</p><p>Choose a Facebook user:</p><ul id="users" data-request-id="${reqId}">${rows}</ul>`);
  }

  private loginConfigs(): Record<string, LoginConfig> {
    return this.opts.loginConfigs ?? DEFAULT_LOGIN_CONFIGS;
  }

  private decide(g: GReq): GRes {
    const p = g.params;
    let d: DialogReq | undefined = p.request_id ? this.dialogs.get(p.request_id) : undefined;
    if (!d && p.client_id && p.redirect_uri)
      d = { clientId: p.client_id, redirectUri: p.redirect_uri, state: p.state, scope: p.scope, configId: p.config_id, responseType: p.response_type ?? "code" };
    const bad = (m: string): GRes => ({ status: 400, headers: { "Content-Type": "text/html; charset=utf-8" }, html: page("Error", `<p id="error">${esc(m)}</p>`) });
    if (!d) return bad("Unknown or expired login request");
    if (d.clientId !== this.appId) return bad("Invalid App ID");
    if (p.request_id) this.dialogs.delete(p.request_id);
    const target = new URL(d.redirectUri);
    const decision = (p.decision ?? "").toLowerCase();
    if (decision !== "approve") {
      target.searchParams.set("error", "access_denied");
      target.searchParams.set("error_code", "200");
      target.searchParams.set("error_description", "Permissions error");
      target.searchParams.set("error_reason", "user_denied");
      if (d.state != null) target.searchParams.set("state", d.state);
      return { status: 302, headers: {}, location: target.toString().replace(/%20/g, "+") };
    }
    const user = this.world.users.find((u) => u.id === p.user_id);
    if (!user) return bad(`Unknown user ${p.user_id ?? ""}`);
    const cfg = d.configId ? this.loginConfigs()[d.configId] : undefined;
    const scopes = cfg ? [...cfg.scopes, "public_profile"] : [...new Set([...(d.scope ? parseList(d.scope) : []), "public_profile"])];
    const type = cfg?.type ?? "USER";
    if (d.responseType.includes("token")) {
      const tok = this.issueToken(type === "SYSTEM_USER" ? user.systemUserId : user.id, type, 7200, scopes);
      const frag = new URLSearchParams({ access_token: tok.token, expires_in: "7200", ...(d.state != null ? { state: d.state } : {}) });
      target.hash = frag.toString();
      return { status: 302, headers: {}, location: target.toString() };
    }
    const code = `AQ${randomId(48)}`;
    this.codes.set(code, { userId: type === "SYSTEM_USER" ? user.systemUserId : user.id, redirectUri: d.redirectUri, scopes, type, used: false, expiresAtMs: Date.now() + 10 * 60_000 });
    target.searchParams.set("code", code);
    if (d.state != null) target.searchParams.set("state", d.state);
    return { status: 302, headers: {}, location: target.toString() };
  }

  private accessToken(g: GReq): GRes {
    const p = { ...g.params };
    const basic = g.headers.authorization && /^Basic\s+(.+)$/i.exec(g.headers.authorization);
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, "base64").toString().split(":");
      if (!p.client_id && id) p.client_id = decodeURIComponent(id);
      if (!p.client_secret && secret != null) p.client_secret = decodeURIComponent(secret);
    }
    if (!p.client_id) throw paramError("Missing client_id parameter.", 0);
    if (p.client_id !== this.appId) throw new GraphError(400, { message: "Error validating application. Invalid application ID.", type: "OAuthException", code: 101 });
    if (!p.client_secret) throw paramError("Missing client_secret parameter.");
    if (p.client_secret !== this.appSecret) throw new GraphError(400, { message: "Error validating client secret.", type: "OAuthException", code: 1 });
    const lifetimes = this.opts.tokenLifetimes ?? {};
    if (p.grant_type === "client_credentials") return json(200, { access_token: `${this.appId}|${this.appSecret}`, token_type: "bearer" });
    if (p.grant_type === "fb_exchange_token") {
      const old = p.fb_exchange_token;
      if (!old) throw paramError("Missing fb_exchange_token parameter");
      const rec = this.checkToken(old);
      if (rec.type === "SYSTEM_USER") {
        const t = this.issueToken(rec.userId, "SYSTEM_USER", null, rec.scopes);
        return json(200, { access_token: t.token, token_type: "bearer" });
      }
      const secs = lifetimes.longLivedSeconds ?? 5183944;
      const t = this.issueToken(rec.userId, "USER", secs, rec.scopes);
      return json(200, { access_token: t.token, token_type: "bearer", expires_in: secs });
    }
    if (!p.code) throw paramError("Missing authorization code");
    const c = this.codes.get(p.code);
    if (!c) throw new GraphError(400, { message: "Invalid verification code format.", type: "OAuthException", code: 100, error_subcode: 36007 });
    if (c.used) {
      const m = "This authorization code has been used.";
      throw new GraphError(400, { message: m, type: "OAuthException", code: 100, error_subcode: 36009 }, { "WWW-Authenticate": wwwAuthenticate("invalid_code", m) });
    }
    if ((p.redirect_uri ?? "") !== c.redirectUri)
      throw new GraphError(400, { message: "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request", type: "OAuthException", code: 100, error_subcode: 36008 });
    if (c.expiresAtMs < Date.now()) throw new GraphError(400, { message: "This authorization code has expired.", type: "OAuthException", code: 100, error_subcode: 36007 });
    c.used = true;
    if (c.type === "SYSTEM_USER") {
      const t = this.issueToken(c.userId, "SYSTEM_USER", null, c.scopes);
      return json(200, { access_token: t.token, token_type: "bearer" });
    }
    const secs = lifetimes.codeExchangeSeconds ?? 7200;
    const t = this.issueToken(c.userId, "USER", secs, c.scopes);
    return json(200, { access_token: t.token, token_type: "bearer", expires_in: secs });
  }

  private debugToken(g: GReq): GRes {
    const input = g.params.input_token;
    if (!input) throw paramError("The parameter input_token is required");
    const rec = this.tokens.get(input);
    if (this.isAppToken(input)) return json(200, { data: { app_id: this.appId, type: "APP", application: this.appName, is_valid: true, scopes: [] } });
    if (!rec)
      return json(200, { data: { error: { code: 190, message: "Invalid OAuth access token - Cannot parse access token" }, is_valid: false, scopes: [] } });
    const user = this.world.usersById.get(rec.userId)!;
    const bizIds = [...new Set(user.accountIds.map((id) => this.world.accountsById.get(id)!.businessId).filter(Boolean))] as string[];
    const data: Record<string, unknown> = {
      app_id: this.appId,
      type: rec.type,
      application: this.appName,
      data_access_expires_at: rec.type === "SYSTEM_USER" ? 0 : rec.issuedAt + (this.opts.dataAccessExpiryDays ?? 90) * 86400,
      expires_at: rec.expiresAt,
      is_valid: true,
      issued_at: rec.issuedAt,
      scopes: rec.scopes,
      granular_scopes: rec.scopes
        .filter((s) => s !== "public_profile")
        .map((s) => (s === "business_management" ? { scope: s, target_ids: bizIds } : s.startsWith("ads_") ? { scope: s, target_ids: user.accountIds } : { scope: s })),
      user_id: rec.userId,
    };
    const invalid = this.tokenInvalidity(rec);
    if (invalid) {
      data.is_valid = false;
      data.error = { code: 190, message: invalid.message, subcode: invalid.subcode };
    }
    return json(200, { data });
  }

  // ---------------- control API ----------------
  control(method: string, path: string, q: URLSearchParams, body: any): GRes {
    const ok = (b: unknown) => json(200, b);
    const bad = (m: string, status = 400) => json(status, { error: m });
    try {
      const key = `${method} ${path.replace(/\/$/, "") || "/"}`;
      switch (key) {
        case "GET /":
        case "GET /health":
          return ok({ ok: true, seed: this.seed, now: new Date(this.nowMs()).toISOString(), appId: this.appId });
        case "POST /reset":
          this.reset({ seed: body.seed, world: body.world, now: body.now });
          return ok({ ok: true, seed: this.seed, accounts: this.world.accounts.length, now: new Date(this.nowMs()).toISOString() });
        case "GET /clock":
          return ok({ now: new Date(this.nowMs()).toISOString(), frozen: this.frozenNow != null });
        case "POST /clock": {
          if (body.advanceSeconds != null) this.setNow(this.nowMs() + Number(body.advanceSeconds) * 1000);
          else this.setNow(body.now ?? null);
          return ok({ now: new Date(this.nowMs()).toISOString(), frozen: this.frozenNow != null });
        }
        case "POST /tokens": {
          const user = body.userId ? this.world.users.find((u) => u.id === String(body.userId)) : this.world.users[0];
          if (!user) return bad(`unknown user ${body.userId}`, 404);
          const sys = !!body.systemUser;
          const lifetime = body.expiresInSeconds != null ? Number(body.expiresInSeconds) : (this.opts.tokenLifetimes?.controlTokenSeconds ?? 5183944);
          const t = this.issueToken(sys ? user.systemUserId : user.id, sys ? "SYSTEM_USER" : "USER", lifetime, body.scopes ?? DEFAULT_SCOPES);
          return ok({
            access_token: t.token,
            user_id: t.userId,
            type: t.type,
            expires_at: t.expiresAt,
            appsecret_proof: appsecretProof(t.token, this.appSecret),
          });
        }
        case "POST /tokens/expire":
        case "POST /tokens/revoke": {
          const rec = this.tokens.get(String(body.access_token));
          if (!rec) return bad("unknown access_token", 404);
          if (path.endsWith("expire")) {
            rec.state = "expired";
            rec.expiredAtMs = this.nowMs() - 1000;
          } else rec.state = "revoked";
          return ok({ ok: true });
        }
        case "GET /users":
          return ok({
            users: this.world.users.map((u) => ({
              id: u.id,
              name: u.name,
              email: u.email,
              system_user_id: u.systemUserId,
              ad_accounts: u.accountIds.map((id) => {
                const a = this.world.accountsById.get(id)!;
                return { id: a.id, name: a.name, currency: a.currency, timezone_name: a.timezone, account_status: a.accountStatus, business_id: a.businessId, campaigns: a.campaigns.length };
              }),
            })),
            businesses: this.world.businesses,
            login_configs: this.loginConfigs(),
          });
        case "GET /world":
          return ok({
            seed: this.seed,
            businesses: this.world.businesses,
            accounts: this.world.accounts.map((a) => ({
              id: a.id, name: a.name, currency: a.currency, timezone_name: a.timezone, account_status: a.accountStatus, business_id: a.businessId,
              campaigns: a.campaigns.map((c) => ({ id: c.id, name: c.name, status: c.status, objective: c.objective, start: dayStr(c.startDay), end: c.endDay == null ? null : dayStr(c.endDay), platforms: c.platforms })),
            })),
          });
        case "POST /activity": {
          const a = this.account(String(body.account ?? ""));
          if (!a) return bad("unknown account", 404);
          const c = body.campaign ? a.campaigns.find((x) => x.id === String(body.campaign)) : a.campaigns[0];
          if (!c) return bad("unknown campaign (must belong to the account)", 404);
          const day = dayNum(String(body.date ?? ""));
          if (Number.isNaN(day)) return bad("date must be YYYY-MM-DD");
          const pi = PLATFORMS.indexOf((body.platform ?? "facebook") as (typeof PLATFORMS)[number]);
          if (pi < 0) return bad(`platform must be one of ${PLATFORMS.join(", ")}`);
          const spend = parseMoneyToMinor(body.spend ?? 0, a.offset);
          const impressions = body.impressions != null ? Number(body.impressions) : Math.round((spend / a.offset / a.usdRate / 10) * 1000);
          const clicks = body.clicks != null ? Number(body.clicks) : Math.round(impressions * 0.01);
          const purchases = Number(body.conversions ?? 0);
          const purchaseValue = body.conversion_value != null ? parseMoneyToMinor(body.conversion_value, a.offset) : purchases * Math.round(50 * a.usdRate) * a.offset;
          const reach = body.reach != null ? Number(body.reach) : Math.round(impressions / 1.25);
          this.model.addActivity(c, pi, day, { spend, impressions, clicks, link: clicks, purchases, purchaseValue, reach });
          this.dataVersion++;
          return ok({ ok: true, account: a.id, campaign: c.id, platform: PLATFORMS[pi], date: dayStr(day), spend_minor: spend, impressions, clicks, conversions: purchases, conversion_value_minor: purchaseValue });
        }
        case "POST /restate": {
          const a = this.account(String(body.account ?? ""));
          if (!a) return bad("unknown account", 404);
          const day = dayNum(String(body.date ?? ""));
          if (Number.isNaN(day)) return bad("date must be YYYY-MM-DD");
          const factor = body.factor != null ? Number(body.factor) : 1.1;
          if (!(factor >= 0)) return bad("factor must be a non-negative number");
          this.model.restate.set(`${a.accountId}|${day}`, factor);
          this.dataVersion++;
          return ok({ ok: true, account: a.id, date: dayStr(day), factor });
        }
        case "POST /faults": {
          const list = Array.isArray(body) ? body : [body];
          const added = list.map((f) => this.addFault({ ...f, count: f.count ?? 1 }));
          return ok({ ok: true, faults: this.faults, added: added.length });
        }
        case "GET /faults":
          return ok({ faults: this.faults });
        case "DELETE /faults":
          this.faults = [];
          return ok({ ok: true });
        case "GET /limits":
          return ok({ limits: this.limiter.cfg, asyncJob: this.asyncCfg });
        case "POST /limits": {
          const { asyncJob, rowBudget, resetCounters, ...rest } = body;
          this.limiter.cfg = mergeLimits(this.limiter.cfg, { ...rest, ...(rowBudget != null ? { rowBudget: Number(rowBudget) } : {}) });
          if (asyncJob) this.asyncCfg = { ...this.asyncCfg, ...asyncJob };
          if (resetCounters) this.limiter.reset();
          return ok({ limits: this.limiter.cfg, asyncJob: this.asyncCfg });
        }
        case "POST /limits/reset-counters":
          this.limiter.reset();
          return ok({ ok: true });
        case "GET /calls":
          return ok(this.calls);
        case "POST /calls/reset":
          this.resetCalls();
          return ok({ ok: true });
        case "GET /truth":
          if (q.get("breakdown") || q.get("level") === "adset" || q.get("level") === "ad") {
            const acct = this.account(q.get("account") ?? "");
            if (!acct) return bad("unknown account", 404);
            const range = { since: q.get("since") ?? "", until: q.get("until") ?? "" };
            if (Number.isNaN(dayNum(range.since)) || Number.isNaN(dayNum(range.until)) || range.until < range.since) return bad("since/until must be YYYY-MM-DD with since <= until");
            const opts = { ...this.adInsightsOptions(), omitZeroRows: true };
            return ok(this.ads.truth(this.model, acct, this.model.nowCtx(acct, this.nowMs()), { ...range, level: q.get("level") ?? undefined, id: q.get("id") ?? undefined, breakdown: q.get("breakdown") ?? undefined }, opts));
          }
          return ok(this.truth({ account: q.get("account") ?? "", since: q.get("since") ?? "", until: q.get("until") ?? "", level: q.get("level") ?? undefined, platform: q.get("platform") ?? undefined, campaign: q.get("campaign") ?? undefined, window: q.get("window") ?? undefined }));
        case "GET /truth/daily":
          return ok(this.truthDaily({ account: q.get("account") ?? "", since: q.get("since") ?? "", until: q.get("until") ?? "", window: q.get("window") ?? undefined }));
        case "POST /signed-request": {
          if (!body.user_id) return bad("user_id is required");
          const kind = body.kind ?? "deauthorize";
          if (kind !== "deauthorize" && kind !== "data_deletion") return bad("kind must be deauthorize or data_deletion");
          const issued = Math.floor(this.nowMs() / 1000);
          const payload: Record<string, unknown> = { algorithm: "HMAC-SHA256", issued_at: issued, user_id: String(body.user_id) };
          if (kind === "data_deletion") payload.expires = issued + 3600;
          const enc = Buffer.from(JSON.stringify(payload)).toString("base64url");
          const sig = createHmac("sha256", this.appSecret).update(enc).digest("base64url");
          return ok({ signed_request: `${sig}.${enc}`, payload });
        }
      }
      const scenario = scenarioControl(this, method, path, body);
      if (scenario) return scenario;
      return bad(`unknown control route ${method} /__emulator${path}`, 404);
    } catch (e) {
      return bad((e as Error).message);
    }
  }
}

// ---------------- helpers ----------------
function unknownPath(p: string[]): GraphError {
  return new GraphError(400, { message: `Unknown path components: /${p.slice(1).join("/") || p[0]}`, type: "OAuthException", code: 2500 });
}

function select(obj: Record<string, unknown>, fields: string[], defaults: string[], nodeType: string): Record<string, unknown> {
  const want = fields.length ? fields : defaults;
  const out: Record<string, unknown> = {};
  for (const f of want) {
    if (!(f in obj)) throw nonexistingField(f, nodeType);
    if (obj[f] !== undefined) out[f] = obj[f];
  }
  if (fields.length && "id" in obj && !("id" in out)) out.id = obj.id; // Graph always returns the id
  return out;
}

function errRes(e: GraphError): GRes {
  return { status: e.status, headers: { ...e.headers }, body: { error: { ...e.body, fbtrace_id: fbtraceId() } } };
}

function batchItem(r: GRes, includeHeaders: boolean): unknown {
  const headers = [{ name: "Content-Type", value: "text/javascript; charset=UTF-8" }, ...Object.entries(r.headers).map(([name, value]) => ({ name, value }))];
  const body = r.body !== undefined ? JSON.stringify(r.body) : (r.html ?? r.text ?? "");
  return includeHeaders ? { code: r.status, headers, body } : { code: r.status, body };
}

function stringifyValues(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

function parseBody(raw: string, ctype: string): Record<string, string> {
  if (ctype.includes("application/json") || /^\s*\{/.test(raw)) {
    try {
      const o = JSON.parse(raw);
      if (o && typeof o === "object" && !Array.isArray(o)) return stringifyValues(o);
    } catch {
      /* fall back to form */
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, r: GRes): void {
  const headers: Record<string, string> = { ...r.headers };
  let body: string;
  if (r.location) {
    headers.Location = r.location;
    body = "";
  } else if (r.html != null) {
    headers["Content-Type"] ??= "text/html; charset=utf-8";
    body = r.html;
  } else if (r.text != null) {
    body = r.text;
  } else {
    headers["Content-Type"] = "application/json; charset=UTF-8";
    body = JSON.stringify(r.body ?? null);
  }
  if (r.body && typeof r.body === "object" && "error" in (r.body as object)) headers["x-fb-trace-id"] = ((r.body as any).error?.fbtrace_id as string) ?? "";
  res.writeHead(r.status, headers);
  res.end(body);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:2rem}li{margin:.5rem 0}</style></head><body>${body}</body></html>`;
}

const LA_FMT = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Los_Angeles", weekday: "long", day: "2-digit", month: "short", year: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
});
/** "Friday, 18-Aug-17 14:00:00 PDT" */
export function fbDate(ms: number): string {
  const p = Object.fromEntries(LA_FMT.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.weekday}, ${p.day}-${p.month}-${p.year} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

export type { TokenRec, Job, UnitValues };

function g0(n: AdNode): string {
  return n.kind === "adset" ? n.set.id : n.ad.id;
}
