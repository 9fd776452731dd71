/**
 * GET /events at the SSE level, on both engines: who receives which workspace's events, the checks
 * at connect (401/400/404), re-checks that drop lost workspaces and revoked sessions, and the stream
 * framing (retry:, heartbeats, payload fields).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AppLoadContext } from "@remix-run/node";
import { asService } from "../../app/.server/db/connection";
import { getBus, stopBus, type EventBus } from "../../app/.server/realtime/bus";
import { publishEvent } from "../../app/.server/realtime/publish";
import { openEventStream, streamStats } from "../../app/.server/realtime/sse";
import { bumpDataVersion } from "../../app/.server/sync/upsert";
import { loader } from "../../app/routes/events";
import { createAgencyFixture } from "../helpers/factories";
import { requestAs, sessionCookieFor } from "../helpers/session";

const engine = inject("databaseEngine");

interface Frame {
  event: string;
  data: unknown;
}

/** Reads an SSE body in the background; `frames` fills as events arrive, `comments` gets `:` lines. */
function reader(res: Response) {
  const frames: Frame[] = [];
  const comments: string[] = [];
  const raw: string[] = [];
  let ended = false;
  const decoder = new TextDecoder();
  const r = res.body!.getReader();
  const done = (async () => {
    let buf = "";
    for (;;) {
      const { value, done } = await r.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) !== -1) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        raw.push(block);
        let event = "message";
        let data: string | undefined;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) comments.push(line.slice(1).trim());
          else if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data = line.slice(6);
        }
        if (data !== undefined) frames.push({ event, data: JSON.parse(data) });
      }
    }
    ended = true;
  })();
  return {
    frames,
    comments,
    raw,
    get ended() {
      return ended;
    },
    events: (type: string) => frames.filter((f) => f.event === type).map((f) => f.data),
    async cancel() {
      await r.cancel().catch(() => {});
      await done;
    },
  };
}

