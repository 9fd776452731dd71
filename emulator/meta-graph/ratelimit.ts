import { GraphError } from "./errors";

export type BucType = "ads_insights" | "ads_management";

export interface LimitsConfig {
  /** Per ad-account score (read = readPoints, write = writePoints) over a rolling window. */
  accountScore: { max: number; windowSeconds: number; blockSeconds: number; readPoints: number; writePoints: number };
  /** Business-use-case call budgets per ad account and type over a rolling window. */
  buc: { ads_insights: number; ads_management: number; windowSeconds: number; blockSeconds: number; keyBy: "business" | "account" };
  /** Per-app call budget (all Graph calls with a token). */
  app: { maxCalls: number; windowSeconds: number; blockSeconds: number };
  /** Per ad-account burst limit (calls per second) → 613/1487742. 0 disables. */
  burst: { perSecond: number; blockSeconds: number };
  /** value of ads_api_access_tier in headers */
  accessTier: string;
  /** Max rows of a synchronous insights result (beyond → 100/1487534). */
  rowBudget: number;
  /** HTTP status/code/subcode of the "too much data" error (UNCONFIRMED upstream). */
  tooMuchData: { httpStatus: number; code: number; subcode: number };
  /** When true, every rejected call while blocked restarts the block (Meta: "calls extend the block"). */
  extendBlockOnCall: boolean;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  accountScore: { max: 300, windowSeconds: 300, blockSeconds: 60, readPoints: 1, writePoints: 3 },
  buc: { ads_insights: 2000, ads_management: 2000, windowSeconds: 3600, blockSeconds: 60, keyBy: "business" },
  app: { maxCalls: 20000, windowSeconds: 3600, blockSeconds: 60 },
  burst: { perSecond: 100, blockSeconds: 1 },
  accessTier: "development_access",
  rowBudget: 10000,
  tooMuchData: { httpStatus: 400, code: 100, subcode: 1487534 },
  extendBlockOnCall: false,
};

/**
 * Meta's two Marketing API access tiers (Meta's "Marketing API Rate Limiting"): the ad-account score is
 * max 60 points (decay 300 s, block 300 s) on Limited/development access and 9,000 (decay 300 s, block
 * 60 s) on Full/standard access, read = 1 point, write = 3; the hourly business-use-case quotas start at
 * 600/300 (insights/management) on Limited and 190,000/100,000 on Full, plus a per-active-ad part not
 * modelled here. DEFAULT_LIMITS above sits between the tiers so tests reach the limits quickly; the
 * demo runs as an agency's production app does, on Full access.
 */
export const ACCESS_TIER_LIMITS = {
  development_access: {
    accessTier: "development_access",
    accountScore: { max: 60, windowSeconds: 300, blockSeconds: 300, readPoints: 1, writePoints: 3 },
    buc: { ads_insights: 600, ads_management: 300, windowSeconds: 3600 },
  },
  standard_access: {
    accessTier: "standard_access",
    accountScore: { max: 9000, windowSeconds: 300, blockSeconds: 60, readPoints: 1, writePoints: 3 },
    buc: { ads_insights: 190_000, ads_management: 100_000, windowSeconds: 3600 },
  },
} satisfies Record<string, DeepPartial<LimitsConfig>>;

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function mergeLimits(base: LimitsConfig, patch?: DeepPartial<LimitsConfig>): LimitsConfig {
  const out = structuredClone(base) as any;
  if (!patch) return out;
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === "object" && !Array.isArray(v) && typeof out[k] === "object") Object.assign(out[k], v);
    else if (v !== undefined) out[k] = v;
  }
  return out;
}

interface Ev {
  t: number;
  pts: number;
}

