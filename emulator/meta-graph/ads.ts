/**
 * Graph nodes below campaigns: ad sets, ads and ad creatives (with `fields` expansion such as
 * `creative{id,title,image_url}`), the creative images on an emulated CDN with expiring signed URLs,
 * and the ground truth per ad set, ad and breakdown bucket for tests (`/__emulator/truth`).
 */
import { PNG } from "pngjs";
import type { DataModel } from "./data";
import type { AdAccount, Campaign, World } from "./world";
import { Ad, AdSet, adSetsOf } from "./ads-world";
import { adEffectiveStatus, adsetEffectiveStatus, collectCells, type AdInsightsOptions } from "./ads-insights";
import type { InsightsQuery } from "./insights";
import { nonexistingField } from "./errors";
import { type ExpandedField, parseExpandedFields } from "./expansion";
import { dayNum, fmtLocalTime, hmacHex, localMidnightMs, moneyFixed } from "./util";
import { CONVERSION_ACTION_PRIORITY } from "./conversions";
import { settingAmount } from "./attribution";

export type AdNode = { kind: "adset"; set: AdSet } | { kind: "ad"; ad: Ad } | { kind: "creative"; ad: Ad };

/** One requested field, with its sub-fields for `name{a,b}` expansion. */
export interface FieldSpec {
  name: string;
  sub: FieldSpec[] | null;
}

/** Parses Graph `fields` (comma list with nested `{}` expansion, or a JSON array); modifiers are not used on these nodes. */
export function parseFields(raw: string | undefined): FieldSpec[] {
  const toSpec = (f: ExpandedField): FieldSpec => ({ name: f.name, sub: f.nestedRaw === null ? null : parseExpandedFields(f.nestedRaw).map(toSpec) });
  return parseExpandedFields(raw).map(toSpec);
}

const IMAGE_SIZES = { image: [600, 314], thumb: [64, 64] } as const;
const URL_LIFETIME_S = 3 * 86400;

export class AdsCatalog {
  private pngCache = new Map<string, Buffer>();
  constructor(private host: { world: World; seed: string; appSecret: string; nowMs(): number; account(id: string): AdAccount | undefined }) {}

  find(id: string): AdNode | null {
    if (!/^2[345]\d{17,18}$/.test(id)) return null;
    const c = this.host.world.campaignsById.get(`12${id.slice(2, 18)}`);
    if (!c) return null;
    const set = adSetsOf(this.host.seed, c)[Number(id[18])];
    if (!set) return null;
    if (id.startsWith("23")) return id === set.id ? { kind: "adset", set } : null;
    const ad = set.ads[Number(id[19])];
    if (!ad) return null;
    if (id.startsWith("24")) return id === ad.id ? { kind: "ad", ad } : null;
    return id === ad.creativeId ? { kind: "creative", ad } : null;
  }

  /** Like Meta: without an effective_status filter, archived and deleted objects are left out. */
  listAdSets(campaigns: Campaign[], params: Record<string, string>): AdSet[] {
    const want = statusFilter(params);
    return campaigns.flatMap((c) => adSetsOf(this.host.seed, c)).filter((s) => want(adsetEffectiveStatus(s)));
  }

  listAds(sets: AdSet[], params: Record<string, string>): Ad[] {
    const want = statusFilter(params);
    return sets.flatMap((s) => s.ads).filter((a) => want(adEffectiveStatus(a)));
  }

  adsetObj(set: AdSet, fields: FieldSpec[]): Record<string, unknown> {
    const c = set.campaign;
    const a = this.host.account(c.accountId)!;
    const obj: Record<string, unknown> = {
      id: set.id,
      name: set.name,
      account_id: a.accountId,
      campaign_id: c.id,
      campaign: { id: c.id, name: c.name },
      status: set.status,
      configured_status: set.status,
      effective_status: adsetEffectiveStatus(set),
      optimization_goal: set.optimizationGoal,
      billing_event: "IMPRESSIONS",
      bid_strategy: set.bidStrategy,
      daily_budget: String(set.dailyBudget),
      lifetime_budget: String(set.lifetimeBudget),
      budget_remaining: String(Math.round((set.dailyBudget || set.lifetimeBudget) * 0.4)),
      start_time: fmtLocalTime(localMidnightMs(c.startDay, a.timezone), a.timezone),
      end_time: c.stopTimeDay != null ? fmtLocalTime(localMidnightMs(c.stopTimeDay + 1, a.timezone), a.timezone) : undefined,
      created_time: fmtLocalTime(localMidnightMs(c.createdDay, a.timezone) + 36_100_000, a.timezone),
      updated_time: fmtLocalTime(localMidnightMs(c.updatedDay, a.timezone) + 40_100_000, a.timezone),
    };
    return selectFields(obj, fields, ["id"], "AdSet");
  }

