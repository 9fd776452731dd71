/**
 * Rate governor: reads Meta's usage headers after every call and slows down or pauses before the
 * next one, so a sync stays under Meta's limits instead of running into them (calls made while
 * blocked extend the block, so hitting the limit is expensive).
 *
 * Usage per key (the app, and each ad account) = the largest percentage seen in X-App-Usage,
 * X-Ad-Account-Usage, X-Business-Use-Case-Usage and X-FB-Ads-Insights-Throttle. A call for an ad
 * account waits for the stricter of the app's and the account's state.
 * - usage ≥ slowAtPct (85): calls are spaced `slowIntervalMs` apart.
 * - usage ≥ pauseAtPct (95): no calls until Meta's own estimate (estimated_time_to_regain_access,
 *   or the account's reset_time_duration), or `pauseMs` when Meta gives neither.
 * Airbyte sleeps a flat 2 min at 85 % and 10 min at 95 %; we honour Meta's estimate when there is one,
 * which waits exactly as long as needed, and fall back to the same 10 minutes when there is none.
 *
 * Runtime-agnostic (no Node-only APIs). State is per process: each worker governs its own calls, and
 * Meta's headers (shared truth across processes) correct it on every response.
 */
import { waitFromUsageHeaders } from "./errors";

export interface GovernorOptions {
  slowAtPct?: number;
  pauseAtPct?: number;
  /** Minimum spacing between calls for a key in the slow zone. */
  slowIntervalMs?: number;
  /** Pause when usage crosses pauseAtPct and Meta does not say how long to wait. */
  pauseMs?: number;
  /** Upper bound for any single pause (guards against absurd header values). */
  maxPauseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface KeyState {
  usagePct: number;
  /** when usage was last observed */
  observedAt: number;
  pausedUntil?: number;
  /** earliest time the next call may start (slow zone spacing) */
  nextSlotAt: number;
}

const APP = "app";

/** "act_123", "123" -> "act_123"; anything else is kept as given. */
export function normalizeAccountId(id: string): string {
  return /^\d+$/.test(id) ? `act_${id}` : id;
}

function parseHeaderJson(headers: Headers, name: string): unknown {
  const raw = headers.get(name);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function pct(v: unknown): number {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.max(0, n) : 0;
}

/** The usage percentages in one response, split into what concerns the app and the ad account. */
export function usageFromHeaders(headers: Headers): { app?: number; account?: number; waitMs?: number; resetMs?: number } {
  const out: { app?: number; account?: number; waitMs?: number; resetMs?: number } = {};
  const max = (k: "app" | "account", v: number) => (out[k] = Math.max(out[k] ?? 0, v));
  const app = parseHeaderJson(headers, "x-app-usage") as Record<string, unknown> | undefined;
  if (app) max("app", Math.max(pct(app.call_count), pct(app.total_time), pct(app.total_cputime)));
  const acc = parseHeaderJson(headers, "x-ad-account-usage") as Record<string, unknown> | undefined;
  if (acc) {
    max("account", pct(acc.acc_id_util_pct));
    // seconds until the account's usage is back to zero: the right pause length when near the limit
    if (pct(acc.reset_time_duration) > 0) out.resetMs = pct(acc.reset_time_duration) * 1000;
  }
  const buc = parseHeaderJson(headers, "x-business-use-case-usage");
  if (buc && typeof buc === "object") {
    for (const entries of Object.values(buc as Record<string, unknown>)) {
      if (!Array.isArray(entries)) continue;
      for (const e of entries as Record<string, unknown>[]) {
        max("account", Math.max(pct(e?.call_count), pct(e?.total_time), pct(e?.total_cputime)));
        if (pct(e?.estimated_time_to_regain_access) > 0) max("account", 100);
      }
    }
  }
  const ins = parseHeaderJson(headers, "x-fb-ads-insights-throttle") as Record<string, unknown> | undefined;
  if (ins) {
    max("app", pct(ins.app_id_util_pct));
    max("account", pct(ins.acc_id_util_pct));
  }
  const wait = waitFromUsageHeaders(headers);
  if (wait) out.waitMs = wait;
  return out;
}

export class RateGovernor {
  readonly slowAtPct: number;
  readonly pauseAtPct: number;
  readonly slowIntervalMs: number;
  readonly pauseMs: number;
  readonly maxPauseMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly keys = new Map<string, KeyState>();
  /** total time spent waiting, for tests and metrics */
  waitedMs = 0;

  constructor(opts: GovernorOptions = {}) {
    this.slowAtPct = opts.slowAtPct ?? 85;
    this.pauseAtPct = opts.pauseAtPct ?? 95;
    this.slowIntervalMs = opts.slowIntervalMs ?? 2_000;
    this.pauseMs = opts.pauseMs ?? 10 * 60_000;
    this.maxPauseMs = opts.maxPauseMs ?? 60 * 60_000;
    this.now = opts.now ?? (() => Date.now());
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    if (!(this.slowAtPct < this.pauseAtPct)) throw new Error("RateGovernor: slowAtPct must be below pauseAtPct");
  }

  private key(k: string): KeyState {
    let s = this.keys.get(k);
    if (!s) this.keys.set(k, (s = { usagePct: 0, observedAt: 0, nextSlotAt: 0 }));
    return s;
  }

  private update(k: string, usage: number, waitMs: number | undefined, resetMs?: number) {
    const s = this.key(k);
    const now = this.now();
    s.usagePct = usage;
    s.observedAt = now;
    if (usage >= this.pauseAtPct) {
      const pause = Math.min(this.maxPauseMs, waitMs && waitMs > 0 ? waitMs : resetMs && resetMs > 0 ? resetMs : this.pauseMs);
      s.pausedUntil = Math.max(s.pausedUntil ?? 0, now + pause);
    } else if (waitMs && waitMs > 0) {
      // Meta says we are blocked even though the percentages look fine: believe the wait.
      s.pausedUntil = Math.max(s.pausedUntil ?? 0, now + Math.min(this.maxPauseMs, waitMs));
    }
  }

  /** Records the usage headers of one response (successful or not). */
  observe(headers: Headers, accountId?: string): void {
    const u = usageFromHeaders(headers);
    if (u.app !== undefined) this.update(APP, u.app, u.account === undefined ? u.waitMs : undefined);
    if (u.account !== undefined) {
      // Without an account the business-use-case numbers still describe someone's quota; attribute
      // them to the app so they are not lost (it only makes us more careful).
      this.update(accountId ? normalizeAccountId(accountId) : APP, u.account, u.waitMs, u.resetMs);
    }
  }

  /** Meta refused a call as rate-limited: stop calling that key for at least `waitMs`. */
  penalize(accountId: string | undefined, waitMs: number): void {
    const s = this.key(accountId ? normalizeAccountId(accountId) : APP);
    s.usagePct = 100;
    s.observedAt = this.now();
    s.pausedUntil = Math.max(s.pausedUntil ?? 0, this.now() + Math.min(this.maxPauseMs, waitMs));
  }

  /** Waits as long as the app's and the account's state require, then reserves a slot. */
  async beforeCall(accountId?: string): Promise<void> {
    const keys = accountId ? [APP, normalizeAccountId(accountId)] : [APP];
    for (;;) {
      const now = this.now();
      let until = now;
      for (const k of keys) {
        const s = this.keys.get(k);
        if (!s) continue;
        if (s.pausedUntil !== undefined) {
          if (s.pausedUntil > now) until = Math.max(until, s.pausedUntil);
          else {
            // The pause is over: the old percentages are stale; the next response tells the truth.
            s.pausedUntil = undefined;
            s.usagePct = 0;
          }
        }
        if (s.usagePct >= this.slowAtPct && s.nextSlotAt > now) until = Math.max(until, s.nextSlotAt);
      }
      if (until <= now) break;
      const wait = until - now;
      this.waitedMs += wait;
      await this.sleep(wait);
    }
    const now = this.now();
    for (const k of keys) {
      const s = this.key(k);
      if (s.usagePct >= this.slowAtPct) s.nextSlotAt = now + this.slowIntervalMs;
    }
  }

  /** Current view: the stricter of the app's and (when given) the account's usage and pause. */
  state(accountId?: string): { usagePct: number; pausedUntil?: number } {
    const now = this.now();
    const keys = accountId ? [APP, normalizeAccountId(accountId)] : [APP];
    let usagePct = 0;
    let pausedUntil: number | undefined;
    for (const k of keys) {
      const s = this.keys.get(k);
      if (!s) continue;
      usagePct = Math.max(usagePct, s.usagePct);
      if (s.pausedUntil !== undefined && s.pausedUntil > now) pausedUntil = Math.max(pausedUntil ?? 0, s.pausedUntil);
    }
    return pausedUntil === undefined ? { usagePct } : { usagePct, pausedUntil };
  }

  /** For metrics: the app's last usage and the highest of any account's, in percent. */
  utilisation(): { app: number; maxAccount: number } {
    let maxAccount = 0;
    for (const [k, s] of this.keys) if (k !== APP) maxAccount = Math.max(maxAccount, s.usagePct);
    return { app: this.keys.get(APP)?.usagePct ?? 0, maxAccount };
  }
}
