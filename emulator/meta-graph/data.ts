import { AdAccount, Campaign, PLATFORMS, World } from "./world";
import { dayOfYear, localInfo, rngFor, weekday, ymd } from "./util";
import { addCredit, splitCredit, ZERO_CREDIT, type Credit } from "./attribution";

/** One campaign × platform × day of delivery. Money in minor (offset) units, everything integer. */
export interface UnitValues {
  spend: number;
  impressions: number;
  clicks: number;
  link: number;
  lpv: number;
  engagement: number;
  purchases: number;
  purchaseValue: number;
  leads: number;
  addToCart: number;
  reach: number;
  /** purchases and their value per attribution window (attribution.ts); set by DataModel.unit */
  credit?: Credit;
}

export interface ActivityEntry {
  spend: number;
  impressions: number;
  clicks: number;
  link: number;
  purchases: number;
  purchaseValue: number;
  reach: number;
}

export interface NowCtx {
  today: number;
  fraction: number; // share of today already elapsed in the account's time zone
}

export interface ModelConfig {
  /** days of late conversion crediting (restatement window) */
  restatementDays: number;
  /** share of final conversions visible on the day itself (grows linearly to 1 at restatementDays) */
  lateCreditStart: number;
  /** extra spend/impressions/clicks on fresh days, later removed (invalid-traffic adjustment), per day of age < 3 */
  invalidTrafficPct: number;
}

export const DEFAULT_MODEL: ModelConfig = { restatementDays: 28, lateCreditStart: 0.7, invalidTrafficPct: 1.5 };

const WEEKDAY = [0.9, 1.0, 1.02, 1.03, 1.05, 1.08, 0.94];
// per PLATFORMS index: facebook, instagram, audience_network, messenger, threads
const CPM_MULT = [1, 1.25, 0.45, 0.8, 0.7];
const CTR_MULT = [1, 0.8, 1.6, 1.1, 0.9];

const ZERO = (): UnitValues => ({
  spend: 0,
  impressions: 0,
  clicks: 0,
  link: 0,
  lpv: 0,
  engagement: 0,
  purchases: 0,
  purchaseValue: 0,
  leads: 0,
  addToCart: 0,
  reach: 0,
});

export class DataModel {
  private cache = new Map<string, Array<Array<UnitValues | null | undefined>>>();
  /** key `${campaignId}|${platformIndex}|${day}` */
  activity = new Map<string, ActivityEntry[]>();
  /** key `${accountDigits}|${day}` → factor */
  restate = new Map<string, number>();

  constructor(
    public world: World,
    public seed: string,
    public cfg: ModelConfig = DEFAULT_MODEL,
  ) {}

  nowCtx(acct: AdAccount, nowMs: number): NowCtx {
    const li = localInfo(nowMs, acct.timezone);
    return { today: li.day, fraction: li.secondsOfDay / 86400 };
  }

  /** Final (fully credited) generated numbers, independent of the clock. */
  base(c: Campaign, pi: number, day: number): UnitValues | null {
    if (day < c.startDay || (c.endDay != null && day > c.endDay)) return null;
    if (!(c.shares[pi]! > 0)) return null;
    let perC = this.cache.get(c.id);
    if (!perC) {
      if (this.cache.size > 5000) this.cache.clear();
      this.cache.set(c.id, (perC = PLATFORMS.map(() => [])));
    }
    const arr = perC[pi]!;
    const idx = day - c.startDay;
    const hit = arr[idx];
    if (hit !== undefined) return hit;
    const v = this.gen(c, pi, day);
    arr[idx] = v;
    return v;
  }

