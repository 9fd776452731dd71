/** The Graph router: a request's path to a route, and the handlers of objects, edges and synchronous insights. */
import type { Emulator } from "./emulator";
import { type AdScope, needsAdsPath, runAdInsights } from "./ads-insights";
import { GReq, GRes, Route, TokenRec, g0, json, select, unknownPath } from "./common";
import { GraphError, TOO_MUCH_DATA_MESSAGE, UNSUPPORTED_GET, paramError } from "./errors";
import { InsightsQuery, earliestDay, parseInsightsQuery, parseList, runInsights } from "./insights";
export { accountObj, adObjects, campaignObj, listCampaigns } from "./objects";
import { jobRows } from "./jobs";
import { accountNode } from "./objects";
import { decCursor, encCursor } from "./util";
import { AdAccount } from "./world";

export function route(emu: Emulator, g: GReq): Route {
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
  if (p.length > 3 || c !== undefined) throw unknownPath(p);
  if (a!.startsWith("act_")) {
    const acct = emu.account(a!);
    if (!acct || !/^act_\d+$/.test(a!)) throw UNSUPPORTED_GET(a!, g.method.toLowerCase());
    const r = { ...base, account: acct, marketing: true };
    if (p.length === 1) return { ...r, kind: "adaccount" };
    if (b === "campaigns") return { ...r, kind: "campaigns" };
    if (b === "adsets" || b === "ads") return { ...r, kind: `edge_${b}` };
    if (b === "insights") return { ...r, kind: g.method === "POST" ? "insights_async" : "insights" };
    throw unknownPath(p);
  }
  if (emu.opts.acceptBareAccountId && /^\d+$/.test(a!) && emu.world.accountsById.has(a!)) {
    return emu.route({ ...g, path: [`act_${a}`, ...p.slice(1)] });
  }
  const camp = emu.world.campaignsById.get(a!);
  if (camp) {
    const r = { ...base, account: emu.account(camp.accountId)!, campaign: camp, marketing: true };
    if (p.length === 1) return { ...r, kind: "campaign" };
    if (b === "adsets" || b === "ads") return { ...r, kind: `edge_${b}` };
    if (b === "insights") return { ...r, kind: g.method === "POST" ? "insights_async" : "insights" };
    throw unknownPath(p);
  }
  const adNode = emu.ads.find(a!);
  if (adNode) {
    const c = adNode.kind === "adset" ? adNode.set.campaign : adNode.ad.adset.campaign;
    const r = { ...base, account: emu.account(c.accountId)!, campaign: c, adNode, marketing: true };
    if (p.length === 1) return { ...r, kind: `node_${adNode.kind}` };
    if (b === "ads" && adNode.kind === "adset") return { ...r, kind: "edge_ads" };
    if (b === "insights" && adNode.kind !== "creative") return { ...r, kind: g.method === "POST" ? "insights_async" : "insights" };
    throw unknownPath(p);
  }
  const job = emu.jobs.get(a!);
  if (job) {
    const r = { ...base, account: emu.account(job.accountId)!, job, marketing: true };
    if (p.length === 1) return { ...r, kind: "report_run" };
    if (b === "insights") return { ...r, kind: "report_run_insights" };
    throw unknownPath(p);
  }
  const biz = emu.world.businesses.find((x) => x.id === a);
  if (biz) {
    if (p.length === 1) return { ...base, kind: "business", business: biz, marketing: true };
    if (b === "owned_ad_accounts" || b === "client_ad_accounts") return { ...base, kind: "business_adaccounts", business: biz, marketing: true };
    throw unknownPath(p);
  }
  const user = emu.world.usersById.get(a!);
  if (user && p.length === 1) return { ...base, kind: "user", user };
  if (p.length === 1) return { ...base, kind: "unknown_object" };
  throw unknownPath(p);
}

