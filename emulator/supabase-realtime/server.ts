/**
 * A stand-in for Supabase Realtime's Broadcast-from-the-database path, speaking the Phoenix channel
 * protocol the way supabase-js / realtime-js speak it (see README.md for what is and is not modelled).
 *
 * - `GET /realtime/v1/websocket?apikey=…&vsn=1.0.0|2.0.0` upgrades to a websocket; the apikey must be
 *   the project's anon/publishable key (a JWT signed with the project secret, or the configured
 *   publishable key string). vsn 1.0.0 frames are JSON objects, 2.0.0 frames JSON arrays
 *   [join_ref, ref, topic, event, payload].
 * - `phx_join` on `realtime:<name>` with `config.private` and `access_token`: the token is verified
 *   (HS256, the project's JWT secret; `exp` required and in the future), then a private join is
 *   authorised as Realtime does it: a rolled-back read of realtime.messages as the token's role with
 *   `request.jwt.claims` and `realtime.topic` set (authorize.ts). Refusals answer `phx_reply` with
 *   status "error" and Realtime's reason texts.
 * - `access_token` on a joined channel re-verifies the token and re-authorises; failure pushes a
 *   `system` error and closes the channel (`phx_close`). A token that expires closes the channel too.
 * - `heartbeat` on topic `phoenix` answers ok.
 * - Rows realtime.send wrote (extension 'broadcast') are delivered, after their transaction committed,
 *   to channels joined on their topic with the same privacy, as `broadcast` events.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { jwtVerify, errors as joseErrors } from "jose";
import postgres from "postgres";
import { WebSocketServer, type WebSocket } from "ws";
import { readPolicies } from "./authorize";

export interface RealtimeStandInOptions {
  /** The project's database (Supabase-shaped: realtime.messages, roles). */
  databaseUrl: string;
  /** The project's legacy JWT secret (HS256): signs the anon key and user access tokens. */
  jwtSecret: string;
  /** A non-JWT publishable key (`sb_publishable_…`) also accepted as apikey. */
  publishableKey?: string;
  port?: number;
  host?: string;
  /** How often committed realtime.messages rows are looked for. */
  pollMs?: number;
}

export interface RealtimeStandIn {
  url: string;
  /** Channels joined right now, by topic (tests and diagnostics). */
  joined(): { topic: string; sub: string | undefined }[];
  close(): Promise<void>;
}

type Frame = { join_ref: string | null; ref: string | null; topic: string; event: string; payload: Record<string, unknown> };

interface Channel {
  topic: string; // realtime:<name>
  name: string; // <name>, as realtime.messages.topic
  joinRef: string | null;
  private: boolean;
  claims: Record<string, unknown>;
  expiryTimer?: NodeJS.Timeout;
}

interface Client {
  ws: WebSocket;
  vsn: "1.0.0" | "2.0.0";
  apiClaims: Record<string, unknown>;
  channels: Map<string, Channel>;
}

const UNAUTHORIZED = (name: string) => `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`;