  adObj(ad: Ad, fields: FieldSpec[], baseUrl: string): Record<string, unknown> {
    const c = ad.adset.campaign;
    const a = this.host.account(c.accountId)!;
    const obj: Record<string, unknown> = {
      id: ad.id,
      name: ad.name,
      account_id: a.accountId,
      adset_id: ad.adset.id,
      campaign_id: c.id,
      status: ad.status,
      configured_status: ad.status,
      effective_status: adEffectiveStatus(ad),
      creative: (sub: FieldSpec[] | null) => this.creativeObj(ad, sub ?? [], baseUrl),
      adset: { id: ad.adset.id, name: ad.adset.name },
      campaign: { id: c.id, name: c.name },
      preview_shareable_link: `https://fb.me/emu${ad.id.slice(-8)}`,
      created_time: fmtLocalTime(localMidnightMs(c.createdDay, a.timezone) + 36_200_000, a.timezone),
      updated_time: fmtLocalTime(localMidnightMs(c.updatedDay, a.timezone) + 40_200_000, a.timezone),
    };
    return selectFields(obj, fields, ["id"], "Ad");
  }

  creativeObj(ad: Ad, fields: FieldSpec[], baseUrl: string): Record<string, unknown> {
    const a = this.host.account(ad.adset.campaign.accountId)!;
    const obj: Record<string, unknown> = {
      id: ad.creativeId,
      account_id: a.accountId,
      name: `Creative for ${ad.name}`,
      title: ad.title,
      body: ad.body,
      call_to_action_type: ad.callToAction,
      object_type: "SHARE",
      status: "ACTIVE",
      image_url: this.imageUrl(baseUrl, ad.creativeId, "image"),
      thumbnail_url: this.imageUrl(baseUrl, ad.creativeId, "thumb"),
    };
    return selectFields(obj, fields, ["id"], "AdCreative");
  }

  /** fbcdn-style URL: signed (`oh`) and expiring (`oe`, hex unix seconds), as Meta's CDN links are. */
  imageUrl(baseUrl: string, creativeId: string, kind: keyof typeof IMAGE_SIZES): string {
    const now = Math.floor(this.host.nowMs() / 1000);
    const oe = (now - (now % 3600) + URL_LIFETIME_S).toString(16).toUpperCase();
    const oh = hmacHex(this.host.appSecret, `${creativeId}|${kind}|${oe}`).slice(0, 32);
    return `${baseUrl}/emu-cdn/v/t45.1600-4/${creativeId}_${kind}.png?_nc_cat=1&_nc_sid=emu&oh=00_${oh}&oe=${oe}`;
  }

  /** Serves a creative image, or 403 for an expired or tampered URL (the CDN's answers). */
  cdn(pathname: string, q: URLSearchParams): { status: number; type: string; body: Buffer } {
    const text = (status: number, s: string) => ({ status, type: "text/plain; charset=utf-8", body: Buffer.from(s) });
    const m = /^\/emu-cdn\/v\/t45\.1600-4\/(\d+)_(image|thumb)\.png$/.exec(pathname);
    const node = m ? this.find(m[1]!) : null;
    if (!m || !node || node.kind !== "creative") return text(404, "Not Found");
    const oe = q.get("oe") ?? "";
    const oh = hmacHex(this.host.appSecret, `${m[1]}|${m[2]}|${oe}`).slice(0, 32);
    if (q.get("oh") !== `00_${oh}`) return text(403, "Bad URL hash");
    if (parseInt(oe, 16) * 1000 < this.host.nowMs()) return text(403, "URL signature expired");
    const key = `${m[1]}_${m[2]}`;
    let png = this.pngCache.get(key);
    if (!png) {
      const [w, h] = IMAGE_SIZES[m[2] as keyof typeof IMAGE_SIZES];
      png = drawCreative(node.ad.hue, w, h);
      if (this.pngCache.size > 500) this.pngCache.clear();
      this.pngCache.set(key, png);
    }
    return { status: 200, type: "image/png", body: png };
  }

