/**
 * Ad set and ad objects for the sync core (ADR 0080): Meta's listed objects, and names of objects seen
 * in facts before they are listed. Runtime-agnostic like the rest of the core.
 */
import { currencyOffset } from "../meta/currency";
import { ID, INT, type AdFactRow } from "./ads";

type Tx = import("postgres").TransactionSql;

/** Names of ad sets and ads seen in facts (objects not listed yet still get a name; status is kept). */
export async function upsertNamesFromFacts(tx: Tx, adAccountId: string, workspaceId: string, rows: AdFactRow[]): Promise<void> {
  const sets = new Map<string, AdFactRow>();
  const ads = new Map<string, AdFactRow>();
  for (const r of rows) {
    if (r.adsetName) sets.set(r.adsetId, r);
    if (r.adName) ads.set(r.adId, r);
  }
  if (sets.size) {
    const l = [...sets.values()];
    await tx`
      insert into public.ad_sets as s (ad_account_id, meta_adset_id, workspace_id, meta_campaign_id, name)
      select ${adAccountId}::uuid, u.id, ${workspaceId}::uuid, u.c, u.n
      from unnest(${l.map((r) => r.adsetId)}::text[], ${l.map((r) => r.campaignId)}::text[], ${l.map((r) => r.adsetName)}::text[]) as u(id, c, n)
      on conflict (ad_account_id, meta_adset_id) do update set name = excluded.name, meta_campaign_id = excluded.meta_campaign_id`;
  }
  if (ads.size) {
    const l = [...ads.values()];
    await tx`
      insert into public.ads as a (ad_account_id, meta_ad_id, workspace_id, meta_adset_id, meta_campaign_id, name)
      select ${adAccountId}::uuid, u.id, ${workspaceId}::uuid, u.s, u.c, u.n
      from unnest(${l.map((r) => r.adId)}::text[], ${l.map((r) => r.adsetId)}::text[], ${l.map((r) => r.campaignId)}::text[], ${l.map((r) => r.adName)}::text[]) as u(id, s, c, n)
      on conflict (ad_account_id, meta_ad_id) do update set name = excluded.name, meta_adset_id = excluded.meta_adset_id, meta_campaign_id = excluded.meta_campaign_id`;
  }
}

/** Meta's ad set and ad objects as listed by /act_N/adsets and /act_N/ads. */
export interface MetaAdSet {
  id: string;
  name: string;
  campaign_id: string;
  status?: string;
  effective_status?: string;
  optimization_goal?: string;
  daily_budget?: string;
  lifetime_budget?: string;
  bid_strategy?: string;
}
export interface MetaAd {
  id: string;
  name: string;
  adset_id: string;
  campaign_id: string;
  status?: string;
  effective_status?: string;
  preview_shareable_link?: string;
  creative?: { id?: string; title?: string; body?: string; call_to_action_type?: string; image_url?: string; thumbnail_url?: string };
}

export const ADSET_FIELDS = "id,name,campaign_id,status,effective_status,optimization_goal,daily_budget,lifetime_budget,bid_strategy";
export const AD_FIELDS =
  "id,name,adset_id,campaign_id,status,effective_status,preview_shareable_link,creative{id,title,body,call_to_action_type,image_url,thumbnail_url}";

/** Budgets: Meta sends currency offset units ("5000" = 50.00 USD, "5000" = 5,000 JPY). */
function budget(v: string | undefined, offset: number): string | null {
  if (!v || !INT.test(v) || v === "0") return null;
  return offset === 1 ? v : (Number(v) / offset).toFixed(Math.round(Math.log10(offset)));
}

const text = (v: unknown, max = 2000) => (typeof v === "string" ? v.slice(0, max) : null);

export async function upsertAdObjects(tx: Tx, acc: { id: string; workspaceId: string; currency: string }, sets: MetaAdSet[], ads: MetaAd[]): Promise<void> {
  const offset = currencyOffset(acc.currency);
  const okSets = sets.filter((s) => ID.test(String(s.id)) && ID.test(String(s.campaign_id)) && typeof s.name === "string");
  if (okSets.length) {
    const payload = JSON.stringify(
      okSets.map((s) => ({
        id: s.id,
        c: s.campaign_id,
        n: s.name,
        st: text(s.status, 40),
        es: text(s.effective_status, 40),
        g: text(s.optimization_goal, 80),
        db: budget(s.daily_budget, offset),
        lb: budget(s.lifetime_budget, offset),
        b: text(s.bid_strategy, 80),
      })),
    );
    await tx`
      insert into public.ad_sets (ad_account_id, meta_adset_id, workspace_id, meta_campaign_id, name, status, effective_status, optimization_goal, daily_budget, lifetime_budget, bid_strategy, updated_at)
      select ${acc.id}::uuid, u.id, ${acc.workspaceId}::uuid, u.c, u.n, u.st, u.es, u.g, u.db, u.lb, u.b, now()
      from json_to_recordset(${payload}::text::json) as u(id text, c text, n text, st text, es text, g text, db numeric, lb numeric, b text)
      on conflict (ad_account_id, meta_adset_id) do update set meta_campaign_id = excluded.meta_campaign_id, name = excluded.name,
        status = excluded.status, effective_status = excluded.effective_status, optimization_goal = excluded.optimization_goal,
        daily_budget = excluded.daily_budget, lifetime_budget = excluded.lifetime_budget, bid_strategy = excluded.bid_strategy, updated_at = now()`;
  }
  const okAds = ads.filter((a) => ID.test(String(a.id)) && ID.test(String(a.adset_id)) && ID.test(String(a.campaign_id)) && typeof a.name === "string");
  if (okAds.length) {
    const payload = JSON.stringify(
      okAds.map((a) => ({
        id: a.id,
        s: a.adset_id,
        c: a.campaign_id,
        n: a.name,
        st: text(a.status, 40),
        es: text(a.effective_status, 40),
        cr: a.creative?.id && ID.test(a.creative.id) ? a.creative.id : null,
        t: text(a.creative?.title, 500),
        bo: text(a.creative?.body),
        cta: text(a.creative?.call_to_action_type, 80),
        img: text(a.creative?.image_url ?? a.creative?.thumbnail_url, 4000),
        pv: text(a.preview_shareable_link, 1000),
      })),
    );
    await tx`
      insert into public.ads (ad_account_id, meta_ad_id, workspace_id, meta_adset_id, meta_campaign_id, name, status, effective_status, creative_id, title, body, call_to_action, image_url, preview_url, updated_at)
      select ${acc.id}::uuid, u.id, ${acc.workspaceId}::uuid, u.s, u.c, u.n, u.st, u.es, u.cr, u.t, u.bo, u.cta, u.img, u.pv, now()
      from json_to_recordset(${payload}::text::json) as u(id text, s text, c text, n text, st text, es text, cr text, t text, bo text, cta text, img text, pv text)
      on conflict (ad_account_id, meta_ad_id) do update set meta_adset_id = excluded.meta_adset_id, meta_campaign_id = excluded.meta_campaign_id,
        name = excluded.name, status = excluded.status, effective_status = excluded.effective_status, creative_id = excluded.creative_id,
        title = excluded.title, body = excluded.body, call_to_action = excluded.call_to_action, image_url = excluded.image_url,
        preview_url = excluded.preview_url, updated_at = now()`;
  }
}