export async function startRealtimeStandIn(opts: RealtimeStandInOptions): Promise<RealtimeStandIn> {
  const key = new TextEncoder().encode(opts.jwtSecret);
  const db = postgres(opts.databaseUrl, { max: 4, onnotice: () => {}, connection: { application_name: "realtime-stand-in" } });
  const clients = new Set<Client>();

  async function verify(token: unknown): Promise<{ ok: true; claims: Record<string, unknown> } | { ok: false; reason: string }> {
    if (typeof token !== "string" || token.split(".").length !== 3) return { ok: false, reason: "InvalidJWTToken: The token provided is not a valid JWT" };
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
      if (typeof payload.exp !== "number") return { ok: false, reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT" };
      if (typeof payload.role !== "string") return { ok: false, reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT" };
      return { ok: true, claims: payload as Record<string, unknown> };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        const exp = Number((err.payload as { exp?: number }).exp ?? 0);
        return { ok: false, reason: `InvalidJWTToken: Token has expired ${Math.max(0, Math.floor(Date.now() / 1000) - exp)} seconds ago` };
      }
      return { ok: false, reason: "InvalidJWTToken: Invalid token signature" };
    }
  }

  function send(c: Client, f: Frame) {
    if (c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(c.vsn === "2.0.0" ? JSON.stringify([f.join_ref, f.ref, f.topic, f.event, f.payload]) : JSON.stringify(f));
  }

  function closeChannel(c: Client, ch: Channel, systemMessage?: string) {
    clearTimeout(ch.expiryTimer);
    c.channels.delete(ch.topic);
    if (systemMessage) {
      send(c, {
        join_ref: ch.joinRef,
        ref: null,
        topic: ch.topic,
        event: "system",
        payload: { extension: "system", status: "error", message: systemMessage, channel: ch.name },
      });
    }
    send(c, { join_ref: ch.joinRef, ref: ch.joinRef, topic: ch.topic, event: "phx_close", payload: {} });
  }

  function armExpiry(c: Client, ch: Channel) {
    clearTimeout(ch.expiryTimer);
    const exp = Number(ch.claims.exp);
    const ms = Math.max(0, exp * 1000 - Date.now());
    ch.expiryTimer = setTimeout(() => {
      if (c.channels.get(ch.topic) === ch) closeChannel(c, ch, "Token has expired 0 seconds ago");
    }, ms);
    ch.expiryTimer.unref();
  }

  /** null when allowed, else the refusal reason. */
  async function authorise(ch: Pick<Channel, "name" | "private" | "claims">): Promise<string | null> {
    if (!ch.private) return null;
    try {
      const p = await readPolicies(db, ch.name, ch.claims);
      return p.broadcast ? null : UNAUTHORIZED(ch.name);
    } catch {
      // an unknown role or a failing policy: Realtime answers the same refusal
      return UNAUTHORIZED(ch.name);
    }
  }

  async function onFrame(c: Client, f: Frame) {
    const reply = (status: "ok" | "error", response: Record<string, unknown>) =>
      send(c, { join_ref: f.join_ref, ref: f.ref, topic: f.topic, event: "phx_reply", payload: { status, response } });
    if (f.topic === "phoenix" && f.event === "heartbeat") return reply("ok", {});
    if (f.event === "phx_join") {
      if (!f.topic.startsWith("realtime:")) return reply("error", { reason: "TopicNameMismatch" });
      const config = (f.payload.config ?? {}) as { private?: boolean; postgres_changes?: unknown[] };
      if (Array.isArray(config.postgres_changes) && config.postgres_changes.length > 0) {
        return reply("error", { reason: "postgres_changes is not modelled by the stand-in" });
      }
      const token = f.payload.access_token ?? null;
      let claims = c.apiClaims;
      if (token !== null) {
        const v = await verify(token);
        if (!v.ok) return reply("error", { reason: v.reason });
        claims = v.claims;
      }
      const ch: Channel = { topic: f.topic, name: f.topic.slice("realtime:".length), joinRef: f.join_ref ?? f.ref, private: config.private === true, claims };
      const refused = await authorise(ch);
      if (refused) return reply("error", { reason: refused });
      const old = c.channels.get(ch.topic);
      if (old) clearTimeout(old.expiryTimer);
      c.channels.set(ch.topic, ch);
      if (typeof claims.exp === "number") armExpiry(c, ch);
      return reply("ok", { postgres_changes: [] });
    }
    const ch = c.channels.get(f.topic);
    if (f.event === "phx_leave") {
      if (ch) {
        clearTimeout(ch.expiryTimer);
        c.channels.delete(f.topic);
      }
      reply("ok", {});
      if (ch) send(c, { join_ref: ch.joinRef, ref: ch.joinRef, topic: f.topic, event: "phx_close", payload: {} });
      return;
    }
    if (!ch) return; // Phoenix ignores pushes to channels this socket has not joined
    if (f.event === "access_token") {
      const v = await verify(f.payload.access_token);
      if (!v.ok) return closeChannel(c, ch, v.reason);
      ch.claims = v.claims;
      const refused = await authorise(ch);
      if (refused) return closeChannel(c, ch, refused.replace(/^Unauthorized: /, ""));
      armExpiry(c, ch);
      return;
    }
    if (f.event === "broadcast") return reply("error", { reason: "client broadcasts are not modelled by the stand-in" });
  }

  // Delivery: committed broadcast rows, oldest first (Realtime reads them from the WAL, in commit
  // order). inserted_at is the writer's transaction start, so a window (not a strict watermark) is
  // read and ids already delivered are remembered; a writer transaction open longer than the window
  // would be missed (not a case our sync has: its transactions are chunks of seconds).
  const WINDOW_MS = 60_000;
  const delivered = new Map<string, number>();
  let stopped = false;
  let lastWatermark = (await db<{ t: string }[]>`select (now() at time zone 'utc')::text as t`)[0]!.t;
  async function poll() {
    const rows = await db<{ id: string; topic: string; event: string | null; payload: Record<string, unknown> | null; private: boolean; t: string }[]>`
      select id::text, topic, event, payload, coalesce(private, false) as private, inserted_at::text as t
      from realtime.messages
      where extension = 'broadcast' and inserted_at > ${lastWatermark}::timestamp - ${`${WINDOW_MS} milliseconds`}::interval
      order by inserted_at, ctid`; // one transaction's rows share inserted_at; ctid keeps their insert order
    const now = Date.now();
    for (const r of rows) {
      if (delivered.has(r.id)) continue;
      delivered.set(r.id, now);
      for (const c of clients) {
        const ch = c.channels.get(`realtime:${r.topic}`);
        if (!ch || ch.private !== r.private) continue;
        send(c, { join_ref: null, ref: null, topic: ch.topic, event: "broadcast", payload: { type: "broadcast", event: r.event, payload: r.payload ?? {} } });
      }
      if (r.t > lastWatermark) lastWatermark = r.t;
    }
    for (const [id, at] of delivered) if (now - at > 2 * WINDOW_MS) delivered.delete(id);
  }
  await poll(); // rows already there are history, not news
  const loop = (async () => {
    while (!stopped) {
      await poll().catch(() => {});
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 50));
    }
  })();

  const server = http.createServer((_req, res) => {
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ message: "not found" }));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", async (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const vsn = url.searchParams.get("vsn") ?? "1.0.0";
    const apikey = url.searchParams.get("apikey") ?? "";
    let apiClaims: Record<string, unknown> | null = null;
    if (opts.publishableKey && apikey === opts.publishableKey) apiClaims = { role: "anon" };
    else {
      const v = await verify(apikey);
      if (v.ok) apiClaims = v.claims;
    }
    if (url.pathname !== "/realtime/v1/websocket" || (vsn !== "1.0.0" && vsn !== "2.0.0") || !apiClaims) {
      socket.end(`HTTP/1.1 ${apiClaims ? 400 : 403} ${apiClaims ? "Bad Request" : "Forbidden"}\r\nconnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, vsn: vsn as Client["vsn"], apiClaims: apiClaims!, channels: new Map() };
      clients.add(c);
      // Frames of one socket are handled in order (a join's authorisation finishes before the next).
      let chain = Promise.resolve();
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        let f: Frame;
        try {
          const raw = JSON.parse(String(data));
          f = Array.isArray(raw) ? { join_ref: raw[0], ref: raw[1], topic: raw[2], event: raw[3], payload: raw[4] ?? {} } : raw;
        } catch {
          return;
        }
        chain = chain.then(() => onFrame(c, f)).catch(() => {});
      });
      ws.on("close", () => {
        for (const ch of c.channels.values()) clearTimeout(ch.expiryTimer);
        clients.delete(c);
      });
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    joined: () => [...clients].flatMap((c) => [...c.channels.values()].map((ch) => ({ topic: ch.name, sub: ch.claims.sub as string | undefined }))),
    async close() {
      stopped = true;
      for (const c of clients) c.ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      await loop;
      await db.end({ timeout: 1 });
    },
  };
}
