/** Graph objects as the router serves them: ad accounts, campaigns, and the ad set / ad / creative edges. */
import type { Emulator } from "./emulator";
import { parseFields } from "./ads";
import { GReq, GRes, Route, json, select } from "./common";
import { nonexistingField, paramError } from "./errors";
import { parseExpandedFields } from "./expansion";
import { parseJson, parseList } from "./insights";
import { fmtLocalTime, localMidnightMs, tzOffsetHours } from "./util";
import { AdAccount, Campaign, campaignStartMs } from "./world";

export function accountObj(emu: Emulator, a: AdAccount, fields: string[]): Record<string, unknown> {
  const biz = a.businessId ? emu.world.businesses.find((b) => b.id === a.businessId)! : null;
  const obj: Record<string, unknown> = {
    id: a.id,
    account_id: a.accountId,
    name: a.name,
    currency: a.currency,
    timezone_name: a.timezone,
    timezone_id: a.timezoneId,
    timezone_offset_hours_utc: tzOffsetHours(emu.nowMs(), a.timezone),
    account_status: a.accountStatus,
    disable_reason: a.disableReason,
    amount_spent: String(a.amountSpent),
    spend_cap: String(a.spendCap),
    balance: "0",
    business: biz ? { id: biz.id, name: biz.name } : undefined,
    business_name: biz?.name ?? "",
    created_time: fmtLocalTime(localMidnightMs(a.createdDay, a.timezone) + 37_000_000, a.timezone),
    owner: biz?.id ?? emu.world.users[0]!.id,
    min_daily_budget: Math.round(100 * a.usdRate) * (a.offset === 1 ? 1 : 1),
    is_personal: biz ? 0 : 1,
  };
  return select(obj, fields, ["account_id", "id"], "AdAccount");
}

export function listCampaigns(emu: Emulator, a: AdAccount, params: Record<string, string>): Campaign[] {
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

export function campaignObj(emu: Emulator, c: Campaign, fields: string[]): Record<string, unknown> {
  const a = emu.account(c.accountId)!;
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
export function adObjects(emu: Emulator, route: Route, g: GReq): GRes {
  const fields = parseFields(g.params.fields);
  const n = route.adNode;
  if (route.kind === "node_adset" && n?.kind === "adset") return json(200, emu.ads.adsetObj(n.set, fields));
  if (route.kind === "node_ad" && n?.kind === "ad") return json(200, emu.ads.adObj(n.ad, fields, g.baseUrl));
  if (route.kind === "node_creative" && n?.kind === "creative") return json(200, emu.ads.creativeObj(n.ad, fields, g.baseUrl));
  const campaigns = route.campaign ? [route.campaign] : route.account!.campaigns;
  if (route.kind === "edge_adsets")
    return json(
      200,
      emu.paged(
        emu.ads.listAdSets(campaigns, g.params).map((s) => emu.ads.adsetObj(s, fields)),
        g,
        true,
      ),
    );
  const sets =
    n?.kind === "adset"
      ? [n.set]
      : campaigns.flatMap((c) => emu.ads.listAdSets([c], { effective_status: '["ACTIVE","PAUSED","CAMPAIGN_PAUSED","ARCHIVED","DELETED"]' }));
  return json(
    200,
    emu.paged(
      emu.ads.listAds(sets, g.params).map((a) => emu.ads.adObj(a, fields, g.baseUrl)),
      g,
      true,
    ),
  );
}

/**
 * An ad account read, with Graph field expansion of its `insights` edge: the edge's modifiers are its
 * parameters and its nested fields its `fields`; the answer sits in the node as `{data, paging}` (left
 * out when there are no rows, as Graph leaves out empty expanded edges). Other edges are not
 * expandable here (the emulator models what Spendlane reads).
 */
export async function accountNode(emu: Emulator, route: Route, g: GReq): Promise<GRes> {
  const items = parseExpandedFields(g.params.fields);
  const edges = items.filter((f) => f.nestedRaw !== null || Object.keys(f.modifiers).length > 0);
  for (const e of edges) if (e.name !== "insights") throw nonexistingField(e.name, "AdAccount");
  const plain = items.filter((f) => !edges.includes(f)).map((f) => f.name);
  const obj = emu.accountObj(route.account!, items.length && !plain.length ? ["id"] : plain);
  for (const e of edges) {
    // The edge's next links carry the caller's token, as Graph's do.
    const params: Record<string, string> = { ...e.modifiers };
    for (const k of ["access_token", "appsecret_proof"]) if (g.params[k]) params[k] = g.params[k]!;
    if (e.nestedRaw !== null) params.fields = e.nestedRaw;
    const edge = await emu.insightsSync({ ...route, kind: "insights" }, { ...g, path: [route.account!.id, "insights"], params });
    const body = edge.body as { data: unknown[] };
    if (body.data.length) obj.insights = body;
  }
  return json(200, obj);
}
