/**
 * The Meta Graph API emulator: its state (world, data model, tokens, jobs, faults) and the Graph
 * dispatcher. Transport, router, OAuth, async jobs, control API and faults are modules of their own;
 * the class keeps one-line entry points so each module reaches the others through the emulator.
 */
import { AdsCatalog } from "./ads";
import { type AdScope } from "./ads-insights";
import {
  AsyncJobConfig,
  CodeRec,
  DEFAULT_APP_ID,
  DEFAULT_APP_SECRET,
  DEFAULT_LOGIN_CONFIGS,
  DEFAULT_SCOPES,
  DialogReq,
  EmulatorOptions,
  FAULT_KINDS,
  Fault,
  GReq,
  GRes,
  Job,
  LoginConfig,
  Route,
  TokenRec,
  appsecretProof,
  errRes,
  fbDate,
} from "./common";
import { DEFAULT_MODEL, DataModel, UnitValues } from "./data";
import { GraphError } from "./errors";
import { expandsEdge } from "./expansion";
import { InsightsQuery } from "./insights";
import { BucType, DEFAULT_LIMITS, LimitsConfig, RateContext, RateLimiter, mergeLimits } from "./ratelimit";
import { checkVersion } from "./versions";
import { AdAccount, Campaign, User, World, WorldSpec, buildWorld } from "./world";
import { type IncomingMessage, type ServerResponse } from "node:http";
import * as control from "./control";
import * as faults from "./faults";
import * as jobs from "./jobs";
import * as oauth from "./oauth";
import * as router from "./router";
import * as transport from "./transport";