export async function exec(emu: Emulator, route: Route, g: GReq, tok: TokenRec | "app" | null): Promise<GRes> {
  if (route.kind === "debug_token") return emu.debugToken(g);
  if (tok === "app" || !tok)
    throw new GraphError(400, {
      message: "An active access token must be used to query information about the current user.",
      type: "OAuthException",
      code: 2500,
    });
  const user = emu.userOf(tok);
  if (route.account && !emu.canSee(tok, route.account)) throw UNSUPPORTED_GET(g.path[0]!, g.method.toLowerCase());
  if (route.job && route.job.userId !== tok.userId && !emu.canSee(tok, route.account!)) throw UNSUPPORTED_GET(g.path[0]!);
  const fields = parseList(g.params.fields);
  switch (route.kind) {
    case "me":
    case "user": {
      const u = route.user ?? user;
      if (route.user && route.user.id !== user.id) throw UNSUPPORTED_GET(route.user.id);
      return json(
        200,
        select(
          { id: u.id, name: u.name, email: u.email, first_name: u.name.split(" ")[0], last_name: u.name.split(" ").slice(1).join(" ") },
          fields,
          ["id", "name"],
          "User",
        ),
      );
    }
    case "permissions":
      return json(200, { data: [...tok.scopes].map((s) => ({ permission: s, status: "granted" })) });
    case "adaccounts": {
      const accts = user.accountIds.map((id) => emu.world.accountsById.get(id)!);
      return json(
        200,
        emu.paged(
          accts.map((a) => emu.accountObj(a, fields)),
          g,
          true,
        ),
      );
    }
    case "businesses": {
      const ids = new Set(user.accountIds.map((id) => emu.world.accountsById.get(id)!.businessId).filter(Boolean));
      const bs = emu.world.businesses.filter((b) => ids.has(b.id));
      return json(
        200,
        emu.paged(
          bs.map((b) => select({ ...b, verification_status: "verified" }, fields, ["id", "name"], "Business")),
          g,
          true,
        ),
      );
    }
    case "business": {
      const ids = new Set(user.accountIds.map((id) => emu.world.accountsById.get(id)!.businessId));
      if (!ids.has(route.business!.id)) throw UNSUPPORTED_GET(route.business!.id);
      return json(200, select({ ...route.business!, verification_status: "verified" }, fields, ["id", "name"], "Business"));
    }
    case "business_adaccounts": {
      const accts = user.accountIds.map((id) => emu.world.accountsById.get(id)!).filter((a) => a.businessId === route.business!.id);
      return json(
        200,
        emu.paged(
          accts.map((a) => emu.accountObj(a, fields)),
          g,
          true,
        ),
      );
    }
    case "adaccount":
      return accountNode(emu, route, g);
    case "campaigns":
      return json(
        200,
        emu.paged(
          emu.listCampaigns(route.account!, g.params).map((c) => emu.campaignObj(c, fields)),
          g,
          true,
        ),
      );
    case "campaign":
      return json(200, emu.campaignObj(route.campaign!, fields));
    case "edge_adsets":
    case "edge_ads":
    case "node_adset":
    case "node_ad":
    case "node_creative":
      return emu.adObjects(route, g);
    case "insights":
      return emu.insightsSync(route, g);
    case "insights_async":
      return emu.insightsAsync(route, g, tok);
    case "report_run":
      return json(200, emu.jobObj(route.job!, fields, true, g.version));
    case "report_run_insights": {
      const j = route.job!;
      const st = emu.jobState(j, false);
      if (st.status !== "Job Completed")
        throw new GraphError(400, {
          message: `(#100) The report run ${j.id} is not completed (status: ${st.status})`,
          type: "OAuthException",
          code: 100,
          error_subcode: 2601,
        });
      return json(200, emu.paged(await jobRows(emu, j), g, false));
    }
    case "multi": {
      const out: Record<string, unknown> = {};
      for (const id of parseList(g.params.ids)) {
        const acct = id.startsWith("act_") ? emu.account(id) : undefined;
        const camp = emu.world.campaignsById.get(id);
        if (acct && emu.canSee(tok, acct)) out[id] = emu.accountObj(acct, fields);
        else if (camp && emu.canSee(tok, emu.account(camp.accountId)!)) out[id] = emu.campaignObj(camp, fields);
        else throw UNSUPPORTED_GET(id);
      }
      return json(200, out);
    }
    case "unknown_object":
      throw UNSUPPORTED_GET(g.path[0]!, g.method.toLowerCase());
  }
  throw unknownPath(g.path);
}

