/** The control API (`/__emulator/...`) tests and the demo drive the emulator with, and the ground truth it reports. */
import type { Emulator } from "./emulator";
import { AVAILABLE_WINDOWS, parseSetting, settingAmount, settingName, windowAmount } from "./attribution";
import { DEFAULT_SCOPES, GRes, appsecretProof, json } from "./common";
import { CONVERSION_ACTION_PRIORITY } from "./conversions";
import { Aggregator } from "./data";
import { mergeLimits } from "./ratelimit";
import { scenarioControl } from "./scenarios";
import { dayNum, dayStr, moneyFixed, parseMoneyToMinor } from "./util";
import { Campaign, PLATFORMS } from "./world";
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";

export function truth(
  emu: Emulator,
  q: { account: string; since: string; until: string; level?: string; platform?: string; campaign?: string; window?: string },
): unknown {
  const acct = emu.account(q.account);
  if (!acct) throw new Error(`unknown account ${q.account}`);
  // conversions under the given windows (comma list), or the account's own attribution setting
  const setting = q.window ? parseSetting(q.window) : acct.attributionSetting;
  const s = dayNum(q.since);
  const u = dayNum(q.until);
  if (Number.isNaN(s) || Number.isNaN(u) || u < s) throw new Error("since/until must be YYYY-MM-DD with since <= until");
  const now = emu.model.nowCtx(acct, emu.nowMs());
  let camps = acct.campaigns;
  if (q.campaign) camps = camps.filter((c) => c.id === q.campaign);
  const pis = PLATFORMS.map((_, i) => i).filter((i) => !q.platform || PLATFORMS[i] === q.platform);
  const summarize = (cs: Campaign[]) => {
    const agg = new Aggregator(acct);
    let rows = 0;
    for (const c of cs)
      for (const pi of pis)
        for (let d = s; d <= Math.min(u, now.today); d++) {
          const v = emu.model.unit(c, pi, d, now);
          if (v) {
            agg.add(c, v);
            if (v.impressions > 0 || v.spend > 0) rows++;
          }
        }
    const t = agg.finish();
    return {
      spend: moneyFixed(t.spend, acct.offset),
      spend_minor: t.spend,
      impressions: t.impressions,
      clicks: t.clicks,
      inline_link_clicks: t.link,
      conversions: settingAmount(t.credit, setting),
      conversion_value: moneyFixed(settingAmount(t.credit, setting, true), acct.offset),
      conversion_value_minor: settingAmount(t.credit, setting, true),
      conversions_by_window: Object.fromEntries(AVAILABLE_WINDOWS.map((w) => [w, windowAmount(t.credit, w)])),
      reach: t.reach,
      rows,
    };
  };
  const head = {
    account: acct.id,
    currency: acct.currency,
    timezone_name: acct.timezone,
    since: q.since,
    until: q.until,
    conversion_action_priority: CONVERSION_ACTION_PRIORITY,
    attribution_setting: settingName(acct.attributionSetting),
    attribution_windows: setting,
  };
  if (q.level === "campaign") {
    return {
      ...head,
      ...summarize(camps),
      campaigns: camps.map((c) => ({ campaign_id: c.id, campaign_name: c.name, status: c.status, ...summarize([c]) })).filter((x) => x.rows > 0),
    };
  }
  return { ...head, ...summarize(camps) };
}

export function truthDaily(emu: Emulator, q: { account: string; since: string; until: string; window?: string }): unknown {
  const acct = emu.account(q.account);
  if (!acct) throw new Error(`unknown account ${q.account}`);
  const setting = q.window ? parseSetting(q.window) : acct.attributionSetting;
  const s = dayNum(q.since);
  const u = dayNum(q.until);
  if (Number.isNaN(s) || Number.isNaN(u) || u < s) throw new Error("since/until must be YYYY-MM-DD with since <= until");
  const now = emu.model.nowCtx(acct, emu.nowMs());
  const rows: unknown[] = [];
  for (const c of acct.campaigns)
    for (let d = s; d <= Math.min(u, now.today); d++)
      for (let pi = 0; pi < PLATFORMS.length; pi++) {
        const v = emu.model.unit(c, pi, d, now);
        if (!v || (v.impressions === 0 && v.spend === 0)) continue;
        rows.push({
          campaign_id: c.id,
          date: dayStr(d),
          publisher_platform: PLATFORMS[pi],
          spend: moneyFixed(v.spend, acct.offset),
          spend_minor: v.spend,
          impressions: v.impressions,
          clicks: v.clicks,
          inline_link_clicks: v.link,
          reach: v.reach,
          conversions: settingAmount(v.credit!, setting),
          conversion_value: moneyFixed(settingAmount(v.credit!, setting, true), acct.offset),
          conversion_value_minor: settingAmount(v.credit!, setting, true),
        });
      }
  return { account: acct.id, currency: acct.currency, since: q.since, until: q.until, attribution_windows: setting, rows };
}

