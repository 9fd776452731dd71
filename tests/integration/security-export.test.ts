import { unzipSync, strFromU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService, sql } from "../../app/.server/db/connection";
import { EXPORT_FILES } from "../../app/.server/security/export";
import { parseCsvRows } from "../helpers/csv";
import { createAgencyFixture, createUser } from "../helpers/factories";
import { sessionCookieFor } from "../helpers/session";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await closeVite();
});

/** CSV text as records keyed by the header row. */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...body] = parseCsvRows(text);
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ""])));
}

async function seedFacts(agencyId: string, workspaceId: string, spend: string) {
  return asService(async (tx) => {
    const [acct] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name)
      values (${agencyId}, ${workspaceId}, ${`act_${Math.floor(Math.random() * 1e12)}`}, 'Main account', 'EUR', 'Europe/Berlin') returning id`;
    await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
      values (${acct.id}, '120000001', '2026-03-01', 'facebook', ${workspaceId}, ${spend}, 1000, 10)`;
    await tx`insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, token_secret_id)
      values (${agencyId}, ${workspaceId}, 'oauth', '5550001', gen_random_uuid())`;
    return acct.id;
  });
}

async function get(userId: string | null, slug: string) {
  const headers: Record<string, string> = userId ? { cookie: await sessionCookieFor(userId) } : {};
  return server.fetch(`/a/${slug}/export`, { headers });
}

describe("owner data export", () => {
  it("gives the owner a zip of CSVs with the agency's data, exact money, no secrets and nothing of other agencies", async () => {
    const fx = await createAgencyFixture();
    const other = await createAgencyFixture();
    await seedFacts(fx.agency.id, fx.workspaces[0].id, "1234.5678");
    await seedFacts(other.agency.id, other.workspaces[0].id, "999.0001");

    const res = await get(fx.owner.id, fx.agency.slug);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toMatch(new RegExp(`attachment; filename="spendlane-${fx.agency.slug}-\\d{4}-\\d{2}-\\d{2}\\.zip"`));
    expect(res.headers.get("cache-control")).toBe("no-store");
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual([...EXPORT_FILES].sort());
    const csv = (name: string) => parseCsv(strFromU8(files[name]));

    expect(csv("agency.csv")).toEqual([expect.objectContaining({ id: fx.agency.id, slug: fx.agency.slug })]);
    expect(
      csv("members.csv")
        .map((m) => m.email)
        .sort(),
    ).toEqual([fx.owner.email, fx.admin.email, fx.member.email].sort());
    expect(
      csv("workspaces.csv")
        .map((w) => w.slug)
        .sort(),
    ).toEqual(["client-1", "client-2"]);
    expect(csv("workspace_viewers.csv").map((v) => v.email)).toEqual([fx.viewer.email]);
    const facts = csv("insights_daily.csv");
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({ date: "2026-03-01", spend: "1234.5678", impressions: "1000" });
    expect(csv("ad_accounts.csv")).toHaveLength(1);
    const conns = csv("meta_connections.csv");
    expect(conns).toHaveLength(1);
    expect(Object.keys(conns[0])).not.toContain("token_secret_id");
    const all = Object.values(files)
      .map((f) => strFromU8(f))
      .join("\n");
    expect(all).not.toContain("999.0001");
    expect(all).not.toContain(other.agency.id);
    expect(all).not.toMatch(/password|token_hash|\$argon2/);

    const [audit] = await sql()<{ action: string; actor_user_id: string }[]>`
      select action, actor_user_id from public.audit_log where agency_id = ${fx.agency.id} and action = 'agency.exported'`;
    expect(audit).toEqual({ action: "agency.exported", actor_user_id: fx.owner.id });
  });

  it("is for owners only: admins and members 403, viewers and outsiders 404, anonymous to login", async () => {
    const fx = await createAgencyFixture();
    const outsider = await createUser();
    expect((await get(fx.admin.id, fx.agency.slug)).status).toBe(403);
    expect((await get(fx.member.id, fx.agency.slug)).status).toBe(403);
    expect((await get(fx.viewer.id, fx.agency.slug)).status).toBe(404);
    expect((await get(outsider.id, fx.agency.slug)).status).toBe(404);
    const anon = await get(null, fx.agency.slug);
    expect(anon.status).toBe(302);
    expect(anon.headers.get("location")).toMatch(/^\/login\?redirectTo=/);
  });
});

// Extra item of the review: the owner's ZIP was built in memory (Content-Length of the whole file).
describe("owner data export, streamed", () => {
  it("is read in pages as the client reads: a paused client holds the export, a departed one ends it", async () => {
    const { streamAgencyExport } = await import("../../app/.server/security/export");
    const fx = await createAgencyFixture({ workspaces: 1 });
    const acct = await seedFacts(fx.agency.id, fx.workspaces[0].id, "1.0000");
    // 6,000 days x 1 campaign: a dozen cursor batches of insights
    await asService(
      (tx) => tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
      select ${acct}, '120000002', d::date, 'instagram', ${fx.workspaces[0].id}, (random() * 1000)::numeric(14, 4), (random() * 1e6)::int, (random() * 1e4)::int
      from generate_series('2010-01-01'::date, '2010-01-01'::date + 5999, interval '1 day') d`,
    );
    const exported = async () =>
      (await asService((tx) => tx`select 1 from public.audit_log where agency_id = ${fx.agency.id} and action = 'agency.exported'`)).length;

    // a client that reads one chunk and stops: the export waits (nothing finished, nothing audited) ...
    const paused = (await streamAgencyExport(fx.owner.id, fx.agency.id)).getReader();
    expect((await paused.read()).done).toBe(false);
    // (an export built in memory would have finished, and been audited, long before this)
    await new Promise((r) => setTimeout(r, 1000));
    expect(await exported()).toBe(0);
    // ... and a client that goes away ends it without an audit entry
    await paused.cancel();
    await new Promise((r) => setTimeout(r, 100));
    expect(await exported()).toBe(0);

    // through the route: no Content-Length (the size is not known up front), every row arrives
    const res = await get(fx.owner.id, fx.agency.slug);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/zip");
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const rows = parseCsv(strFromU8(files["insights_daily.csv"]));
    expect(rows).toHaveLength(6001);
    expect(rows.filter((r) => r.meta_campaign_id === "120000001")[0].spend).toBe("1.0000");
    expect(parseCsv(strFromU8(files["invitations.csv"]))).toEqual([]);
    expect(strFromU8(files["invitations.csv"]).split("\n")[0]).toMatch(/^id,workspace_id,email,role/);
    await expect.poll(exported).toBe(1);
  });
});
