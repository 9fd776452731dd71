/**
 * Broadcast from the database, end to end below the browser: publishEvent in a sync transaction →
 * realtime.send on a Supabase-shaped database → the Realtime stand-in (emulator/supabase-realtime) →
 * @supabase/supabase-js's Realtime client in Node (the same client code the browser bundle runs),
 * with tokens minted by the app (mintRealtimeToken).
 *
 * Always PostgreSQL (TEST_DATABASE_URL's server, else 127.0.0.1:5432), like ops-multiprocess.
 */
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { asService, configureDatabase } from "../../app/.server/db/connection";
import { migrate } from "../../app/.server/db/migrate";
import { resetEnvForTests } from "../../app/.server/env";
import { publishEvent } from "../../app/.server/realtime/publish";
import { mintRealtimeToken } from "../../app/.server/realtime/supabase-token";
import { startRealtimeStandIn, type RealtimeStandIn } from "../../emulator/supabase-realtime";
import { createSupabaseShapedDatabase, dropSupabaseShapedDatabase } from "../../scripts/supabase-shaped-db.mjs";
import { createAgencyFixture } from "../helpers/factories";

const SERVER = (() => {
  const u = new URL(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  u.pathname = "/postgres";
  return u.toString();
})();
const NAME = `spendlane_supabase_rt_${process.pid}`;
const JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
let admin: postgres.Sql;
let standIn: RealtimeStandIn;
let anonKey: string;
const clients: SupabaseClient[] = [];

async function sign(claims: Record<string, unknown>, expSeconds: number) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expSeconds)
    .sign(new TextEncoder().encode(JWT_SECRET));
}

beforeAll(async () => {
  const url = await createSupabaseShapedDatabase(NAME, SERVER);
  admin = postgres(url, { max: 2, onnotice: () => {} });
  await migrate(admin);
  configureDatabase(url, { max: 4 });
  anonKey = await sign({ iss: "supabase", role: "anon" }, 3600 * 24);
  standIn = await startRealtimeStandIn({ databaseUrl: url, jwtSecret: JWT_SECRET, pollMs: 25 });
  Object.assign(process.env, { SUPABASE_URL: standIn.url, SUPABASE_ANON_KEY: anonKey, SUPABASE_JWT_SECRET: JWT_SECRET, SUPABASE_REALTIME_TOKEN_SECONDS: "60" });
  resetEnvForTests();
});

afterAll(async () => {
  for (const c of clients) await c.removeAllChannels();
  await standIn?.close();
  await admin?.end();
  await dropSupabaseShapedDatabase(NAME, SERVER);
});

interface Sub {
  channel: RealtimeChannel;
  events: { event: string; payload: Record<string, unknown> }[];
  statuses: string[];
  errors: string[];
  system: Record<string, unknown>[];
}

/**
 * A supabase-js client whose token comes from `token()` (the app's /realtime-token in the browser).
 * The heartbeat is the library's (25 s) unless a test needs it sooner. The client counts a heartbeat
 * reply that is later than one interval as a lost connection, and reports CHANNEL_ERROR. At 200 ms a
 * loaded machine got there: the stand-in answers a socket's frames in order, and a join's policy
 * check (a few queries) came first.
 */
function client(token: () => Promise<string>, heartbeatIntervalMs?: number) {
  const c = createClient(standIn.url, anonKey, {
    accessToken: token,
    realtime: { transport: WebSocket as never, ...(heartbeatIntervalMs ? { heartbeatIntervalMs } : {}) },
  });
  clients.push(c);
  return c;
}

async function join(c: SupabaseClient, topic: string): Promise<Sub> {
  await c.realtime.setAuth();
  const channel = c.channel(topic, { config: { private: true } });
  const sub: Sub = { channel, events: [], statuses: [], errors: [], system: [] };
  channel
    .on("broadcast", { event: "data" }, (m) => sub.events.push({ event: "data", payload: m.payload }))
    .on("broadcast", { event: "progress" }, (m) => sub.events.push({ event: "progress", payload: m.payload }))
    .on("system", {}, (m) => sub.system.push(m))
    .subscribe((status, err) => {
      sub.statuses.push(status);
      if (err) sub.errors.push(err.message);
    });
  await expect.poll(() => sub.statuses.find((s) => s !== "CLOSED"), { timeout: 30_000 }).toBeDefined();
  return sub;
}

