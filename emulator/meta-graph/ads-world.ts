/**
 * Ad sets, ads and creatives below the emulator's campaigns, and how a campaign's delivery is shared
 * among them and across audience buckets.
 *
 * The campaign x platform x day unit of data.ts stays the source of every number: it is split into
 * ad sets, each ad set's part into its ads, and any part into breakdown buckets, by integer
 * largest-remainder splits. So ads sum exactly to their ad set, ad sets to their campaign, and the
 * campaign numbers the emulator always served do not change. Everything is derived from the seed and
 * the ids (no clock), generated lazily per campaign.
 */
import type { UnitValues } from "./data";
import type { Credit } from "./attribution";
import type { Campaign } from "./world";
import { rngFor } from "./util";

export interface AdSet {
  id: string;
  campaign: Campaign;
  index: number;
  name: string;
  status: "ACTIVE" | "PAUSED";
  optimizationGoal: string;
  /** offset units; 0 when the ad set has a lifetime budget or the campaign budget is used */
  dailyBudget: number;
  lifetimeBudget: number;
  bidStrategy: string;
  weight: number;
  /** share multipliers per audience bucket family (see BUCKETS) */
  skew: number;
  ads: Ad[];
}

export interface Ad {
  id: string;
  adset: AdSet;
  index: number;
  name: string;
  status: "ACTIVE" | "PAUSED";
  creativeId: string;
  title: string;
  body: string;
  callToAction: string;
  /** hue of the generated creative image */
  hue: number;
  weight: number;
  /** per-metric efficiency factors relative to the ad set */
  cpm: number;
  ctr: number;
  cvr: number;
}

const GOALS: Record<string, string[]> = {
  OUTCOME_SALES: ["OFFSITE_CONVERSIONS", "VALUE"],
  OUTCOME_LEADS: ["LEAD_GENERATION", "OFFSITE_CONVERSIONS"],
  OUTCOME_TRAFFIC: ["LINK_CLICKS", "LANDING_PAGE_VIEWS"],
  OUTCOME_AWARENESS: ["REACH", "IMPRESSIONS"],
};
const AUDIENCES = ["Broad", "Lookalike 1%", "Retargeting 30d", "Interests: outdoor", "Advantage+ audience", "Website visitors", "Engaged shoppers"];
const HEADLINES = [
  "Made to last",
  "New season, new gear",
  "Free shipping this week",
  "Loved by 10,000 customers",
  "Try it risk-free",
  "Limited edition",
  "Book a free consultation",
  "Your skin, only better",
];
const BODIES = [
  "Discover the collection everyone is talking about.",
  "Tested in the toughest conditions. Built for yours.",
  "Order today and get it by the weekend.",
  "Talk to an expert in minutes, no obligation.",
  "Small batches, big results. See why customers come back.",
];
const CTAS = ["SHOP_NOW", "LEARN_MORE", "SIGN_UP", "GET_OFFER", "BOOK_TRAVEL", "CONTACT_US"];

const cache = new WeakMap<Campaign, AdSet[]>();