async function until(what: string, fn: () => unknown, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const context = {} as AppLoadContext;
async function open(userId: string | null, query: string, signal?: AbortSignal) {
  const req = await requestAs(userId, `/events?${query}`, { signal });
  return loader({ request: req, params: {}, context }).catch((e: unknown) => {
    if (e instanceof Response) return e;
    throw e;
  });
}

async function publishData(workspaceId: string) {
  return asService(async (tx) => {
    const version = await bumpDataVersion(tx, workspaceId);
    await publishEvent(tx, { type: "data", workspaceId, version });
    return version;
  });
}

describe(`GET /events (${engine})`, () => {
  let A: Awaited<ReturnType<typeof createAgencyFixture>>;
  let B: Awaited<ReturnType<typeof createAgencyFixture>>;
  let bus: EventBus;
  const open_: { cancel(): Promise<void> }[] = [];

  beforeAll(async () => {
    A = await createAgencyFixture({ workspaces: 2 });
    B = await createAgencyFixture({ workspaces: 1 });
    bus = await getBus();
  });
  afterAll(async () => {
    for (const s of open_) await s.cancel();
    await stopBus();
  });

  it("answers 401 without a session, 400 for a bad query, 404 for workspaces the user cannot see", async () => {
    const a1 = A.workspaces[0]!.id;
    expect((await open(null, `workspace=${a1}`)).status).toBe(401);
    expect((await open(A.owner.id, "")).status).toBe(400);
    expect((await open(A.owner.id, "workspace=not-a-uuid")).status).toBe(400);
    expect((await open(A.owner.id, `workspace=${a1}&agency=${A.agency.slug}`)).status).toBe(400);
    // another agency's workspace, and a workspace of A the viewer was not invited to: like a missing id
    expect((await open(B.owner.id, `workspace=${a1}`)).status).toBe(404);
    expect((await open(A.viewer.id, `workspace=${A.workspaces[1]!.id}`)).status).toBe(404);
    expect((await open(A.owner.id, `workspace=00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await open(B.owner.id, `agency=${A.agency.slug}`)).status).toBe(404);
  });

  it("a viewer of workspace A never receives an event of workspace B (two users' streams)", async () => {
    const a1 = A.workspaces[0]!.id;
    const a2 = A.workspaces[1]!.id;
    const b1 = B.workspaces[0]!.id;
    // The viewer asks for more than it may see: the stream carries only A1.
    const resViewer = await open(A.viewer.id, `workspace=${a1}&workspace=${a2}&workspace=${b1}`);
    expect(resViewer.status).toBe(200);
    expect(resViewer.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(resViewer.headers.get("cache-control")).toContain("no-transform");
    const viewer = reader(resViewer);
    const owner = reader(await open(B.owner.id, `workspace=${b1}`));
    open_.push(viewer, owner);
    await until("ready frames", () => viewer.events("ready").length && owner.events("ready").length);
    expect(viewer.events("ready")).toEqual([{ workspaces: [a1] }]);
    expect(owner.events("ready")).toEqual([{ workspaces: [b1] }]);
    await bus.pollNow();

    const va = [await publishData(a1), await publishData(a1)];
    const vb = [await publishData(b1)];
    const va2 = await publishData(a2);
    await until("A's events", () => viewer.events("data").length >= 1 && (viewer.events("data").at(-1) as { version: number }).version === va[1]);
    await until("B's events", () => owner.events("data").length >= 1 && (owner.events("data").at(-1) as { version: number }).version === vb[0]);
    await new Promise((r) => setTimeout(r, 500));
    const viewerData = viewer.events("data") as { workspaceId: string; version: number }[];
    // The poll path may fold two quick commits into one read; either way only A1's versions, ascending.
    expect(viewerData.every((d) => d.workspaceId === a1)).toBe(true);
    expect(viewerData.map((d) => d.version)).toEqual([...viewerData.map((d) => d.version)].sort((x, y) => x - y));
    expect(owner.events("data")).toEqual([{ workspaceId: b1, version: vb[0] }]);
    expect(JSON.stringify(viewer.frames)).not.toContain(a2);
    expect(JSON.stringify(viewer.frames)).not.toContain(b1);
    expect(va2).toBeGreaterThan(0);
    // Payloads carry exactly the documented fields.
    for (const d of viewerData) expect(Object.keys(d).sort()).toEqual(["version", "workspaceId"]);
    expect(viewer.raw[0]).toMatch(/^retry: \d+/);
  });

  it("the agency overview stream covers all the agency's workspaces for staff", async () => {
    const s = reader(await open(A.member.id, `agency=${A.agency.slug}`));
    open_.push(s);
    await until("ready", () => s.events("ready").length);
    expect((s.events("ready")[0] as { workspaces: string[] }).workspaces).toEqual([A.workspaces[0]!.id, A.workspaces[1]!.id].sort());
    await bus.pollNow();
    const v = await publishData(A.workspaces[1]!.id);
    await until("the event", () => s.events("data").some((d) => (d as { version: number }).version === v));
  });

  it("drops a workspace the user lost and closes when nothing is left; closes on a revoked session", async () => {
    const viewer = A.viewer.id;
    const a1 = A.workspaces[0]!.id;
    const req = await requestAs(viewer, `/events?workspace=${a1}`);
    const res = await openEventStream(req, viewer, { kind: "workspaces", ids: [a1] }, { recheckMs: 150, heartbeatMs: 100, bus });
    const s = reader(res!);
    open_.push(s);
    await until("ready", () => s.events("ready").length);
    await until("a heartbeat", () => s.comments.includes("heartbeat"));
    await asService((tx) => tx`delete from public.workspace_viewers where workspace_id = ${a1} and user_id = ${viewer}`);
    await new Promise((r) => setTimeout(r, 200));
    // The next event finds the access check stale, re-checks under RLS and is not delivered.
    await publishData(a1);
    await until("the stream to close", () => s.ended, 60_000);
    expect(s.events("data")).toEqual([]);

    // A member whose session is revoked: the periodic re-check closes the stream.
    const member = A.member.id;
    const cookie = await sessionCookieFor(member);
    const req2 = new Request(`http://localhost/events?workspace=${a1}`, { headers: { Cookie: cookie } });
    const s2 = reader((await openEventStream(req2, member, { kind: "workspaces", ids: [a1] }, { recheckMs: 150, bus }))!);
    open_.push(s2);
    await until("ready", () => s2.events("ready").length);
    await asService((tx) => tx`delete from public.sessions where user_id = ${member}`);
    await until("the stream to close", () => s2.ended, 60_000);
  });

  it("keeps streaming the workspaces still visible after one grant is withdrawn", async () => {
    const C = await createAgencyFixture({ workspaces: 2 });
    const [c1, c2] = [C.workspaces[0]!.id, C.workspaces[1]!.id];
    await asService((tx) => tx`insert into public.workspace_viewers (workspace_id, user_id, agency_id) values (${c2}, ${C.viewer.id}, ${C.agency.id})`);
    const req = await requestAs(C.viewer.id, `/events?workspace=${c1}&workspace=${c2}`);
    const s = reader((await openEventStream(req, C.viewer.id, { kind: "workspaces", ids: [c1, c2] }, { recheckMs: 150, bus }))!);
    open_.push(s);
    await until("ready", () => s.events("ready").length);
    expect(s.events("ready")[0]).toEqual({ workspaces: [c1, c2].sort() });
    await asService((tx) => tx`delete from public.workspace_viewers where workspace_id = ${c2} and user_id = ${C.viewer.id}`);
    await until("the re-check to drop the lost workspace", () => s.events("ready").length >= 2, 60_000);
    expect(s.events("ready").at(-1)).toEqual({ workspaces: [c1] });
    await bus.pollNow();
    const lost = await publishData(c2);
    const kept = await publishData(c1);
    await until("the kept workspace's event", () => s.events("data").some((d) => (d as { version: number }).version === kept));
    expect(s.events("data").some((d) => (d as { workspaceId: string }).workspaceId === c2)).toBe(false);
    expect(s.ended).toBe(false);
    expect(lost).toBeGreaterThan(0);
  });

  it("releases its subscription when the client goes away", async () => {
    const b1 = B.workspaces[0]!.id;
    const before = streamStats().open;
    const ac = new AbortController();
    const s = reader(await open(B.owner.id, `workspace=${b1}`, ac.signal));
    await until("ready", () => s.events("ready").length);
    expect(streamStats().open).toBe(before + 1);
    expect(bus.watchedWorkspaces()).toContain(b1);
    ac.abort();
    await until("the stream to be released", () => streamStats().open === before);
    await s.cancel();
  });
});