export function control(emu: Emulator, method: string, path: string, q: URLSearchParams, body: any): GRes {
  const ok = (b: unknown) => json(200, b);
  const bad = (m: string, status = 400) => json(status, { error: m });
  try {
    const key = `${method} ${path.replace(/\/$/, "") || "/"}`;
    switch (key) {
      case "GET /":
      case "GET /health":
        return ok({ ok: true, seed: emu.seed, now: new Date(emu.nowMs()).toISOString(), appId: emu.appId });
      case "POST /reset":
        emu.reset({ seed: body.seed, world: body.world, now: body.now });
        return ok({ ok: true, seed: emu.seed, accounts: emu.world.accounts.length, now: new Date(emu.nowMs()).toISOString() });
      case "GET /clock":
        return ok({ now: new Date(emu.nowMs()).toISOString(), frozen: emu.frozenNow != null });
      case "POST /clock": {
        if (body.advanceSeconds != null) emu.setNow(emu.nowMs() + Number(body.advanceSeconds) * 1000);
        else emu.setNow(body.now ?? null);
        return ok({ now: new Date(emu.nowMs()).toISOString(), frozen: emu.frozenNow != null });
      }
      case "POST /tokens": {
        const user = body.userId ? emu.world.users.find((u) => u.id === String(body.userId)) : emu.world.users[0];
        if (!user) return bad(`unknown user ${body.userId}`, 404);
        const sys = !!body.systemUser;
        const lifetime = body.expiresInSeconds != null ? Number(body.expiresInSeconds) : (emu.opts.tokenLifetimes?.controlTokenSeconds ?? 5183944);
        const t = emu.issueToken(sys ? user.systemUserId : user.id, sys ? "SYSTEM_USER" : "USER", lifetime, body.scopes ?? DEFAULT_SCOPES);
        return ok({
          access_token: t.token,
          user_id: t.userId,
          type: t.type,
          expires_at: t.expiresAt,
          appsecret_proof: appsecretProof(t.token, emu.appSecret),
        });
      }
      case "POST /tokens/expire":
      case "POST /tokens/revoke": {
        const rec = emu.tokens.get(String(body.access_token));
        if (!rec) return bad("unknown access_token", 404);
        if (path.endsWith("expire")) {
          rec.state = "expired";
          rec.expiredAtMs = emu.nowMs() - 1000;
        } else rec.state = "revoked";
        return ok({ ok: true });
      }
      case "GET /users":
        return ok({
          users: emu.world.users.map((u) => ({
            id: u.id,
            name: u.name,
            email: u.email,
            system_user_id: u.systemUserId,
            ad_accounts: u.accountIds.map((id) => {
              const a = emu.world.accountsById.get(id)!;
              return {
                id: a.id,
                name: a.name,
                currency: a.currency,
                timezone_name: a.timezone,
                account_status: a.accountStatus,
                business_id: a.businessId,
                campaigns: a.campaigns.length,
              };
            }),
          })),
          businesses: emu.world.businesses,
          login_configs: emu.loginConfigs(),
        });
      case "GET /world":
        return ok({
          seed: emu.seed,
          businesses: emu.world.businesses,
          accounts: emu.world.accounts.map((a) => ({
            id: a.id,
            name: a.name,
            currency: a.currency,
            timezone_name: a.timezone,
            account_status: a.accountStatus,
            business_id: a.businessId,
            campaigns: a.campaigns.map((c) => ({
              id: c.id,
              name: c.name,
              status: c.status,
              objective: c.objective,
              start: dayStr(c.startDay),
              end: c.endDay == null ? null : dayStr(c.endDay),
              platforms: c.platforms,
            })),
          })),
        });
      case "POST /activity": {
        const a = emu.account(String(body.account ?? ""));
        if (!a) return bad("unknown account", 404);
        const c = body.campaign ? a.campaigns.find((x) => x.id === String(body.campaign)) : a.campaigns[0];
        if (!c) return bad("unknown campaign (must belong to the account)", 404);
        const day = dayNum(String(body.date ?? ""));
        if (Number.isNaN(day)) return bad("date must be YYYY-MM-DD");
        const pi = PLATFORMS.indexOf((body.platform ?? "facebook") as (typeof PLATFORMS)[number]);
        if (pi < 0) return bad(`platform must be one of ${PLATFORMS.join(", ")}`);
        const spend = parseMoneyToMinor(body.spend ?? 0, a.offset);
        const impressions = body.impressions != null ? Number(body.impressions) : Math.round((spend / a.offset / a.usdRate / 10) * 1000);
        const clicks = body.clicks != null ? Number(body.clicks) : Math.round(impressions * 0.01);
        const purchases = Number(body.conversions ?? 0);
        const purchaseValue =
          body.conversion_value != null ? parseMoneyToMinor(body.conversion_value, a.offset) : purchases * Math.round(50 * a.usdRate) * a.offset;
        const reach = body.reach != null ? Number(body.reach) : Math.round(impressions / 1.25);
        emu.model.addActivity(c, pi, day, { spend, impressions, clicks, link: clicks, purchases, purchaseValue, reach });
        emu.dataVersion++;
        return ok({
          ok: true,
          account: a.id,
          campaign: c.id,
          platform: PLATFORMS[pi],
          date: dayStr(day),
          spend_minor: spend,
          impressions,
          clicks,
          conversions: purchases,
          conversion_value_minor: purchaseValue,
        });
      }
      case "POST /restate": {
        const a = emu.account(String(body.account ?? ""));
        if (!a) return bad("unknown account", 404);
        const day = dayNum(String(body.date ?? ""));
        if (Number.isNaN(day)) return bad("date must be YYYY-MM-DD");
        const factor = body.factor != null ? Number(body.factor) : 1.1;
        if (!(factor >= 0)) return bad("factor must be a non-negative number");
        emu.model.restate.set(`${a.accountId}|${day}`, factor);
        emu.dataVersion++;
        return ok({ ok: true, account: a.id, date: dayStr(day), factor });
      }
      case "POST /faults": {
        const list = Array.isArray(body) ? body : [body];
        const added = list.map((f) => emu.addFault({ ...f, count: f.count ?? 1 }));
        return ok({ ok: true, faults: emu.faults, added: added.length });
      }
      case "GET /faults":
        return ok({ faults: emu.faults });
      case "DELETE /faults":
        emu.faults = [];
        return ok({ ok: true });
      case "GET /limits":
        return ok({ limits: emu.limiter.cfg, asyncJob: emu.asyncCfg });
      case "POST /limits": {
        const { asyncJob, rowBudget, resetCounters, ...rest } = body;
        emu.limiter.cfg = mergeLimits(emu.limiter.cfg, { ...rest, ...(rowBudget != null ? { rowBudget: Number(rowBudget) } : {}) });
        if (asyncJob) emu.asyncCfg = { ...emu.asyncCfg, ...asyncJob };
        if (resetCounters) emu.limiter.reset();
        return ok({ limits: emu.limiter.cfg, asyncJob: emu.asyncCfg });
      }
      case "GET /latency":
        return ok({ latencyMs: emu.latencyMs });
      case "POST /latency": {
        const ms = Number(body.ms ?? body.latencyMs);
        if (!Number.isFinite(ms) || ms < 0 || ms > 60_000) return bad("ms must be a number of milliseconds between 0 and 60000");
        emu.latencyMs = ms;
        return ok({ latencyMs: emu.latencyMs });
      }
      case "POST /limits/reset-counters":
        emu.limiter.reset();
        return ok({ ok: true });
      case "GET /calls":
        return ok(emu.calls);
      case "POST /calls/reset":
        emu.resetCalls();
        return ok({ ok: true });
      case "GET /truth":
        if (q.get("breakdown") || q.get("level") === "adset" || q.get("level") === "ad") {
          const acct = emu.account(q.get("account") ?? "");
          if (!acct) return bad("unknown account", 404);
          const range = { since: q.get("since") ?? "", until: q.get("until") ?? "" };
          if (Number.isNaN(dayNum(range.since)) || Number.isNaN(dayNum(range.until)) || range.until < range.since)
            return bad("since/until must be YYYY-MM-DD with since <= until");
          const opts = { ...emu.adInsightsOptions(), omitZeroRows: true };
          return ok(
            emu.ads.truth(
              emu.model,
              acct,
              emu.model.nowCtx(acct, emu.nowMs()),
              { ...range, level: q.get("level") ?? undefined, id: q.get("id") ?? undefined, breakdown: q.get("breakdown") ?? undefined },
              opts,
            ),
          );
        }
        return ok(
          emu.truth({
            account: q.get("account") ?? "",
            since: q.get("since") ?? "",
            until: q.get("until") ?? "",
            level: q.get("level") ?? undefined,
            platform: q.get("platform") ?? undefined,
            campaign: q.get("campaign") ?? undefined,
            window: q.get("window") ?? undefined,
          }),
        );
      case "GET /truth/daily":
        return ok(
          emu.truthDaily({ account: q.get("account") ?? "", since: q.get("since") ?? "", until: q.get("until") ?? "", window: q.get("window") ?? undefined }),
        );
      case "POST /signed-request": {
        if (!body.user_id) return bad("user_id is required");
        const kind = body.kind ?? "deauthorize";
        if (kind !== "deauthorize" && kind !== "data_deletion") return bad("kind must be deauthorize or data_deletion");
        const issued = Math.floor(emu.nowMs() / 1000);
        const payload: Record<string, unknown> = { algorithm: "HMAC-SHA256", issued_at: issued, user_id: String(body.user_id) };
        if (kind === "data_deletion") payload.expires = issued + 3600;
        const enc = Buffer.from(JSON.stringify(payload)).toString("base64url");
        const sig = createHmac("sha256", emu.appSecret).update(enc).digest("base64url");
        return ok({ signed_request: `${sig}.${enc}`, payload });
      }
    }
    const scenario = scenarioControl(emu, method, path, body);
    if (scenario) return scenario;
    return bad(`unknown control route ${method} /__emulator${path}`, 404);
  } catch (e) {
    return bad((e as Error).message);
  }
}