describe("Supabase Realtime broadcast (stand-in, supabase-js)", () => {
  it("delivers a committed sync event to the workspace's channel, never a rolled-back one, and only there", async () => {
    const A = await createAgencyFixture();
    const B = await createAgencyFixture();
    const [wsA1, wsA2] = A.workspaces;
    const ownerA = client(async () => (await mintRealtimeToken(A.owner.id)).token);
    const viewerA = client(async () => (await mintRealtimeToken(A.viewer.id)).token);
    const ownerSub = await join(ownerA, `workspace:${wsA1!.id}`);
    const viewerSub = await join(viewerA, `workspace:${wsA1!.id}`);
    expect(ownerSub.statuses).toEqual(["SUBSCRIBED"]);
    expect(viewerSub.statuses).toEqual(["SUBSCRIBED"]);

    // the viewer of A1 is refused A2 (same agency) and B's workspace, with Realtime's reason
    for (const other of [wsA2!.id, B.workspaces[0]!.id]) {
      const refused = await join(viewerA, `workspace:${other}`);
      expect(refused.statuses[0]).toBe("CHANNEL_ERROR");
      expect(refused.errors[0]).toBe(`Unauthorized: You do not have permissions to read from this Channel topic: workspace:${other}`);
    }

    // a rolled-back transaction announces nothing; then B's and A2's events, then A1's
    await asService(async (tx) => {
      await publishEvent(tx, { type: "data", workspaceId: wsA1!.id, version: 999 });
      throw Object.assign(new Error("rollback"), { rollback: true });
    }).catch((e) => {
      if (!e.rollback) throw e;
    });
    await asService((tx) => publishEvent(tx, { type: "data", workspaceId: B.workspaces[0]!.id, version: 7 }));
    await asService((tx) => publishEvent(tx, { type: "data", workspaceId: wsA2!.id, version: 8 }));
    await asService(async (tx) => {
      await publishEvent(tx, { type: "data", workspaceId: wsA1!.id, version: 3 });
      await publishEvent(tx, { type: "progress", workspaceId: wsA1!.id, adAccountId: "11111111-1111-4111-8111-111111111111", runId: "r1", progress: 42.5 });
    });
    await expect.poll(() => ownerSub.events.length, { timeout: 30_000 }).toBe(2);
    await expect.poll(() => viewerSub.events.length, { timeout: 30_000 }).toBe(2);
    expect(ownerSub.events.map((e) => e.event)).toEqual(["data", "progress"]);
    const { id, ...data } = ownerSub.events[0]!.payload;
    expect(data).toEqual({ workspaceId: wsA1!.id, version: 3 });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const { id: _pid, ...progress } = ownerSub.events[1]!.payload;
    expect(progress).toEqual({ workspaceId: wsA1!.id, adAccountId: "11111111-1111-4111-8111-111111111111", progress: 42.5, status: "running" });
    // nothing else arrived (no version 999, 7 or 8) after the poll interval passed several times
    await new Promise((r) => setTimeout(r, 200));
    expect(viewerSub.events.map((e) => e.payload.version ?? e.payload.progress)).toEqual([3, 42.5]);
  });

  it("a removed member loses the channel at the next token refresh", async () => {
    const A = await createAgencyFixture();
    const ws1 = A.workspaces[0]!;
    let current = (await mintRealtimeToken(A.member.id)).token;
    // the token goes out again with each heartbeat: every 2 s here, so the refresh below comes soon
    const member = client(async () => current, 2_000);
    const sub = await join(member, `workspace:${ws1.id}`);
    expect(sub.statuses).toEqual(["SUBSCRIBED"]);
    await asService((tx) => tx`delete from public.agency_members where agency_id = ${A.agency.id} and user_id = ${A.member.id}`);
    // still joined until the token changes: Realtime authorises at join and on token refresh
    await asService((tx) => publishEvent(tx, { type: "data", workspaceId: ws1.id, version: 1 }));
    await expect.poll(() => sub.events.length, { timeout: 30_000 }).toBe(1);
    current = (await mintRealtimeToken(A.member.id, Date.now() + 1000)).token; // the next heartbeat sends it
    await expect.poll(() => sub.statuses.at(-1), { timeout: 30_000 }).toBe("CLOSED");
    expect(sub.system.at(-1)).toMatchObject({
      status: "error",
      extension: "system",
      message: `You do not have permissions to read from this Channel topic: workspace:${ws1.id}`,
    });
    expect(standIn.joined().filter((j) => j.sub === A.member.id)).toEqual([]);
    await asService((tx) => publishEvent(tx, { type: "data", workspaceId: ws1.id, version: 2 }));
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.events.length).toBe(1);
  });

  it("refuses expired, forged and anonymous tokens at join, and speaks vsn 1.0.0 and 2.0.0 framing", async () => {
    const A = await createAgencyFixture();
    const topic = `workspace:${A.workspaces[0]!.id}`;
    const expired = await sign({ sub: A.owner.id, role: "authenticated" }, -10);
    const forged = await new SignJWT({ sub: A.owner.id, role: "authenticated" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("another-secret-another-secret-another-secret"));
    const wsUrl = (vsn: string, key = anonKey) => `${standIn.url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${encodeURIComponent(key)}&vsn=${vsn}`;
    const open = (url: string) =>
      new Promise<{ ws: WebSocket; frames: unknown[] }>((resolve, reject) => {
        const ws = new WebSocket(url);
        const frames: unknown[] = [];
        ws.on("message", (d) => frames.push(JSON.parse(String(d))));
        ws.on("open", () => resolve({ ws, frames }));
        ws.on("error", reject);
        ws.on("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
    // a wrong apikey is refused at the upgrade
    await expect(open(wsUrl("1.0.0", forged))).rejects.toThrow("HTTP 403");

    const v1 = await open(wsUrl("1.0.0"));
    v1.ws.send(JSON.stringify({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "1", join_ref: null }));
    const cases: [string, string | undefined, RegExp][] = [
      ["2", expired, /^InvalidJWTToken: Token has expired \d+ seconds ago$/],
      ["3", forged, /^InvalidJWTToken: Invalid token signature$/],
      ["4", undefined, /^Unauthorized: You do not have permissions to read from this Channel topic: workspace:/],
    ];
    for (const [ref, token, _] of cases) {
      v1.ws.send(
        JSON.stringify({
          topic: `realtime:${topic}`,
          event: "phx_join",
          ref,
          join_ref: ref,
          payload: { config: { private: true }, ...(token ? { access_token: token } : {}) },
        }),
      );
    }
    await expect.poll(() => v1.frames.length, { timeout: 30_000 }).toBe(4);
    expect(v1.frames[0]).toEqual({ topic: "phoenix", event: "phx_reply", payload: { status: "ok", response: {} }, ref: "1", join_ref: null });
    for (const [ref, , reason] of cases) {
      const f = v1.frames.find((x) => (x as { ref: string }).ref === ref) as { event: string; payload: { status: string; response: { reason: string } } };
      expect(f.event).toBe("phx_reply");
      expect(f.payload.status).toBe("error");
      expect(f.payload.response.reason).toMatch(reason);
    }
    v1.ws.close();

    const v2 = await open(wsUrl("2.0.0"));
    const token = (await mintRealtimeToken(A.owner.id)).token;
    v2.ws.send(JSON.stringify(["1", "1", `realtime:${topic}`, "phx_join", { config: { private: true }, access_token: token }]));
    await expect.poll(() => v2.frames.length, { timeout: 30_000 }).toBe(1);
    expect(v2.frames[0]).toEqual(["1", "1", `realtime:${topic}`, "phx_reply", { status: "ok", response: { postgres_changes: [] } }]);
    v2.ws.close();
  });
});