  /**
   * Ground truth per ad set / ad (`level`, optional `id`) or per breakdown bucket (`breakdown`), as
   * the daily ad set rows the emulator serves (level=adset, time_increment=1) add up: age/gender
   * buckets without the rows left out for small audiences, region without off-Meta actions.
   */
  truth(
    model: DataModel,
    acct: AdAccount,
    nowCtx: { today: number; fraction: number },
    q: { since: string; until: string; level?: string; id?: string; breakdown?: string },
    opts: AdInsightsOptions,
  ): unknown {
    const s = dayNum(q.since);
    const u = dayNum(q.until);
    const fam: Record<string, string[]> = {
      age_gender: ["age", "gender"],
      country: ["country"],
      region: ["region"],
      device: ["device_platform"],
      placement: ["publisher_platform", "platform_position"],
    };
    if (q.breakdown && !fam[q.breakdown]) throw new Error("breakdown must be one of age_gender, country, region, device, placement");
    const level = q.breakdown ? "adset" : q.level;
    if (level !== "adset" && level !== "ad") throw new Error("level must be adset or ad");
    const filters = [{ field: "campaign.effective_status", operator: "IN", value: ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"] }];
    if (q.id) filters.push({ field: `${level}.id`, operator: "EQUAL", value: q.id as never });
    const iq: InsightsQuery = {
      level,
      fields: [],
      ranges: [{ since: s, until: u }],
      increment: 1,
      breakdowns: q.breakdown ? fam[q.breakdown]! : [],
      filters,
      windows: [],
    };
    const cells = collectCells(model, acct, {}, iq, nowCtx, opts);
    // conversions as Meta counts them: under the account's attribution setting (attribution.ts)
    const setting = acct.attributionSetting;
    const groups = new Map<string, { head: Record<string, string>; t: Sum }>();
    const total = zero();
    for (const c of cells) {
      const head: Record<string, string> = q.breakdown
        ? c.keys
        : level === "ad"
          ? { ad_id: c.ad!.id, ad_name: c.ad!.name, adset_id: c.adset!.id, campaign_id: c.campaign!.id }
          : { adset_id: c.adset!.id, adset_name: c.adset!.name, campaign_id: c.campaign!.id };
      const k = Object.values(head).join("|");
      const g = groups.get(k) ?? { head, t: zero() };
      groups.set(k, g);
      const t = {
        ...c.t,
        purchases: c.t.credit ? settingAmount(c.t.credit, setting) : c.t.purchases,
        purchaseValue: c.t.credit ? settingAmount(c.t.credit, setting, true) : c.t.purchaseValue,
      };
      addSum(g.t, t);
      addSum(total, t);
    }
    const fmt = (t: Sum) => ({
      spend: moneyFixed(t.spend, acct.offset),
      spend_minor: t.spend,
      impressions: t.impressions,
      clicks: t.clicks,
      inline_link_clicks: t.link,
      conversions: t.purchases,
      conversion_value: moneyFixed(t.purchaseValue, acct.offset),
      conversion_value_minor: t.purchaseValue,
      rows: t.rows,
    });
    const list = [...groups.values()].map((g) => ({ ...g.head, ...fmt(g.t) }));
    const head = { account: acct.id, currency: acct.currency, since: q.since, until: q.until, conversion_action_priority: CONVERSION_ACTION_PRIORITY };
    if (q.breakdown) return { ...head, breakdown: q.breakdown, ...fmt(total), buckets: list };
    return { ...head, level, ...fmt(total), [level === "ad" ? "ads" : "adsets"]: list };
  }
}

interface Sum {
  spend: number;
  impressions: number;
  clicks: number;
  link: number;
  purchases: number;
  purchaseValue: number;
  rows: number;
}
const zero = (): Sum => ({ spend: 0, impressions: 0, clicks: 0, link: 0, purchases: 0, purchaseValue: 0, rows: 0 });
function addSum(a: Sum, t: { spend: number; impressions: number; clicks: number; link: number; purchases: number; purchaseValue: number }): void {
  a.spend += t.spend;
  a.impressions += t.impressions;
  a.clicks += t.clicks;
  a.link += t.link;
  a.purchases += t.purchases;
  a.purchaseValue += t.purchaseValue;
  a.rows++;
}

function statusFilter(params: Record<string, string>): (s: string) => boolean {
  let list: string[] | null = null;
  if (params.effective_status) {
    const raw = params.effective_status.trim();
    list = raw.startsWith("[") ? (JSON.parse(raw) as unknown[]).map(String) : raw.split(",").map((x) => x.trim());
  }
  return (s) => (list ? list.includes(s) : s !== "ARCHIVED" && s !== "DELETED");
}

/** Field selection with expansion; values that are functions build the nested node on demand. */
function selectFields(obj: Record<string, unknown>, fields: FieldSpec[], defaults: string[], nodeType: string): Record<string, unknown> {
  const want = fields.length ? fields : defaults.map((name) => ({ name, sub: null }));
  const out: Record<string, unknown> = {};
  for (const f of want) {
    if (!(f.name in obj)) throw nonexistingField(f.name, nodeType);
    let v = obj[f.name];
    if (typeof v === "function") v = (v as (s: FieldSpec[] | null) => unknown)(f.sub);
    else if (f.sub && v && typeof v === "object")
      v = Object.fromEntries(f.sub.filter((x) => x.name in (v as object)).map((x) => [x.name, (v as Record<string, unknown>)[x.name]]));
    if (v !== undefined) out[f.name] = v;
  }
  if (!("id" in out) && "id" in obj && fields.length) out.id = obj.id;
  return out;
}

/** A recognisable generated creative: a diagonal two-tone gradient with a light band. */
function drawCreative(hue: number, w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  const [r1, g1, b1] = hsl(hue, 0.55, 0.35);
  const [r2, g2, b2] = hsl((hue + 40) % 360, 0.65, 0.6);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const t = (x / w + y / h) / 2;
      const band = Math.abs(y / h - 0.62) < 0.06 ? 0.35 : 0;
      const i = (y * w + x) * 4;
      png.data[i] = Math.min(255, Math.round(r1 + (r2 - r1) * t + 255 * band));
      png.data[i + 1] = Math.min(255, Math.round(g1 + (g2 - g1) * t + 255 * band));
      png.data[i + 2] = Math.min(255, Math.round(b1 + (b2 - b1) * t + 255 * band));
      png.data[i + 3] = 255;
    }
  return PNG.sync.write(png);
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}