  private gen(c: Campaign, pi: number, day: number): UnitValues | null {
    const acct = this.world.accountsById.get(c.accountId)!;
    const r = rngFor(this.seed, c.id, pi, day);
    const { m } = ymd(day);
    const season = 1 + 0.12 * Math.sin((2 * Math.PI * (dayOfYear(day) - 100)) / 365) + (m === 11 || m === 12 ? 0.2 : 0);
    const wd = WEEKDAY[weekday(day)]!;
    const noise = 0.75 + r() * 0.4;
    const skip = r();
    if (pi >= 2 && skip < 0.12) return null;
    const spend = Math.round(c.dailyBudget * c.shares[pi]! * season * wd * noise);
    if (spend <= 0) return null;
    const spendUsd = spend / acct.offset / acct.usdRate;
    const cpm = c.cpmUsd * CPM_MULT[pi]! * (0.85 + r() * 0.3);
    const impressions = Math.max(1, Math.round((spendUsd / cpm) * 1000));
    const clicks = Math.round(impressions * c.ctr * CTR_MULT[pi]! * (0.8 + r() * 0.4));
    const link = Math.min(clicks, Math.round(clicks * c.linkShare));
    const lpv = Math.round(link * (0.6 + r() * 0.25));
    const engagement = clicks + Math.round(impressions * 0.002 * r());
    const purchases = Math.floor(link * c.cvr + r());
    const purchaseValue = purchases > 0 ? Math.round(purchases * c.aovMinor * (0.7 + r() * 0.6)) : 0;
    const leads = Math.floor(link * c.leadRate + r());
    const addToCart = c.cvr > 0 ? purchases * 2 + Math.floor(link * 0.02 * r()) : 0;
    const reach = Math.max(1, Math.min(impressions, Math.round(impressions / (c.freq * (0.95 + r() * 0.1)))));
    return { spend, impressions, clicks, link, lpv, engagement, purchases, purchaseValue, leads, addToCart, reach };
  }

  /** Observed numbers for a campaign/platform/day as reported at `now`. */
  unit(c: Campaign, pi: number, day: number, now: NowCtx): UnitValues | null {
    let v: UnitValues | null = null;
    if (day <= now.today) {
      const b = this.base(c, pi, day);
      if (b) {
        v = {
          spend: b.spend,
          impressions: b.impressions,
          clicks: b.clicks,
          link: b.link,
          lpv: b.lpv,
          engagement: b.engagement,
          purchases: b.purchases,
          purchaseValue: b.purchaseValue,
          leads: b.leads,
          addToCart: b.addToCart,
          reach: b.reach,
        };
        const f = this.restate.size ? this.restate.get(`${c.accountId}|${day}`) : undefined;
        if (f != null && f !== 1) scale(v, f, Math.round);
        const age = now.today - day;
        if (age < 3 && this.cfg.invalidTrafficPct) {
          const g = 1 + (this.cfg.invalidTrafficPct / 100) * ((3 - age) / 3);
          v.spend = Math.round(v.spend * g);
          v.impressions = Math.round(v.impressions * g);
          v.clicks = Math.round(v.clicks * g);
          v.link = Math.round(v.link * g);
          v.reach = Math.round(v.reach * g);
        }
        if (age < this.cfg.restatementDays) {
          const lc = this.cfg.lateCreditStart + (1 - this.cfg.lateCreditStart) * (age / this.cfg.restatementDays);
          // Whole conversions are credited late: each unit's count is rounded with its own fixed
          // threshold, so a row with one purchase shows it from the day a share lc of them would be
          // visible (flooring instead would hide nearly every recent purchase), the count only grows
          // as the day ages, and the value follows the credited count.
          const u = rngFor(this.seed, c.id, pi, day, "late-credit")();
          const credited = Math.min(v.purchases, Math.floor(v.purchases * lc + u));
          v.purchaseValue = v.purchases > 0 ? Math.round((v.purchaseValue * credited) / v.purchases) : 0;
          v.purchases = credited;
          v.leads = Math.min(v.leads, Math.floor(v.leads * lc + u));
          v.addToCart = Math.min(v.addToCart, Math.floor(v.addToCart * lc + u));
          v.lpv = Math.floor(v.lpv * (0.9 + 0.1 * Math.min(1, age / 3)));
        }
        if (age === 0) scale(v, now.fraction, Math.floor);
      }
    }
    const acts = this.activity.size ? this.activity.get(`${c.id}|${pi}|${day}`) : undefined;
    if (acts) {
      if (!v) v = ZERO();
      for (const a of acts) {
        v.spend += a.spend;
        v.impressions += a.impressions;
        v.clicks += a.clicks;
        v.link += a.link;
        v.purchases += a.purchases;
        v.purchaseValue += a.purchaseValue;
        v.reach += a.reach;
      }
    }
    if (!v) return null;
    // invariants
    if (v.link > v.clicks) v.link = v.clicks;
    if (v.reach > v.impressions) v.reach = v.impressions;
    if (v.impressions > 0 && v.reach === 0) v.reach = 1;
    if (v.impressions === 0 && v.spend === 0 && v.clicks === 0 && v.purchases === 0) return null;
    v.credit = splitCredit(v.purchases, v.purchaseValue, rngFor(this.seed, c.id, pi, day, "attribution"));
    return v;
  }

