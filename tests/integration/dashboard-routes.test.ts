/**
 * Dashboard routes called with real Requests and session cookies: who sees what (client viewers
 * read-only, their own workspace only), URL parameters, states, CSV export and archive.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import * as overview from "../../app/routes/a.$agency._index";
import * as layout from "../../app/routes/a.$agency.w.$workspace";
import * as dashboard from "../../app/routes/a.$agency.w.$workspace._index";
import * as exporter from "../../app/routes/a.$agency.w.$workspace.export.$kind";
import * as healthz from "../../app/routes/healthz";
import { createAgencyFixture, createUser } from "../helpers/factories";
import { requestAs } from "../helpers/session";

type Handler = (args: { request: Request; params: Record<string, string>; context: Record<string, unknown> }) => unknown;

async function run(fn: Handler, request: Request, params: Record<string, string>) {
  let out: unknown;
  try {
    out = await fn({ request, params, context: {} });
  } catch (err) {
    if (!(err instanceof Response)) throw err;
    out = err;
  }
  if (out instanceof Response) return { status: out.status, body: await out.text(), headers: out.headers, data: null as any };
  const d = out as { type?: string; data?: unknown; init?: { status?: number } };
  if (d && d.type === "DataWithResponseInit") return { status: d.init?.status ?? 200, body: "", headers: new Headers(), data: d.data as any };
  return { status: 200, body: "", headers: new Headers(), data: out as any };
}

let f: Awaited<ReturnType<typeof createAgencyFixture>>;
let usd: string;
const get = (userId: string | null, path: string) => requestAs(userId, path);

beforeAll(async () => {
  f = await createAgencyFixture({ workspaces: 3 });
  usd = await asService(async (tx) => {
    const [a] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress, last_synced_at)
      values (${f.agency.id}, ${f.workspaces[0].id}, 'act_555', 'Main USD', 'USD', 'UTC', 'ok', 100, now()) returning id`;
    await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, effective_status)
      values (${a.id}, '901', ${f.workspaces[0].id}, 'Spring, "sale"', 'ACTIVE'), (${a.id}, '902', ${f.workspaces[0].id}, 'Brand', 'PAUSED')`;
    await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
      values (${a.id}, '901', '2026-10-01', 'facebook', ${f.workspaces[0].id}, 10.10, 1000, 20, 15, 2, 50.00),
             (${a.id}, '901', '2026-10-02', 'instagram', ${f.workspaces[0].id}, 5.05, 500, 5, 4, 0, 0),
             (${a.id}, '902', '2026-10-02', 'facebook', ${f.workspaces[0].id}, 0.01, 10, 0, 0, 0, 0)`;
    await tx`update public.data_versions set version = version + 1 where workspace_id = ${f.workspaces[0].id}`;
    // workspace 2: a backfill in progress; workspace 3: nothing connected
    await tx`insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress)
      values (${f.agency.id}, ${f.workspaces[1].id}, 'act_556', 'Syncing', 'EUR', 'Europe/Berlin', 'syncing', 37)`;
    return a.id;
  });
});

const ws = (i: number) => ({ agency: f.agency.slug, workspace: f.workspaces[i].slug });
const RANGE = "since=2026-10-01&until=2026-10-02&compare=none";

describe("workspace dashboard", () => {
  it("renders exact totals for staff, with range and account in the URL", async () => {
    const r = await run(dashboard.loader as Handler, await get(f.member.id, `/a/x/w/y?${RANGE}&account=${usd}`), ws(0));
    expect(r.status).toBe(200);
    const g = r.data.groups[0];
    expect(g.currency).toBe("USD");
    expect(g.totals.spend).toBe(15.16);
    expect(g.totals.clicks).toBe(25);
    expect(g.totals.cpc).toBeCloseTo(15.16 / 25, 12);
    expect(g.totals.cpa).toBeCloseTo(15.16 / 2, 12);
    expect(g.campaigns.map((c: { id: string }) => c.id)).toEqual(["901", "902"]);
    expect(g.campaigns[1].metrics.cpc).toBeNull();
    expect(g.platforms.map((p: { platform: string }) => p.platform)).toEqual(["facebook", "instagram"]);
    expect(g.daily).toHaveLength(2);
    expect(r.data.range).toMatchObject({ since: "2026-10-01", until: "2026-10-02", previous: null, timezone: "UTC" });
    expect(r.data.isStaff).toBe(true);
    expect(r.data.state).toEqual({ kind: "ok" });
    // no stored reach and no Meta connection: the card says so instead of failing the page
    expect(await r.data.reach).toEqual({ USD: { status: "unavailable", reason: "No Meta connection for this ad account" } });
  });

  it("lets a client viewer read their own workspace only, without staff controls", async () => {
    const mine = await run(dashboard.loader as Handler, await get(f.viewer.id, `/a/x/w/y?${RANGE}`), ws(0));
    expect(mine.status).toBe(200);
    expect(mine.data.isStaff).toBe(false);
    expect(mine.data.canManage).toBe(false);
    expect(mine.data.groups[0].totals.spend).toBe(15.16);
    const lay = await run(layout.loader as Handler, await get(f.viewer.id, "/a/x/w/y"), ws(0));
    expect(lay.data.role).toBe("viewer");
    for (const i of [1, 2]) {
      expect((await run(dashboard.loader as Handler, await get(f.viewer.id, "/a/x/w/y"), ws(i))).status).toBe(404);
      expect((await run(exporter.loader as Handler, await get(f.viewer.id, "/a/x/w/y/export/daily"), { ...ws(i), kind: "daily" })).status).toBe(404);
    }
    // the overview sends a viewer to their workspace; their archive POST is refused
    const o = await run(overview.loader as Handler, await get(f.viewer.id, `/a/${f.agency.slug}`), { agency: f.agency.slug });
    expect(o.status).toBe(302);
    expect(o.headers.get("Location")).toBe(`/a/${f.agency.slug}/w/${f.workspaces[0].slug}`);
    const post = await requestAs(f.viewer.id, `/a/${f.agency.slug}`, {
      method: "POST",
      body: new URLSearchParams({ intent: "archive", workspaceId: f.workspaces[0].id }),
    });
    expect((await run(overview.action as Handler, post, { agency: f.agency.slug })).status).toBe(404);
  });

  it("answers 404 to outsiders and people of other agencies", async () => {
    const outsider = await createUser();
    const other = await createAgencyFixture({ workspaces: 1 });
    expect((await run(dashboard.loader as Handler, await get(outsider.id, "/"), ws(0))).status).toBe(404);
    expect((await run(dashboard.loader as Handler, await get(other.owner.id, "/"), ws(0))).status).toBe(404);
    expect((await run(overview.loader as Handler, await get(other.owner.id, "/"), { agency: f.agency.slug })).status).toBe(404);
    const anon = await run(dashboard.loader as Handler, await get(null, "/a/x/w/y"), ws(0));
    expect(anon.status).toBe(302);
  });

  it("shows backfill progress and the not-connected state", async () => {
    const syncing = await run(dashboard.loader as Handler, await get(f.owner.id, "/"), ws(1));
    expect(syncing.data.state).toEqual({ kind: "backfill", progress: 37 });
    const empty = await run(dashboard.loader as Handler, await get(f.owner.id, "/"), ws(2));
    expect(empty.data.state).toEqual({ kind: "not_connected" });
    expect(empty.data.groups).toEqual([]);
  });

  it("reports a bad range or account on the page and falls back instead of failing", async () => {
    const r = await run(dashboard.loader as Handler, await get(f.member.id, "/?since=2026-10-05&until=2026-10-01&account=nope"), ws(0));
    expect(r.status).toBe(200);
    expect(r.data.range.preset).toBe("last_28d");
    expect(r.data.notices.join(" ")).toMatch(/end date is before the start date/);
    expect(r.data.notices.join(" ")).toMatch(/Unknown ad account/);
  });
});

describe("CSV export", () => {
  it("downloads the campaign table with exact money and a file name from client and range", async () => {
    const r = await run(exporter.loader as Handler, await get(f.viewer.id, `/x?${RANGE}`), { ...ws(0), kind: "campaigns" });
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Type")).toMatch(/text\/csv/);
    expect(r.headers.get("Content-Disposition")).toBe(`attachment; filename="client-1_2026-10-01_2026-10-02_campaigns.csv"`);
    const lines = r.body.trim().split("\n");
    expect(lines[0]).toMatch(/^currency,ad_account_id,campaign_id,campaign,status,spend,/);
    expect(lines[1]).toBe('USD,act_555,901,"Spring, ""sale""",ACTIVE,15.15,1500,25,19,1.6667,0.6060,10.1000,2,7.5750,50,3.3003');
    expect(lines.at(-1)).toMatch(/^USD,,,Total,,15.16,1510,25,19,/);
    const daily = await run(exporter.loader as Handler, await get(f.member.id, `/x?${RANGE}`), { ...ws(0), kind: "daily" });
    expect(daily.body.trim().split("\n")).toEqual([
      "currency,date,spend,impressions,clicks,link_clicks,ctr,cpc,cpm,conversions,cpa,conversion_value,roas",
      "USD,2026-10-01,10.1,1000,20,15,2.0000,0.5050,10.1000,2,5.0500,50,4.9505",
      "USD,2026-10-02,5.06,510,5,4,0.9804,1.0120,9.9216,0,,0,0.0000",
    ]);
    expect((await run(exporter.loader as Handler, await get(f.member.id, "/x?range=bogus"), { ...ws(0), kind: "daily" })).status).toBe(400);
    expect((await run(exporter.loader as Handler, await get(f.member.id, "/x"), { ...ws(0), kind: "secrets" })).status).toBe(404);
  });
});

describe("agency overview", () => {
  it("lists clients with status, sorted and searched from the URL", async () => {
    const r = await run(overview.loader as Handler, await get(f.member.id, `/a/${f.agency.slug}?${RANGE}&sort=spend`), { agency: f.agency.slug });
    expect(r.status).toBe(200);
    expect(r.data.rows.map((x: { slug: string }) => x.slug)).toEqual(["client-1", "client-2", "client-3"]);
    expect(r.data.rows[0].lines[0]).toMatchObject({ currency: "USD", spend: 15.16, conversions: 2 });
    expect(r.data.rows.map((x: { state: { kind: string } }) => x.state.kind)).toEqual(["ok", "syncing", "not_connected"]);
    expect(r.data.totals).toEqual([expect.objectContaining({ currency: "USD", spend: 15.16, clients: 1 })]);
    const q = await run(overview.loader as Handler, await get(f.member.id, `/a/${f.agency.slug}?q=CLIENT-2`), { agency: f.agency.slug });
    expect(q.data.rows.map((x: { slug: string }) => x.slug)).toEqual(["client-2"]);
  });

  it("archives and restores for owners and admins only", async () => {
    const body = (intent: string) => new URLSearchParams({ intent, workspaceId: f.workspaces[2].id });
    const asMember = await requestAs(f.member.id, "/", { method: "POST", body: body("archive") });
    expect((await run(overview.action as Handler, asMember, { agency: f.agency.slug })).status).toBe(403);
    const bad = await requestAs(f.admin.id, "/", { method: "POST", body: new URLSearchParams({ intent: "archive", workspaceId: "x" }) });
    expect((await run(overview.action as Handler, bad, { agency: f.agency.slug })).status).toBe(400);
    const ok = await run(overview.action as Handler, await requestAs(f.admin.id, "/", { method: "POST", body: body("archive") }), { agency: f.agency.slug });
    // the confirmation says what happened and offers an undo (a restore of the same client)
    expect(ok.data).toEqual({ ok: "Client 3 archived.", undo: f.workspaces[2].id });
    const list = await run(overview.loader as Handler, await get(f.member.id, "/"), { agency: f.agency.slug });
    expect(list.data.rows.map((x: { slug: string }) => x.slug)).not.toContain("client-3");
    const withArchived = await run(overview.loader as Handler, await get(f.member.id, "/?archived=1"), { agency: f.agency.slug });
    expect(withArchived.data.rows.find((x: { slug: string }) => x.slug === "client-3")?.archived).toBe(true);
    const restored = await run(overview.action as Handler, await requestAs(f.owner.id, "/", { method: "POST", body: body("restore") }), {
      agency: f.agency.slug,
    });
    expect(restored.data).toEqual({ ok: "Client 3 restored.", undo: null });
  });
});

it("healthz answers ok", async () => {
  const r = await run(healthz.loader as unknown as Handler, new Request("http://localhost/healthz"), {});
  expect(r).toMatchObject({ status: 200, body: "ok" });
});