/** The ad sets (with their ads) of a campaign; stable for a seed. */
export function adSetsOf(seed: string, c: Campaign): AdSet[] {
  const hit = cache.get(c);
  if (hit) return hit;
  const r = rngFor(seed, "adsets", c.id);
  // 2..6 (a big client has ~5 ad sets per campaign); a demo campaign says how many it has (the draw
  // is made anyway, so generated worlds stay as they were)
  const drawn = 2 + Math.floor(r() * 5);
  const n = c.adsPerSet?.length ?? drawn;
  const goals = GOALS[c.objective] ?? ["LINK_CLICKS"];
  const sets: AdSet[] = [];
  for (let i = 0; i < n; i++) {
    const id = `23${c.id.slice(2)}${i}`;
    const lifetime = r() < 0.2;
    const budget = Math.max(100, Math.round((c.dailyBudget / n) * (0.6 + r() * 0.8)));
    const set: AdSet = {
      id,
      campaign: c,
      index: i,
      name: `${AUDIENCES[Math.floor(r() * AUDIENCES.length)]} · ${c.name.split(" #")[0]} ${i + 1}`,
      status: i === 0 || r() < 0.8 ? "ACTIVE" : "PAUSED",
      optimizationGoal: goals[Math.floor(r() * goals.length)]!,
      dailyBudget: lifetime ? 0 : budget,
      lifetimeBudget: lifetime ? budget * 30 : 0,
      bidStrategy: c.bidStrategy,
      weight: 0.3 + r(),
      skew: r(),
      ads: [],
    };
    const drawnAds = 1 + Math.floor(r() * 5); // 1..5 ads
    const k = c.adsPerSet?.[i] ?? drawnAds;
    for (let j = 0; j < k; j++) {
      const ar = rngFor(seed, "ad", id, j);
      set.ads.push({
        id: `24${c.id.slice(2)}${i}${j}`,
        adset: set,
        index: j,
        name: `${HEADLINES[Math.floor(ar() * HEADLINES.length)]} – ${["image", "carousel", "video", "story"][j % 4]} ${j + 1}`,
        status: j === 0 || ar() < 0.85 ? "ACTIVE" : "PAUSED",
        creativeId: `25${c.id.slice(2)}${i}${j}`,
        title: HEADLINES[Math.floor(ar() * HEADLINES.length)]!,
        body: BODIES[Math.floor(ar() * BODIES.length)]!,
        callToAction: CTAS[Math.floor(ar() * CTAS.length)]!,
        hue: Math.floor(ar() * 360),
        weight: 0.2 + ar(),
        cpm: 0.8 + ar() * 0.4,
        ctr: 0.6 + ar() * 0.8,
        cvr: 0.5 + ar(),
      });
    }
    sets.push(set);
  }
  cache.set(c, sets);
  return sets;
}

/**
 * Which children deliver on a day: ads rotate by week (about a third of all ads deliver on a given
 * day, as in an agency's big account), but the first child always does, so a campaign's delivery is
 * never lost.
 */
const weightCache = new Map<string, number[]>();
function activeWeights<T extends { id: string; weight: number }>(seed: string, items: T[], day: number, share: number): number[] {
  const key = `${seed}|${items[0]?.id}|${day}`;
  const hit = weightCache.get(key);
  if (hit) return hit;
  const week = Math.floor(day / 7);
  const w = items.map((it, i) => (i === 0 || rngFor(seed, "rot", it.id, week)() < share ? it.weight * (0.7 + 0.6 * rngFor(seed, "w", it.id, day)()) : 0));
  if (weightCache.size > 200_000) weightCache.clear();
  weightCache.set(key, w);
  return w;
}

/** Largest-remainder split of a non-negative integer by weights: parts are integers that sum to total. */
export function splitIntRaw(total: number, weights: number[]): number[] {
  const n = weights.length;
  const out = new Array<number>(n).fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]!;
  if (total <= 0 || sum <= 0) return out;
  const rem = new Float64Array(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
    const exact = (total * weights[i]!) / sum;
    const f = Math.floor(exact);
    out[i] = f;
    given += f;
    rem[i] = exact - f;
  }
  // the units left go to the largest remainders (ties: lower index first)
  for (let k = total - given; k > 0; k--) {
    let best = 0;
    for (let i = 1; i < n; i++) if (rem[i]! > rem[best]!) best = i;
    out[best]! += 1;
    rem[best] = -1;
  }
  return out;
}

interface Factors {
  w: number;
  cpm: number;
  ctr: number;
  cvr: number;
}

/**
 * Splits one unit among parts with per-part efficiency. Dependent metrics are split by the part's
 * share of their parent metric (link clicks by clicks, purchase value by purchases, reach by
 * impressions), which keeps every part consistent (link <= clicks, reach <= impressions, no value
 * without a purchase).
 */