export function paged<T>(emu: Emulator, items: T[], g: GReq, summary: boolean): Record<string, unknown> {
  const def = emu.opts.defaultPageSize ?? 25;
  const max = emu.opts.maxPageSize ?? 5000;
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
      const path = [g.version, ...g.path]
        .filter(Boolean)
        .map((s) => encodeURIComponent(s!))
        .join("/");
      return `${g.baseUrl}/${path}?${sp.toString()}`;
    };
    if (start + page.length < items.length) paging.next = link("after", encCursor(start + page.length - 1));
    if (start > 0) paging.previous = link("before", encCursor(start));
    out.paging = paging;
  }
  if (summary && g.params.summary && /total_count|true/.test(g.params.summary)) out.summary = { total_count: items.length };
  return out;
}

export function adScope(emu: Emulator, route: Route): AdScope {
  const n = route.adNode;
  return { campaign: route.campaign, adset: n?.kind === "adset" ? n.set : undefined, ad: n?.kind === "ad" ? n.ad : undefined };
}

export function insightsCommon(emu: Emulator, route: Route, g: GReq): { q: InsightsQuery; acct: AdAccount } {
  const acct = route.account!;
  const now = emu.model.nowCtx(acct, emu.nowMs());
  const defaultLevel = route.adNode?.kind === "ad" ? "ad" : route.adNode?.kind === "adset" ? "adset" : route.campaign ? "campaign" : "account";
  const q = parseInsightsQuery(g.params, defaultLevel, now.today, earliestDay(acct, route.campaign ?? null));
  return { q, acct };
}

/** When rows are computed for an async report: its own moment, and not through the paging cache (the job holds them). */
export interface RowsAt {
  nowMs?: number;
  cache?: boolean;
}

export async function computeRows(
  emu: Emulator,
  route: Route,
  q: InsightsQuery,
  allowOldBreakdownReach = false,
  at: RowsAt = {},
): Promise<Array<Record<string, unknown>>> {
  const acct = route.account!;
  const nowMs = at.nowMs ?? emu.nowMs();
  const cache = at.cache ?? true;
  const key = JSON.stringify([
    emu.dataVersion,
    acct.accountId,
    route.campaign?.id ?? null,
    route.adNode ? g0(route.adNode) : null,
    q,
    Math.floor(nowMs / 1000),
    allowOldBreakdownReach,
  ]);
  const hit = cache ? emu.rowCache.get(key) : undefined;
  if (hit) return hit;
  const scope = emu.adScope(route);
  const rows = needsAdsPath(q, scope)
    ? await runAdInsights(emu.model, acct, scope, q, emu.model.nowCtx(acct, nowMs), emu.adInsightsOptions())
    : runInsights(emu.model, acct, route.campaign ?? null, q, emu.model.nowCtx(acct, nowMs), { ...emu.adInsightsOptions(), allowOldBreakdownReach });
  if (!cache) return rows;
  if (emu.rowCache.size >= 64) emu.rowCache.delete(emu.rowCache.keys().next().value!);
  emu.rowCache.set(key, rows);
  return rows;
}

export function adInsightsOptions(emu: Emulator) {
  return {
    hideArchivedInInsights: emu.opts.hideArchivedInInsights ?? true,
    omitZeroRows: emu.opts.omitZeroRows ?? true,
    breakdownMinImpressions: emu.opts.breakdownMinImpressions ?? 20,
  };
}

export async function insightsSync(emu: Emulator, route: Route, g: GReq): Promise<GRes> {
  const { q } = emu.insightsCommon(route, g);
  const rows = await emu.computeRows(route, q);
  const budget = emu.limiter.cfg.rowBudget;
  if (rows.length > budget) {
    const t = emu.limiter.cfg.tooMuchData;
    throw new GraphError(t.httpStatus, {
      message: TOO_MUCH_DATA_MESSAGE,
      type: "OAuthException",
      code: t.code,
      error_subcode: t.subcode,
      error_user_title: "Too much data",
      error_user_msg: TOO_MUCH_DATA_MESSAGE,
    });
  }
  return json(200, emu.paged(rows, g, false));
}