  addActivity(c: Campaign, pi: number, day: number, e: ActivityEntry): void {
    const key = `${c.id}|${pi}|${day}`;
    const l = this.activity.get(key) ?? [];
    l.push(e);
    this.activity.set(key, l);
  }
}

/** Totals over a set of units with de-duplicated reach. */
export interface Totals extends UnitValues {
  units: number;
}

function scale(v: UnitValues, f: number, r: (x: number) => number): void {
  v.spend = r(v.spend * f);
  v.impressions = r(v.impressions * f);
  v.clicks = r(v.clicks * f);
  v.link = r(v.link * f);
  v.lpv = r(v.lpv * f);
  v.engagement = r(v.engagement * f);
  // the value follows the scaled count (the unit's average order value): a partly elapsed "today"
  // must not show a purchase value next to 0 purchases
  const purchases = r(v.purchases * f);
  v.purchaseValue = v.purchases > 0 ? Math.round((v.purchaseValue * purchases) / v.purchases) : 0;
  v.purchases = purchases;
  v.leads = r(v.leads * f);
  v.addToCart = r(v.addToCart * f);
  v.reach = r(v.reach * f);
}

export class Aggregator {
  t: Totals & { credit: Credit } = { ...ZERO(), units: 0, credit: ZERO_CREDIT() };
  // reach model state per campaign
  private per = new Map<Campaign, { log: number; max: number; sum: number }>();
  constructor(private acct: AdAccount) {}

  add(c: Campaign, v: UnitValues): void {
    const t = this.t;
    t.units++;
    t.spend += v.spend;
    t.impressions += v.impressions;
    t.clicks += v.clicks;
    t.link += v.link;
    t.lpv += v.lpv;
    t.engagement += v.engagement;
    t.purchases += v.purchases;
    t.purchaseValue += v.purchaseValue;
    t.leads += v.leads;
    t.addToCart += v.addToCart;
    if (v.credit) addCredit(t.credit, v.credit);
    if (v.reach <= 0) return;
    let s = this.per.get(c);
    if (!s) this.per.set(c, (s = { log: 0, max: 0, sum: 0 }));
    s.log += Math.log1p(-Math.min(v.reach / c.audiencePool, 0.999999));
    s.max = Math.max(s.max, v.reach);
    s.sum += v.reach;
  }

  /** Unique reach: inclusion model — within a campaign people are drawn from its audience pool independently each
   * campaign-platform-day; campaigns draw from the account's audience pool independently. */
  finish(): Totals & { credit: Credit } {
    let logA = 0;
    let maxA = 0;
    let sumA = 0;
    // deterministic order
    const entries = [...this.per.entries()].sort((a, b) => (a[0].id < b[0].id ? -1 : 1));
    for (const [c, s] of entries) {
      const rc = Math.min(s.sum, Math.max(s.max, Math.round(c.audiencePool * -Math.expm1(s.log))));
      logA += Math.log1p(-Math.min(rc / this.acct.audiencePool, 0.999999));
      maxA = Math.max(maxA, rc);
      sumA += rc;
    }
    this.t.reach = entries.length === 0 ? 0 : Math.min(sumA, Math.max(maxA, Math.round(this.acct.audiencePool * -Math.expm1(logA))));
    return this.t;
  }
}

export const PLATFORM_COUNT = PLATFORMS.length;