export function splitUnit(v: UnitValues, f: Factors[]): UnitValues[] {
  const base = f.map((x) => x.w);
  // A dependent metric whose parent is zero everywhere (today's partial day can show a purchase
  // value before a whole purchase) falls back to the base weights, so nothing is ever lost.
  const splitInt = (total: number, weights: number[]) => splitIntRaw(total, weights.some((x) => x > 0) ? weights : base);
  const impressions = splitInt(v.impressions, base);
  const spend = splitInt(
    v.spend,
    f.map((x, i) => (impressions[i]! > 0 || v.impressions === 0 ? x.w * x.cpm : 0)),
  );
  const clicks = splitInt(
    v.clicks,
    impressions.map((im, i) => im * f[i]!.ctr),
  );
  const link = splitInt(v.link, clicks);
  const lpv = splitInt(v.lpv, link);
  const engagement = splitInt(
    v.engagement,
    impressions.map((im, i) => im + clicks[i]!),
  );
  const purchases = splitInt(
    v.purchases,
    link.map((l, i) => l * f[i]!.cvr),
  );
  const purchaseValue = splitInt(v.purchaseValue, purchases);
  const leads = splitInt(
    v.leads,
    link.map((l, i) => l * f[i]!.cvr),
  );
  const addToCart = splitInt(v.addToCart, link);
  const reach = splitInt(v.reach, impressions);
  // attribution credit (purchases per window, attribution.ts): every field split by the purchases
  // share, so each window's count and value sum exactly across levels too
  const credit = v.credit ? splitCreditBy(v.credit, purchases, purchaseValue, splitInt) : null;
  return f.map((_, i) => ({
    ...(credit ? { credit: credit[i]! } : {}),
    spend: spend[i]!,
    impressions: impressions[i]!,
    clicks: clicks[i]!,
    link: link[i]!,
    lpv: lpv[i]!,
    engagement: engagement[i]!,
    purchases: purchases[i]!,
    purchaseValue: purchaseValue[i]!,
    leads: leads[i]!,
    addToCart: addToCart[i]!,
    reach: impressions[i]! > 0 && reach[i]! === 0 ? 1 : reach[i]!,
  }));
}

export function isEmpty(v: UnitValues): boolean {
  return v.impressions === 0 && v.spend === 0 && v.clicks === 0 && v.purchases === 0;
}

/** A campaign unit split into its ad sets (index-aligned with adSetsOf). */
export function splitToAdSets(seed: string, c: Campaign, day: number, v: UnitValues): UnitValues[] {
  const sets = adSetsOf(seed, c);
  const w = activeWeights(seed, sets, day, 0.75);
  return splitUnit(
    v,
    sets.map((s, i) => ({ w: w[i]!, cpm: 1, ctr: 0.8 + s.skew * 0.4, cvr: 0.7 + s.skew * 0.6 })),
  );
}

/** An ad set's part split into its ads (index-aligned with set.ads). */
export function splitToAds(seed: string, set: AdSet, day: number, v: UnitValues): UnitValues[] {
  const w = activeWeights(seed, set.ads, day, 0.45);
  return splitUnit(
    v,
    set.ads.map((a, i) => ({ w: w[i]!, cpm: a.cpm, ctr: a.ctr, cvr: a.cvr })),
  );
}

/**
 * Splits a unit's attribution credit consistently with its purchases split: 1d_view by purchases,
 * 7d_click = purchases - 1d_view, 1d_click within 7d_click, 28d_click = 7d_click + a share of the
 * extra, engaged view by purchases; each value follows its count. Every field sums exactly.
 */
function splitCreditBy(c: Credit, purchases: number[], _values: number[], split: (total: number, w: number[]) => number[]): Credit[] {
  const v1 = splitIntRaw(c.v1, purchases);
  const c7 = purchases.map((p, i) => p - v1[i]!);
  const c1 = splitIntRaw(c.c1, c7);
  const extra = splitIntRaw(c.c28 - c.c7, c7);
  const c28 = c7.map((x, i) => x + extra[i]!);
  const ev1 = splitIntRaw(c.ev1, purchases);
  const val = (total: number, counts: number[]) => (counts.some((x) => x > 0) ? splitIntRaw(total, counts) : split(total, purchases));
  const [c1V, c7V, c28V, v1V, ev1V] = [val(c.c1Value, c1), val(c.c7Value, c7), val(c.c28Value, c28), val(c.v1Value, v1), val(c.ev1Value, ev1)];
  return purchases.map((_, i) => ({
    c1: c1[i]!,
    c7: c7[i]!,
    c28: c28[i]!,
    v1: v1[i]!,
    ev1: ev1[i]!,
    c1Value: c1V[i]!,
    c7Value: c7V[i]!,
    c28Value: c28V[i]!,
    v1Value: v1V[i]!,
    ev1Value: ev1V[i]!,
  }));
}