export interface RateContext {
  accountId: string | null; // digits
  businessKey: string | null;
  type: BucType;
  write: boolean;
  insights: boolean;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export class RateLimiter {
  private score = new Map<string, Ev[]>();
  private buc = new Map<string, Ev[]>();
  private app: Ev[] = [];
  private burst = new Map<string, Ev[]>();
  private blocks = new Map<string, number>();
  constructor(
    public cfg: LimitsConfig,
    private clock: () => number = Date.now,
  ) {}

  reset(): void {
    this.score.clear();
    this.buc.clear();
    this.app = [];
    this.burst.clear();
    this.blocks.clear();
  }

  private prune(list: Ev[], windowMs: number, now: number): Ev[] {
    let i = 0;
    while (i < list.length && list[i]!.t <= now - windowMs) i++;
    if (i) list.splice(0, i);
    return list;
  }
  private sum(list: Ev[]): number {
    let s = 0;
    for (const e of list) s += e.pts;
    return s;
  }
  private get<K>(m: Map<K, Ev[]>, k: K): Ev[] {
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    return l;
  }

  /** Checks and records one call. Throws GraphError (with headers) when over a limit. Returns headers. */
  hit(ctx: RateContext): Record<string, string> {
    const now = this.clock();
    const c = this.cfg;
    const appList = this.prune(this.app, c.app.windowSeconds * 1000, now);
    const blocked = (key: string) => (this.blocks.get(key) ?? 0) > now;
    const block = (key: string, seconds: number) => this.blocks.set(key, now + seconds * 1000);
    const fail = (key: string, seconds: number, err: GraphError["body"]) => {
      if (!blocked(key) || c.extendBlockOnCall) block(key, seconds);
      throw new GraphError(400, err, this.headers(ctx));
    };
    // app level
    if (blocked("app") || appList.length + 1 > c.app.maxCalls)
      fail("app", c.app.blockSeconds, { message: "(#4) Application request limit reached", type: "OAuthException", code: 4, is_transient: true });
    if (ctx.accountId) {
      const a = ctx.accountId;
      const pts = ctx.write ? c.accountScore.writePoints : c.accountScore.readPoints;
      const sc = this.prune(this.get(this.score, a), c.accountScore.windowSeconds * 1000, now);
      if (blocked(`score|${a}`) || this.sum(sc) + pts > c.accountScore.max)
        fail(`score|${a}`, c.accountScore.blockSeconds, {
          message: "(#17) User request limit reached",
          type: "OAuthException",
          code: 17,
          error_subcode: 2446079,
          is_transient: true,
          error_user_title: "Ad Account Has Too Many API Calls",
          error_user_msg: "There have been too many calls from this ad-account. Please wait a bit and try again.",
        });
      const bk = `${a}|${ctx.type}`;
      const bl = this.prune(this.get(this.buc, bk), c.buc.windowSeconds * 1000, now);
      if (blocked(`buc|${bk}`) || bl.length + 1 > c.buc[ctx.type]) {
        const code = ctx.type === "ads_insights" ? 80000 : 80004;
        fail(`buc|${bk}`, c.buc.blockSeconds, {
          message: `(#${code}) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.`,
          type: "OAuthException",
          code,
          error_subcode: 2446079,
          is_transient: true,
        });
      }
      if (c.burst.perSecond > 0) {
        const bu = this.prune(this.get(this.burst, a), 1000, now);
        if (blocked(`burst|${a}`) || bu.length + 1 > c.burst.perSecond)
          fail(`burst|${a}`, c.burst.blockSeconds, {
            message: "(#613) Calls to this api have exceeded the rate limit.",
            type: "OAuthException",
            code: 613,
            error_subcode: 1487742,
            is_transient: true,
          });
        bu.push({ t: now, pts: 1 });
      }
      sc.push({ t: now, pts });
      bl.push({ t: now, pts: 1 });
    }
    appList.push({ t: now, pts: 1 });
    return this.headers(ctx);
  }

  /** Forces a block (used by rate-limit faults so headers look consistent). */
  headers(ctx: RateContext): Record<string, string> {
    const now = this.clock();
    const c = this.cfg;
    const h: Record<string, string> = {};
    const appList = this.prune(this.app, c.app.windowSeconds * 1000, now);
    const appBlocked = (this.blocks.get("app") ?? 0) > now;
    const appPct = appBlocked ? 100 : Math.min(100, Math.round((appList.length / c.app.maxCalls) * 100));
    h["X-App-Usage"] = JSON.stringify({ call_count: appPct, total_time: Math.round(appPct * 0.8), total_cputime: Math.round(appPct * 0.6) });
    if (!ctx.accountId) return h;
    const a = ctx.accountId;
    const sc = this.prune(this.get(this.score, a), c.accountScore.windowSeconds * 1000, now);
    const scoreBlockedUntil = this.blocks.get(`score|${a}`) ?? 0;
    const scorePct = scoreBlockedUntil > now ? 100 : Math.min(100, round2((this.sum(sc) / c.accountScore.max) * 100));
    const resetSec =
      scoreBlockedUntil > now
        ? Math.ceil((scoreBlockedUntil - now) / 1000)
        : sc.length
          ? Math.max(0, Math.ceil((sc[0]!.t + c.accountScore.windowSeconds * 1000 - now) / 1000))
          : 0;
    h["X-Ad-Account-Usage"] = JSON.stringify({ acc_id_util_pct: scorePct, reset_time_duration: resetSec, ads_api_access_tier: c.accessTier });
    const entries: unknown[] = [];
    let insightsPct = 0;
    for (const type of ["ads_insights", "ads_management"] as BucType[]) {
      const bk = `${a}|${type}`;
      const list = this.prune(this.get(this.buc, bk), c.buc.windowSeconds * 1000, now);
      const until = Math.max(this.blocks.get(`buc|${bk}`) ?? 0, type === ctx.type ? scoreBlockedUntil : 0, this.blocks.get(`burst|${a}`) ?? 0);
      const blocked = until > now;
      const pct = blocked ? 100 : Math.min(100, Math.round((list.length / c.buc[type]) * 100));
      if (type === "ads_insights") insightsPct = pct;
      if (type !== ctx.type && list.length === 0 && !blocked) continue;
      entries.push({
        type,
        call_count: pct,
        total_cputime: Math.round(pct * 0.5),
        total_time: Math.round(pct * 0.7),
        estimated_time_to_regain_access: blocked ? Math.max(1, Math.ceil((until - now) / 60000)) : 0,
        ads_api_access_tier: c.accessTier,
      });
    }
    const key = c.buc.keyBy === "business" && ctx.businessKey ? ctx.businessKey : a;
    h["X-Business-Use-Case-Usage"] = JSON.stringify({ [key]: entries });
    if (ctx.insights)
      h["X-FB-Ads-Insights-Throttle"] = JSON.stringify({ app_id_util_pct: appPct, acc_id_util_pct: insightsPct, ads_api_access_tier: c.accessTier });
    return h;
  }

  /** Blocks a key for the given time (used by faults). */
  forceBlock(kind: "score" | "buc" | "app" | "burst", ctx: RateContext, seconds: number): void {
    const now = this.clock();
    const key = kind === "app" ? "app" : kind === "buc" ? `buc|${ctx.accountId}|${ctx.type}` : `${kind}|${ctx.accountId}`;
    this.blocks.set(key, now + seconds * 1000);
  }
}