// Members are public to the emulator's own modules (each takes the emulator as its first argument).
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
  baseLimits: LimitsConfig;
  opts: EmulatorOptions;
  /** Added to every Graph answer (EmulatorOptions.latencyMs); back to the start-up value on reset. */
  latencyMs = 0;

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
    this.keptJobs = [];
    this.keptJobRows = 0;
    this.oldReachJobs?.clear();
    this.faults = [];
    this.latencyMs = Math.max(0, Number(this.opts.latencyMs ?? 0));
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

  count(kind: string, account: AdAccount | null): void {
    this.calls.total++;
    this.calls.byKind[kind] = (this.calls.byKind[kind] ?? 0) + 1;
    if (account) this.calls.byAccount[account.id] = (this.calls.byAccount[account.id] ?? 0) + 1;
  }

  issueToken(userId: string, type: "USER" | "SYSTEM_USER", expiresInSeconds: number | null, scopes = DEFAULT_SCOPES): TokenRec {
    return oauth.issueToken(this, userId, type, expiresInSeconds, scopes);
  }

  addFault(f: Partial<Fault> & { kind: string; count?: number }): Fault {
    return faults.addFault(this, f);
  }

  takeFault(kinds: string[], account: AdAccount | null, endpoint: string): Fault | null {
    return faults.takeFault(this, kinds, account, endpoint);
  }

  account(idOrAct: string): AdAccount | undefined {
    return this.world.accountsById.get(String(idOrAct).replace(/^act_/, ""));
  }

  // ---------------- truth ----------------
  truth(q: { account: string; since: string; until: string; level?: string; platform?: string; campaign?: string; window?: string }): unknown {
    return control.truth(this, q);
  }

  truthDaily(q: { account: string; since: string; until: string; window?: string }): unknown {
    return control.truthDaily(this, q);
  }

  // ---------------- HTTP entry ----------------
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return transport.handle(this, req, res);
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
    // An account read that expands its insights edge costs what an insights read costs.
    const insightsRead =
      route.kind.startsWith("insights") || route.kind === "report_run_insights" || (route.kind === "adaccount" && expandsEdge(g.params.fields, "insights"));
    const rctx: RateContext = {
      accountId: route.account?.accountId ?? null,
      businessKey: route.account?.businessId ?? null,
      type: (insightsRead || route.kind.startsWith("report_run") ? "ads_insights" : "ads_management") as BucType,
      write: g.method === "POST",
      insights: insightsRead,
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
      const f = this.takeFault(
        [...FAULT_KINDS].filter((k) => k.startsWith("code") || k === "http500" || k === "drop"),
        route.account,
        route.kind,
      );
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

  withFaults(route: Route, _g: GReq, fn: () => GRes): Promise<GRes> {
    return faults.withFaults(this, route, _g, fn);
  }

  faultResponse(f: Fault, rctx: RateContext): GRes {
    return faults.faultResponse(this, f, rctx);
  }

  route(g: GReq): Route {
    return router.route(this, g);
  }

  tokenOf(g: GReq): string | undefined {
    return oauth.tokenOf(this, g);
  }

  tokenErrorFirst(g: GReq): GraphError | null {
    return oauth.tokenErrorFirst(this, g);
  }

  isAppToken(t: string): boolean {
    return oauth.isAppToken(this, t);
  }

  checkToken(t: string): TokenRec {
    return oauth.checkToken(this, t);
  }

  tokenInvalidity(rec: TokenRec): { message: string; subcode: number } | null {
    return oauth.tokenInvalidity(this, rec);
  }

  auth(g: GReq, allowApp: boolean): TokenRec | "app" {
    return oauth.auth(this, g, allowApp);
  }

  userOf(tok: TokenRec): User {
    return this.world.usersById.get(tok.userId)!;
  }

  canSee(tok: TokenRec, acct: AdAccount): boolean {
    const u = this.userOf(tok);
    return !!u && u.accountIds.includes(acct.accountId);
  }

  // ---------------- handlers ----------------
  exec(route: Route, g: GReq, tok: TokenRec | "app" | null): Promise<GRes> {
    return router.exec(this, route, g, tok);
  }

  paged<T>(items: T[], g: GReq, summary: boolean): Record<string, unknown> {
    return router.paged(this, items, g, summary);
  }

  accountObj(a: AdAccount, fields: string[]): Record<string, unknown> {
    return router.accountObj(this, a, fields);
  }

  listCampaigns(a: AdAccount, params: Record<string, string>): Campaign[] {
    return router.listCampaigns(this, a, params);
  }

  campaignObj(c: Campaign, fields: string[]): Record<string, unknown> {
    return router.campaignObj(this, c, fields);
  }

  adObjects(route: Route, g: GReq): GRes {
    return router.adObjects(this, route, g);
  }

  adScope(route: Route): AdScope {
    return router.adScope(this, route);
  }

  insightsCommon(route: Route, g: GReq): { q: InsightsQuery; acct: AdAccount } {
    return router.insightsCommon(this, route, g);
  }

  /** Small cache of computed result sets so that walking pages does not recompute the whole query. */
  rowCache = new Map<string, Array<Record<string, unknown>>>();
  dataVersion = 0;

  computeRows(route: Route, q: InsightsQuery, allowOldBreakdownReach = false, at?: router.RowsAt): Promise<Array<Record<string, unknown>>> {
    return router.computeRows(this, route, q, allowOldBreakdownReach, at);
  }

  /** Report runs whose rows are held in memory, oldest first, and how many rows they hold (jobs.ts). */
  keptJobs: Job[] = [];
  keptJobRows = 0;

  adInsightsOptions() {
    return router.adInsightsOptions(this);
  }

  insightsSync(route: Route, g: GReq): Promise<GRes> {
    return router.insightsSync(this, route, g);
  }

  /** Async jobs that returned reach for old breakdown queries, per `${account}|${day}`. */
  oldReachJobs = new Map<string, number>();

  insightsAsync(route: Route, g: GReq, tok: TokenRec): Promise<GRes> {
    return jobs.insightsAsync(this, route, g, tok);
  }

  jobState(j: Job, poll: boolean): { status: string; pct: number } {
    return jobs.jobState(this, j, poll);
  }

  jobObj(j: Job, fields: string[], poll: boolean, version: string | null): Record<string, unknown> {
    return jobs.jobObj(this, j, fields, poll, version);
  }

  // ---------------- batch ----------------
  batch(g: GReq): Promise<GRes> {
    return jobs.batch(this, g);
  }

  // ---------------- OAuth ----------------
  dialog(g: GReq): GRes {
    return oauth.dialog(this, g);
  }

  loginConfigs(): Record<string, LoginConfig> {
    return oauth.loginConfigs(this);
  }

  decide(g: GReq): GRes {
    return oauth.decide(this, g);
  }

  accessToken(g: GReq): GRes {
    return oauth.accessToken(this, g);
  }

  debugToken(g: GReq): GRes {
    return oauth.debugToken(this, g);
  }

  // ---------------- control API ----------------
  control(method: string, path: string, q: URLSearchParams, body: any): GRes {
    return control.control(this, method, path, q, body);
  }
}

export type { TokenRec, Job, UnitValues };
export { DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_SCOPES, DEFAULT_LOGIN_CONFIGS, appsecretProof, fbDate };
export type { AsyncJobConfig, LoginConfig, EmulatorOptions, Fault, GRes };
