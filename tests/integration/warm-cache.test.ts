/**
 * The warm path's caches (ADR 0150) through the real HTTP pipeline, on both engines: the encoded
 * single-fetch body of a workspace page is reused only for the same user, role, agency, workspace and
 * URL; another user's request is computed for them (or refused), never served someone else's bytes;
 * a data version committed by a sync, a membership change made through the app and one made behind
 * its back (another process) all take effect.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { stopBus } from "../../app/.server/realtime/bus";
import { publishEvent } from "../../app/.server/realtime/publish";
import { bumpDataVersion } from "../../app/.server/sync/upsert";
import { ACCESS_TTL_MS } from "../../app/.server/warm/access";
import { BODY_TTL_MS, bodyCacheStats } from "../../app/.server/warm/body-cache";
import { createAgencyFixture } from "../helpers/factories";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";
import { sessionCookieFor } from "../helpers/session";

const engine = inject("databaseEngine");
const PAGE = "routes/a.$agency.w.$workspace._index";
const CAMPAIGN_PAGE = "routes/a.$agency.w.$workspace.campaigns.$campaign";
const RANGE = "since=2026-10-01&until=2026-10-02&compare=none";

type Fixture = Awaited<ReturnType<typeof createAgencyFixture>>;
let server: TestServer;
let A: Fixture;
let B: Fixture;
const cookies: Record<string, string> = {};

async function seed(f: Fixture, account: string, campaign: string, spend: string) {
  const ws = f.workspaces[0];
  await asService(async (tx) => {
    const [a] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, sync_progress, last_synced_at)
      values (${f.agency.id}, ${ws.id}, ${account}, 'Main', 'USD', 'UTC', 'ok', 100, now()) returning id`;
    await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, effective_status)
      values (${a.id}, '901', ${ws.id}, ${campaign}, 'ACTIVE')`;
    await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
      values (${a.id}, '901', '2026-10-01', 'facebook', ${ws.id}, ${spend}, 1000, 20, 15, 2, 50.00)`;
    await bumpDataVersion(tx, ws.id);
  });
}

const dataPath = (f: Fixture, route = PAGE, path = "") =>
  `/a/${f.agency.slug}/w/${f.workspaces[0].slug}${path}.data?_routes=${encodeURIComponent(route)}&${RANGE}`;

async function get(who: string, path: string) {
  const res = await server.fetch(path, { headers: { cookie: cookies[who] } });
  return { status: res.status, body: await res.text() };
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  // Two agencies whose client workspaces have the same slug (client-1) and different numbers.
  A = await createAgencyFixture({ workspaces: 1 });
  B = await createAgencyFixture({ workspaces: 1 });
  await seed(A, "act_71001", "Alpha private campaign", "111.11");
  await seed(B, "act_71002", "Bravo private campaign", "222.22");
  for (const [name, id] of Object.entries({ ownerA: A.owner.id, viewerA: A.viewer.id, memberA: A.member.id, ownerB: B.owner.id, viewerB: B.viewer.id })) {
    cookies[name] = await sessionCookieFor(id);
  }
  server = await startTestServer({}, { warmCache: true });
});

afterAll(async () => {
  await server?.close();
  await closeVite();
  await stopBus();
});

describe(`warm body cache (${engine})`, () => {
  it("serves a repeated view from the cache, byte for byte, to the same user only", async () => {
    const first = await get("ownerA", dataPath(A));
    expect(first.status).toBe(200);
    expect(first.body).toContain("Alpha private campaign");
    expect(first.body).not.toContain("Bravo");
    const hits = bodyCacheStats().bodyHits;
    const again = await get("ownerA", dataPath(A));
    // the loader's `now` would differ if it had run again: these are the stored bytes
    expect(again.body).toBe(first.body);
    expect(bodyCacheStats().bodyHits).toBe(hits + 1);

    // the client viewer of the same workspace asks for the same URL: computed for them, not the owner's bytes
    const stored = bodyCacheStats().bodyStored;
    const viewer = await get("viewerA", dataPath(A));
    expect(viewer.status).toBe(200);
    expect(viewer.body).toContain("Alpha private campaign");
    expect(viewer.body).not.toBe(first.body);
    await until("the viewer's own entry", async () => bodyCacheStats().bodyStored > stored, 60_000);
    expect((await get("viewerA", dataPath(A))).body).toBe(viewer.body);
    expect((await get("ownerA", dataPath(A))).body).toBe(first.body);

    // another agency's owner, same workspace slug: their own numbers
    const other = await get("ownerB", dataPath(B));
    expect(other.status).toBe(200);
    expect(other.body).toContain("Bravo private campaign");
    expect(other.body).not.toContain("Alpha");
    expect(other.body).not.toBe(first.body);

    // and nobody reaches a cached page of a tenant they do not belong to, whatever the URL
    for (const who of ["ownerB", "viewerB"]) {
      const cross = await get(who, dataPath(A));
      expect(cross.status).toBe(404);
      expect(cross.body).not.toContain("Alpha");
    }
    const viewerToB = await get("viewerA", dataPath(B));
    expect(viewerToB.status).toBe(404);
    expect(viewerToB.body).not.toContain("Bravo");
    // without a session: the redirect to /login, not a body
    const anonymous = await server.fetch(dataPath(A));
    expect(await anonymous.text()).not.toContain("Alpha");
  });

  it("a cached document carries each request's own CSP nonce, never another's", async () => {
    const path = `/a/${A.agency.slug}/w/${A.workspaces[0].slug}?${RANGE}`;
    const nonceOf = (csp: string | null) => csp?.match(/'nonce-([A-Za-z0-9+/=]+)'/)?.[1];
    const docs: { nonce: string; body: string }[] = [];
    const hits = bodyCacheStats().bodyHits;
    // the first is rendered (and kept without its nonce); the later ones are served from the cache
    for (let i = 0; i < 4; i++) {
      const res = await server.fetch(path, { headers: { cookie: cookies.ownerA } });
      expect(res.status).toBe(200);
      const nonce = nonceOf(res.headers.get("content-security-policy"));
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      const body = await res.text();
      expect(body).toContain("Alpha private campaign");
      const attrs = [...body.matchAll(/nonce="([^"]*)"/g)].map((m) => m[1]);
      expect(attrs.length).toBeGreaterThan(0);
      expect(new Set(attrs)).toEqual(new Set([nonce]));
      docs.push({ nonce: nonce!, body });
      if (i === 0) await until("the document stored", async () => bodyCacheStats().entries > 0 && bodyCacheStats().bodyStored > 0, 60_000);
    }
    expect(bodyCacheStats().bodyHits).toBeGreaterThan(hits);
    // without gzip, the same document with its own nonce
    const plain = await server.fetch(path, { headers: { cookie: cookies.ownerA, "accept-encoding": "identity" } });
    expect(plain.headers.get("content-encoding")).toBeNull();
    const plainNonce = nonceOf(plain.headers.get("content-security-policy"))!;
    expect((await plain.text()).replaceAll(plainNonce, "N")).toBe(docs[3].body.replaceAll(docs[3].nonce, "N"));
    docs.push({ nonce: plainNonce, body: docs[3].body.replaceAll(docs[3].nonce, plainNonce) });
    expect(new Set(docs.map((d) => d.nonce)).size).toBe(docs.length);
    for (const d of docs) for (const other of docs) if (other !== d) expect(d.body).not.toContain(other.nonce);
    // the client viewer's document of the same URL is their own (no agency navigation)
    const viewerDoc = await (await server.fetch(path, { headers: { cookie: cookies.viewerA } })).text();
    expect(viewerDoc).toContain("Alpha private campaign");
    expect(viewerDoc).toContain("Read-only");
    expect(docs[1].body).not.toContain("Read-only");
    const cross = await server.fetch(path, { headers: { cookie: cookies.ownerB } });
    expect(cross.status).toBe(404);
    expect(await cross.text()).not.toContain("Alpha");
  });

  it("concurrent first requests for one view compute it once (single flight)", async () => {
    const path = dataPath(A).replace("compare=none", "compare=previous");
    const bodies = await Promise.all(Array.from({ length: 8 }, () => get("ownerA", path)));
    // each computation stamps its own `now`: one body means one computation
    expect(bodies.every((b) => b.status === 200)).toBe(true);
    expect(new Set(bodies.map((b) => b.body)).size).toBe(1);
  });

  it("the drill-down pages use the same cache", async () => {
    const path = dataPath(A, CAMPAIGN_PAGE, "/campaigns/901");
    const first = await get("ownerA", path);
    expect(first.status).toBe(200);
    const hits = bodyCacheStats().bodyHits;
    await until("the campaign page stored", async () => (await get("ownerA", path)).body === first.body, 60_000);
    expect(bodyCacheStats().bodyHits).toBeGreaterThan(hits);
    const cross = await get("ownerB", path);
    expect(cross.body).not.toBe(first.body);
    expect(cross.status).toBe(404);
  });

  it("a committed data version replaces the cached body at once (well within its TTL)", async () => {
    const before = await get("ownerA", dataPath(A));
    expect((await get("ownerA", dataPath(A))).body).toBe(before.body);
    expect(before.body).toContain("111.11");
    // what a sync chunk does: facts, data version and the live event in one transaction
    await asService(async (tx) => {
      await tx`update public.insights_daily set spend = 333.33 where workspace_id = ${A.workspaces[0].id}`;
      const version = await bumpDataVersion(tx, A.workspaces[0].id);
      await publishEvent(tx, { type: "data", workspaceId: A.workspaces[0].id, version });
    });
    await until("the new spend on the page", async () => (await get("ownerA", dataPath(A))).body.includes("333.33"), BODY_TTL_MS / 3);
    expect((await get("viewerA", dataPath(A))).body).toContain("333.33");
  });

  it("a membership change made through the app applies to the next request", async () => {
    expect((await get("viewerA", dataPath(A))).status).toBe(200);
    const res = await server.fetch(`/a/${A.agency.slug}/w/${A.workspaces[0].slug}/settings`, {
      method: "POST",
      headers: { cookie: cookies.ownerA, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "revoke-viewer", userId: A.viewer.id }),
    });
    expect(res.status).toBeLessThan(400);
    await res.arrayBuffer();
    const after = await get("viewerA", dataPath(A));
    expect(after.status).toBe(404);
    expect(after.body).not.toContain("Alpha");
  });

  it("a membership change made elsewhere (another process) applies within the access TTL", async () => {
    expect((await get("memberA", dataPath(A))).status).toBe(200);
    await asService((tx) => tx`delete from public.agency_members where agency_id = ${A.agency.id} and user_id = ${A.member.id}`);
    await until("the removed member refused", async () => (await get("memberA", dataPath(A))).status === 404, ACCESS_TTL_MS * 3);
    expect((await get("memberA", dataPath(A))).body).not.toContain("Alpha");
  });
});
