/**
 * Audience breakdowns: how an ad set's delivery on one platform and day is shared among age x gender,
 * country, region, device and placement buckets, and the quirks Meta documents for them:
 * - age/gender has "Unknown"/"unknown" buckets, and rows for small audiences are left out (privacy),
 *   so the buckets of a row set can sum to less than the total (threshold configurable, UNCONFIRMED
 *   upstream value);
 * - region rows carry no off-Meta actions (pixel purchases, leads, carts and their values);
 * - reach, frequency and cpp are not returned with breakdowns for ranges starting > 13 months back
 *   (handled where rows are built, ads-insights.ts).
 * Country, device and placement buckets are exact integer splits, so they sum to the total.
 * Platform and position names are data, never a fixed list in the code that reads them.
 */
import type { UnitValues } from "./data";
import type { AdAccount } from "./world";
import type { AdSet } from "./ads-world";
import { splitUnit } from "./ads-world";
import { paramError } from "./errors";

export type Family = "age_gender" | "country" | "region" | "device" | "placement";

export interface Bucket {
  /** breakdown column -> value, e.g. { age: "25-34", gender: "female" } */
  keys: Record<string, string>;
  w: number;
  ctr: number;
  cvr: number;
}

const AGES: Array<[string, number]> = [
  ["18-24", 0.14],
  ["25-34", 0.3],
  ["35-44", 0.24],
  ["45-54", 0.16],
  ["55-64", 0.1],
  ["65+", 0.05],
  ["Unknown", 0.01],
];
const GENDERS: Array<[string, number]> = [
  ["female", 0.52],
  ["male", 0.45],
  ["unknown", 0.03],
];
const COUNTRIES: Record<string, Array<[string, number, string[]]>> = {
  USD: [
    ["US", 0.78, ["California", "Texas", "New York", "Florida", "Illinois"]],
    ["CA", 0.1, ["Ontario", "Quebec", "British Columbia"]],
    ["GB", 0.05, ["England", "Scotland"]],
    ["AU", 0.04, ["New South Wales", "Victoria"]],
    ["MX", 0.03, ["Jalisco", "Nuevo León"]],
  ],
  EUR: [
    ["DE", 0.46, ["Bayern", "Berlin", "Hamburg", "Hessen"]],
    ["FR", 0.2, ["Île-de-France", "Auvergne-Rhône-Alpes"]],
    ["AT", 0.12, ["Wien", "Tirol"]],
    ["NL", 0.1, ["North Holland", "South Holland"]],
    ["BE", 0.06, ["Flanders", "Brussels"]],
    ["CH", 0.06, ["Zurich", "Geneva"]],
  ],
  JPY: [
    ["JP", 0.86, ["Tokyo", "Osaka", "Kanagawa", "Aichi", "Fukuoka"]],
    ["KR", 0.06, ["Seoul", "Busan"]],
    ["TW", 0.05, ["Taipei City"]],
    ["US", 0.03, ["California", "Hawaii"]],
  ],
  GBP: [
    ["GB", 0.84, ["England", "Scotland", "Wales", "Northern Ireland"]],
    ["IE", 0.1, ["Dublin", "Cork"]],
    ["US", 0.06, ["New York", "California"]],
  ],
};
/** Device split per publisher platform name; unknown platforms deliver in apps. */
const DEVICES: Record<string, Array<[string, number]>> = {
  facebook: [
    ["mobile_app", 0.74],
    ["mobile_web", 0.08],
    ["desktop", 0.18],
  ],
  instagram: [
    ["mobile_app", 0.95],
    ["mobile_web", 0.02],
    ["desktop", 0.03],
  ],
};
const POSITIONS: Record<string, Array<[string, number]>> = {
  facebook: [
    ["feed", 0.58],
    ["facebook_reels", 0.14],
    ["story", 0.1],
    ["marketplace", 0.08],
    ["video_feeds", 0.06],
    ["right_hand_column", 0.04],
  ],
  instagram: [
    ["stream", 0.55],
    ["story", 0.25],
    ["reels", 0.15],
    ["explore", 0.05],
  ],
  audience_network: [
    ["classic", 0.7],
    ["rewarded_video", 0.3],
  ],
  messenger: [
    ["messenger_inbox", 0.6],
    ["messenger_stories", 0.4],
  ],
  threads: [["threads_feed", 1]],
};

