/**
 * Acceptance of issue #13 (the Meta API as it is on 2026-12-01), end to end: the sync against the
 * emulator, the reporting module under RLS, the emulator's ground truth.
 * - conversions per attribution window equal the truth to the unit, for a USD and a JPY account;
 *   changing the window re-syncs conversions only, and windows are never mixed in one total;
 * - a Threads-delivering campaign's platform split sums to its total;
 * - a breakdown query starting 14 months back shows reach as n/a (never 0);
 * - META_API_VERSION=v24.0 fails the connect with a message naming the version and what to set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService, asUser } from "../../app/.server/db/connection";
import { loadWorkspaceReport, parseRangeParams, trimDecimal } from "../../app/.server/reporting";
import { setWorkspaceAttribution } from "../../app/.server/sync/attribution-choice";
import { fetchRangeReach } from "../../app/.server/sync/reach";
import { findDueAccounts } from "../../app/.server/sync/due";
import { connectWithToken, startConnect } from "../../app/.server/connections/connect";
import { graphClientFromEnv } from "../../app/.server/meta/graph";
import { DEFAULT_META_API_VERSION } from "../../app/.server/meta/versions";
import { resetEnvForTests } from "../../app/.server/env";
import { createAgencyFixture } from "../helpers/factories";
import { insertWorkspace } from "../../app/.server/tenancy/workspaces";
import { getAgencyOverview } from "../../app/.server/reporting/overview";
import { sessionCookieFor } from "../helpers/session";
import { loader as connectionsLoader } from "../../app/routes/a.$agency.w.$workspace.connections";
import { action as settingsAction, loader as settingsLoader } from "../../app/routes/a.$agency.w.$workspace.settings";
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph/index";
import { connectTenant, control, dec, emulator, NOW, sync, testDeps, type ConnectedTenant } from "../helpers/sync-helpers";

let emu: RunningEmulator;
let t: ConnectedTenant;

beforeAll(async () => {
  emu = await emulator();
  const world = await control<{ accounts: { id: string; currency: string; account_status: number }[] }>(emu, "GET", "/world");
  const active = world.accounts.filter((a) => a.account_status === 1);
  const usd = active.find((a) => a.currency === "USD")!;
  const jpy = active.find((a) => a.currency === "JPY")!;
  t = await connectTenant(emu, { accounts: [usd.id, jpy.id], backfillMonths: 2 });
  for (const a of t.accounts) expect((await sync(emu, { adAccountId: a.id, kind: "backfill" })).status).toBe("succeeded");
});
afterAll(async () => {
  await emu?.close();
});

const RANGES = [
  { since: "2026-10-01", until: "2026-10-31" },
  { since: "2026-11-01", until: "2026-11-19" },
];

interface Truth {
  currency: string;
  spend: string;
  conversions: number;
  conversion_value: string;
  attribution_setting: string;
}
const truth = (meta: string, r: { since: string; until: string }, extra = "") =>
  control<Truth>(emu, "GET", `/truth?account=${meta}&since=${r.since}&until=${r.until}${extra}`);

async function report(r: { since: string; until: string }) {
  const params = parseRangeParams({ since: r.since, until: r.until, compare: "none" });
  return (await asUser(t.users.member, (tx) => loadWorkspaceReport(tx, t.workspaceId, params, {}, NOW))).report;
}

async function factStats() {
  return asService(
    (tx) => tx<{ ad_account_id: string; rows: string; spend: string; impressions: string; attributions: string[] }[]>`
    select ad_account_id, count(*)::text as rows, sum(spend)::text as spend, sum(impressions)::text as impressions,
           array_agg(distinct attribution order by attribution) as attributions
    from public.insights_daily where workspace_id = ${t.workspaceId} group by ad_account_id`,
  );
}

describe("attribution windows", () => {
  it("by default each fact row records the ad account's own setting, and the dashboard says which window", async () => {
    for (const s of await factStats()) expect(s.attributions).toEqual(["7d_click,1d_view"]);
    const rep = await report(RANGES[0]!);
    for (const a of t.accounts) {
      const g = rep.byCurrency[a.currency]!;
      expect(g.attribution).toEqual({ key: "7d_click,1d_view", windows: ["7d_click", "1d_view"], label: "7-day click or 1-day view", mixed: false });
      const tr = await truth(a.metaAccountId, RANGES[0]!);
      expect(tr.attribution_setting).toBe("7d_click_1d_view");
      expect(trimDecimal(g.totalsSums.conversions)).toBe(dec(tr.conversions));
    }
  });

  it("bad choices are refused and change nothing; client viewers and members cannot change it", async () => {
    await expect(setWorkspaceAttribution(t.users.owner, t.workspaceId, "7d_view")).rejects.toThrow(/no longer reports the 7d_view/);
    await expect(setWorkspaceAttribution(t.users.owner, t.workspaceId, "1d_click,7d_click")).rejects.toThrow(/one click window/);
    await expect(setWorkspaceAttribution(t.users.owner, t.workspaceId, "42d_click")).rejects.toThrow(/Unknown attribution window/);
    await expect(setWorkspaceAttribution(t.users.member, t.workspaceId, "1d_click", { queue: async () => "job" })).rejects.toThrow(/owners and admins/);
    await expect(setWorkspaceAttribution(t.users.viewer, t.workspaceId, "1d_click", { queue: async () => "job" })).rejects.toThrow();
    const [ws] = await asService(
      (tx) => tx<{ attribution_windows: string[] | null }[]>`select attribution_windows from public.workspaces where id = ${t.workspaceId}`,
    );
    expect(ws!.attribution_windows).toBeNull();
  });

  it("the client's Settings page offers the windows Meta still reports and refuses removed ones", async () => {
    const cookie = await sessionCookieFor(t.users.owner);
    const [names] = await asService(
      (tx) => tx<{ agency: string; ws: string }[]>`
      select a.slug as agency, w.slug as ws from public.workspaces w join public.agencies a on a.id = w.agency_id where w.id = ${t.workspaceId}`,
    );
    const params = { agency: names!.agency, workspace: names!.ws };
    const url = `http://localhost/a/${names!.agency}/w/${names!.ws}/settings`;
    const context = { nonce: "n", requestId: "r", clientIp: "127.0.0.1" };
    const page = (await settingsLoader({ request: new Request(url, { headers: { Cookie: cookie } }), params, context } as never)) as {
      attribution: string;
      attributionOptions: { value: string; label: string }[];
    };
    expect(page.attribution).toBe("");
    const values = page.attributionOptions.map((o) => o.value);
    expect(values).toContain("7d_click,1d_view");
    expect(values.some((v) => v.includes("7d_view") || v.includes("28d_view"))).toBe(false);
    const res = (await settingsAction({
      request: new Request(url, {
        method: "POST",
        headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ intent: "attribution", attribution: "28d_view" }),
      }),
      params,
      context,
    } as never)) as { init?: { status?: number }; data?: { error?: string } };
    expect(res.init?.status).toBe(400);
    expect(res.data?.error).toMatch(/no longer reports the 28d_view window/);
    const [ws] = await asService(
      (tx) => tx<{ attribution_windows: string[] | null }[]>`select attribution_windows from public.workspaces where id = ${t.workspaceId}`,
    );
    expect(ws!.attribution_windows).toBeNull();
  });

  it.each([["1d_click,1d_view"], ["28d_click"], ["7d_click,1d_view,1d_ev"]])(
    "%s: a change re-syncs conversions (not spend); per-window conversions equal the truth to the unit (USD and JPY), never mixed",
    async (choice) => {
      const before = await factStats();
      const queued: string[] = [];
      const change = await setWorkspaceAttribution(t.users.owner, t.workspaceId, choice, { queue: async (id) => (queued.push(id), "job") });
      expect(change).toMatchObject({ changed: true, queued: 2 });
      expect(queued.sort()).toEqual(t.accounts.map((a) => a.id).sort());
      // the scheduler's tick would queue the re-sync too (when the queue dropped it)
      const due = async () => (await asService((tx) => findDueAccounts(tx))).filter((d) => t.accounts.some((a) => a.id === d.adAccountId));
      expect(await due()).toEqual(expect.arrayContaining(t.accounts.map((a) => ({ adAccountId: a.id, kind: "conversions" }))));

      // An incremental sync of the USD account alone writes its newest days under the new windows: its
      // stored conversions now mix two windows, so its totals are withheld (n/a), never added up.
      const usd = t.accounts.find((a) => a.currency === "USD")!;
      expect((await sync(emu, { adAccountId: usd.id, kind: "incremental" })).status).toBe("succeeded");
      const mid = await report(RANGES[1]!);
      expect(mid.byCurrency.USD!.attribution.mixed).toBe(true);
      expect(mid.byCurrency.USD!.totals.conversions).toBeNull();
      expect(mid.byCurrency.USD!.totals.roas).toBeNull();
      expect(mid.byCurrency.USD!.daily.every((d) => d.metrics.conversions === null)).toBe(true);
      expect(mid.byCurrency.JPY!.attribution.mixed).toBe(false);

      for (const a of t.accounts) {
        const r = await sync(emu, { adAccountId: a.id, kind: "conversions" });
        expect(r.status).toBe("succeeded");
        expect(r.days).toBeGreaterThan(55);
      }
      expect((await due()).some((d) => d.kind === "conversions")).toBe(false);
      const after = await factStats();
      for (const s of after) {
        expect(s.attributions).toEqual([choice]);
        const b = before.find((x) => x.ad_account_id === s.ad_account_id)!;
        // spend, impressions and the rows themselves are untouched by the conversions re-sync
        expect({ rows: s.rows, spend: s.spend, impressions: s.impressions }).toEqual({ rows: b.rows, spend: b.spend, impressions: b.impressions });
      }
      for (const range of RANGES) {
        const rep = await report(range);
        for (const a of t.accounts) {
          const g = rep.byCurrency[a.currency]!;
          const tr = await truth(a.metaAccountId, range, `&window=${choice}`);
          expect(g.attribution).toMatchObject({ key: choice, windows: choice.split(","), mixed: false });
          expect(trimDecimal(g.totalsSums.conversions), `${a.currency} ${range.since}`).toBe(dec(tr.conversions));
          expect(trimDecimal(g.totalsSums.conversion_value), `${a.currency} ${range.since}`).toBe(dec(tr.conversion_value));
          expect(g.totals.cpa).toBe(tr.conversions ? Number(dec(tr.spend)) / tr.conversions : null);
        }
      }
    },
    120_000,
  );

  it("back to each account's own setting", async () => {
    await setWorkspaceAttribution(t.users.owner, t.workspaceId, "", { queue: async () => null });
    for (const a of t.accounts) expect((await sync(emu, { adAccountId: a.id, kind: "conversions" })).status).toBe("succeeded");
    for (const s of await factStats()) expect(s.attributions).toEqual(["7d_click,1d_view"]);
    const rep = await report(RANGES[0]!);
    for (const a of t.accounts) {
      const tr = await truth(a.metaAccountId, RANGES[0]!);
      expect(trimDecimal(rep.byCurrency[a.currency]!.totalsSums.conversions)).toBe(dec(tr.conversions));
    }
  });
});

describe("agency overview", () => {
  it("a currency total across clients with different windows withholds conversions; each client keeps its own", async () => {
    // a second client of the agency with the same USD ad account, counting 1-day click conversions
    const usd = t.accounts.find((a) => a.currency === "USD")!;
    const second = await asService(async (tx) => {
      const ws = await insertWorkspace(tx, t.agencyId, { name: "Client B", slug: "client-b-attr" });
      await tx`update public.workspaces set attribution_windows = '{1d_click}' where id = ${ws.id}`;
      const [a] = await tx<{ id: string }[]>`
        insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, account_status, backfill_months)
        select agency_id, ${ws.id}, connection_id, meta_account_id, name, currency, timezone_name, account_status, 1
        from public.ad_accounts where id = ${usd.id} returning id`;
      return { workspaceId: ws.id, accountId: a!.id };
    });
    expect((await sync(emu, { adAccountId: second.accountId, kind: "backfill" })).status).toBe("succeeded");
    const params = parseRangeParams({ since: "2026-11-01", until: "2026-11-15", compare: "none" });
    const overview = await asUser(t.users.owner, (tx) => getAgencyOverview(tx, t.agencyId, params, { now: NOW }));
    const usdTotal = overview.totals.find((x) => x.currency === "USD")!;
    expect(usdTotal.current.spend).toBeGreaterThan(0);
    expect(usdTotal.current.conversions).toBeNull();
    expect(usdTotal.current.roas).toBeNull();
    const line = (ws: string) => overview.rows.find((r) => r.id === ws)!.lines.find((l) => l.currency === "USD")!;
    const tr1 = await truth(usd.metaAccountId, { since: "2026-11-01", until: "2026-11-15" }, "&window=1d_click");
    const tr0 = await truth(usd.metaAccountId, { since: "2026-11-01", until: "2026-11-15" });
    expect(line(second.workspaceId).current.conversions).toBe(tr1.conversions);
    expect(line(t.workspaceId).current.conversions).toBe(tr0.conversions);
    // the JPY total has one window: shown
    expect(overview.totals.find((x) => x.currency === "JPY")!.current.conversions).not.toBeNull();
  });
});

describe("Threads", () => {
  it("a Threads-delivering campaign's platform split sums to its total, each part equal to the truth", async () => {
    const usd = t.accounts.find((a) => a.currency === "USD")!;
    const range = RANGES[0]!;
    const rep = await report(range);
    const g = rep.byCurrency.USD!;
    const threadsTotal = g.platforms.find((p) => p.platform === "threads");
    expect(threadsTotal, "the USD account delivers on Threads").toBeDefined();
    expect(trimDecimal(threadsTotal!.sums.spend)).toBe(dec((await truth(usd.metaAccountId, range, "&platform=threads")).spend));
    // a campaign with Threads delivery in the range
    const parts = await asService(
      (tx) => tx<{ meta_campaign_id: string; publisher_platform: string; spend: string; impressions: string }[]>`
      select meta_campaign_id, publisher_platform, sum(spend)::text as spend, sum(impressions)::text as impressions
      from public.insights_daily where ad_account_id = ${usd.id} and date between ${range.since} and ${range.until}
      group by meta_campaign_id, publisher_platform`,
    );
    const campaignId = parts.find((p) => p.publisher_platform === "threads")!.meta_campaign_id;
    const split = parts.filter((p) => p.meta_campaign_id === campaignId);
    expect(split.map((p) => p.publisher_platform)).toContain("facebook");
    const row = g.campaigns.find((c) => c.meta_campaign_id === campaignId)!;
    const cents = (s: string) => Math.round(Number(s) * 100);
    expect(split.reduce((s, p) => s + cents(p.spend), 0)).toBe(cents(row.sums.spend));
    expect(split.reduce((s, p) => s + Number(p.impressions), 0)).toBe(Number(row.sums.impressions));
    const ct = await truth(usd.metaAccountId, range, `&campaign=${campaignId}`);
    expect(trimDecimal(row.sums.spend)).toBe(dec(ct.spend));
    for (const p of split) {
      const pt = await truth(usd.metaAccountId, range, `&campaign=${campaignId}&platform=${p.publisher_platform}`);
      expect(dec(trimDecimal(p.spend)), p.publisher_platform).toBe(dec(pt.spend));
    }
  });
});

describe("2025-2026 limits", () => {
  it("reach with a breakdown for a range starting 14 months back is n/a (never 0, never cached); without the breakdown it is Meta's", async () => {
    const usd = t.accounts.find((a) => a.currency === "USD")!;
    const graphFor = testDeps(emu).graphFor;
    const old = { since: "2025-09-15", until: "2025-09-30" };
    const fb = await fetchRangeReach(undefined, usd.id, old.since, old.until, { graphFor, now: NOW, platform: "facebook" });
    expect(fb.reach).toBeNull();
    expect(Number(fb.impressions)).toBeGreaterThan(0);
    const [stored] = await asService(
      (tx) => tx`select 1 from public.insights_reach where ad_account_id = ${usd.id} and publisher_platform = 'facebook' and since = ${old.since}`,
    );
    expect(stored).toBeUndefined();
    const all = await fetchRangeReach(undefined, usd.id, old.since, old.until, { graphFor, now: NOW });
    const tr = await control<{ reach: number }>(emu, "GET", `/truth?account=${usd.metaAccountId}&since=${old.since}&until=${old.until}`);
    expect(Number(all.reach)).toBe(tr.reach);
  });
});

describe("async report failures", () => {
  it("the sync reports the v25+ error fields of a failed report run, then recovers by splitting the range", async () => {
    const usd = t.accounts.find((a) => a.currency === "USD")!;
    const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = { info() {}, warn: (obj: object, msg: string) => void warnings.push({ obj: obj as Record<string, unknown>, msg }) };
    await control(emu, "POST", "/faults", { kind: "async_failed", count: 2, account: usd.metaAccountId });
    const r = await sync(emu, { adAccountId: usd.id, kind: "restatement" }, { log });
    expect(r.status).toBe("succeeded");
    const failures = warnings.filter((w) => w.msg === "Meta async report did not complete");
    expect(failures).toHaveLength(2);
    expect(failures[0]!.obj).toMatchObject({
      status: "Job Failed",
      errorCode: -2,
      errorSubcode: 2490547,
      errorMessage: expect.any(String),
      errorUserTitle: "Report Failed",
      errorUserMsg: expect.any(String),
    });
  });
});

describe("API version", () => {
  const saved: Record<string, string | undefined> = {};
  const set = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (!(k in saved)) saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetEnvForTests();
  };
  afterAll(() => set(saved));

  it("a fresh install calls the newest live version; v24.0 fails the connect naming the version and what to set", async () => {
    await control(emu, "POST", "/clock", { now: "2026-12-01T12:00:00Z" });
    try {
      set({ META_APP_ID: DEFAULT_APP_ID, META_APP_SECRET: DEFAULT_APP_SECRET, META_GRAPH_URL: emu.url, META_WEB_URL: emu.url, META_API_VERSION: undefined });
      expect(graphClientFromEnv("EAAtoken").version).toBe(DEFAULT_META_API_VERSION);
      const tok = await control<{ access_token: string }>(emu, "POST", "/tokens", { systemUser: true });
      const { workspaces } = await createAgencyFixture({ workspaces: 2 });
      const ok = await connectWithToken({ workspaceId: workspaces[0]!.id, actorUserId: null, token: tok.access_token });
      expect(ok.adAccounts.length).toBeGreaterThan(0);

      set({ META_API_VERSION: "v24.0" });
      const err = await connectWithToken({ workspaceId: workspaces[1]!.id, actorUserId: null, token: tok.access_token }).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe(
        `Meta refused Marketing API v24.0 as deprecated (error 2635). Set META_API_VERSION=${DEFAULT_META_API_VERSION} (the newest live version) and restart Spendlane.`,
      );
      // nothing was connected
      const [c] = await asService((tx) => tx`select 1 from public.meta_connections where workspace_id = ${workspaces[1]!.id}`);
      expect(c).toBeUndefined();
      // "Connect Meta" (OAuth) refuses before sending anyone to Meta's dialog, with the same advice
      await expect(startConnect({ userId: t.users.owner, sessionId: "s", workspaceId: workspaces[1]!.id, origin: "http://app.test" })).rejects.toThrow(
        `Meta Marketing API v24.0 expired on 2026-11-10; Meta refuses calls at that version. Set META_API_VERSION=${DEFAULT_META_API_VERSION} (the newest live version) and restart Spendlane.`,
      );

      // the Connections page shows the error state and what to set
      const cookie = await sessionCookieFor(t.users.owner);
      const [names] = await asService(
        (tx) => tx<{ agency: string; ws: string }[]>`
        select a.slug as agency, w.slug as ws from public.workspaces w join public.agencies a on a.id = w.agency_id where w.id = ${t.workspaceId}`,
      );
      const page = (await connectionsLoader({
        request: new Request(`http://localhost/a/${names!.agency}/w/${names!.ws}/connections`, { headers: { Cookie: cookie } }),
        params: { agency: names!.agency, workspace: names!.ws },
        context: { nonce: "n", requestId: "r", clientIp: "127.0.0.1" },
      } as never)) as { apiVersion: { state: string; message: string } };
      expect(page.apiVersion.state).toBe("expired");
      expect(page.apiVersion.message).toContain(`Set META_API_VERSION=${DEFAULT_META_API_VERSION}`);
      set({ META_API_VERSION: undefined });
      const fine = (await connectionsLoader({
        request: new Request(`http://localhost/a/${names!.agency}/w/${names!.ws}/connections`, { headers: { Cookie: cookie } }),
        params: { agency: names!.agency, workspace: names!.ws },
        context: { nonce: "n", requestId: "r", clientIp: "127.0.0.1" },
      } as never)) as { apiVersion: { state: string; message: string | null } };
      expect(fine.apiVersion).toMatchObject({ state: "ok", message: null });
    } finally {
      await control(emu, "POST", "/clock", { now: NOW.toISOString() });
    }
  });
});