/** Breakdown columns accepted together (Meta rejects other combinations). */
export function familyOf(breakdowns: string[]): { family: Family | null; byPlatform: boolean } {
  const set = new Set(breakdowns);
  const byPlatform = set.delete("publisher_platform");
  const key = [...set].sort().join(",");
  const family: Record<string, Family | null> = {
    "": null,
    age: "age_gender",
    gender: "age_gender",
    "age,gender": "age_gender",
    country: "country",
    region: "region",
    device_platform: "device",
    platform_position: "placement",
  };
  const f = key in family ? family[key]! : undefined;
  const ok = f !== undefined && (f === "placement" ? byPlatform : !byPlatform || f === null || f === "device");
  if (!ok) {
    throw paramError(`(#100) Current combination of data breakdown columns (${breakdowns.join(", ")}) is invalid `);
  }
  return { family: f!, byPlatform };
}

function seeded(weight: number, skew: number, i: number): number {
  // ad sets lean towards different buckets (a retargeting set is older, a lookalike younger, …)
  return weight * (0.6 + 0.8 * ((skew * 7.3 + i * 0.37) % 1));
}

const bucketCache = new Map<string, Bucket[]>();

/** The buckets of one family for an ad set on a platform (cached: they depend on ids only). */
export function bucketsFor(family: Family, acct: AdAccount, set: AdSet, platform: string): Bucket[] {
  const key = `${family}|${acct.currency}|${set.id}|${set.skew}|${platform}`;
  let hit = bucketCache.get(key);
  if (!hit) {
    if (bucketCache.size > 100_000) bucketCache.clear();
    bucketCache.set(key, (hit = makeBuckets(family, acct, set, platform)));
  }
  return hit;
}

function makeBuckets(family: Family, acct: AdAccount, set: AdSet, platform: string): Bucket[] {
  switch (family) {
    case "age_gender": {
      const out: Bucket[] = [];
      AGES.forEach(([age, aw], i) =>
        GENDERS.forEach(([gender, gw], j) =>
          out.push({
            keys: { age, gender },
            w: seeded(aw, set.skew, i) * gw * (1 + (j === 0 ? set.skew - 0.5 : 0) * 0.4),
            ctr: 0.8 + ((i + j) % 3) * 0.2,
            cvr: 0.6 + (i % 4) * 0.25,
          }),
        ),
      );
      return out;
    }
    case "country":
    case "region": {
      const list = COUNTRIES[acct.currency] ?? COUNTRIES.USD!;
      const out: Bucket[] = [];
      list.forEach(([country, cw, regions], i) => {
        if (family === "country") out.push({ keys: { country }, w: seeded(cw, set.skew, i), ctr: 1 - i * 0.05, cvr: 1 - i * 0.1 });
        else regions.forEach((region, k) => out.push({ keys: { region }, w: seeded(cw, set.skew, i) / (k + 1.5), ctr: 1, cvr: 1 }));
      });
      return out;
    }
    case "device":
      return (DEVICES[platform] ?? ([["mobile_app", 1]] as Array<[string, number]>)).map(([device_platform, w], i) => ({
        keys: { device_platform },
        w: seeded(w, set.skew, i),
        ctr: i === 2 ? 0.8 : 1,
        cvr: i === 2 ? 1.6 : 1,
      }));
    case "placement":
      return (POSITIONS[platform] ?? ([[`${platform}_feed`, 1]] as Array<[string, number]>)).map(([platform_position, w], i) => ({
        keys: { platform_position },
        w: seeded(w, set.skew, i),
        ctr: 1 - i * 0.06,
        cvr: 1 - i * 0.08,
      }));
  }
}

/** Splits an ad set's unit (one platform, one day) into the family's buckets (index-aligned). */
export function splitToBuckets(v: UnitValues, buckets: Bucket[]): UnitValues[] {
  return splitUnit(
    v,
    buckets.map((b) => ({ w: b.w, cpm: 1, ctr: b.ctr, cvr: b.cvr })),
  );
}

/** Region rows drop off-Meta actions (Meta: "off-Meta actions are dropped with region breakdowns"). */
export function dropOffMeta(v: UnitValues): UnitValues {
  return { ...v, purchases: 0, purchaseValue: 0, leads: 0, addToCart: 0, credit: undefined };
}
