/**
 * The Supabase Realtime transport of useLiveUpdates (ADR 0110). Loaded with a dynamic import only
 * on Supabase deployments, so its code (supabase-js) is a chunk other deployments never download.
 *
 * One private channel `workspace:<id>` per workspace shown, on one websocket. The token comes from
 * GET /realtime/token (a short-lived JWT for the signed-in user); it is refreshed at half its life
 * and handed to Realtime, which re-checks the channel's policy then: a member removed meanwhile
 * loses the channel at that refresh. Events carry the same JSON as the SSE stream.
 */
// RealtimeClient is the client supabase-js's createClient() builds for `.realtime`; taken alone it
// leaves out the Auth, PostgREST, Storage and Functions clients we never call (~30 KB gzipped).
import { RealtimeClient, type RealtimeChannel } from "@supabase/supabase-js";

export interface SupabaseLiveConfig {
  url: string;
  anonKey: string;
}

export interface LiveHandlers {
  /** A channel is joined (again): whatever happened while it was not, was not replayed. */
  onJoined(workspaceId: string): void;
  /** A channel was refused or closed (no access, token problem, connection lost). */
  onLost(workspaceId: string, reason: string): void;
  onData(payload: unknown): void;
  onProgress(payload: unknown): void;
}

interface Token {
  token: string;
  expiresAt: number;
  issuedAt: number;
}

async function fetchToken(): Promise<Token> {
  const res = await fetch("/realtime/token", { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
  if (!res.ok) throw new Error(`realtime token: HTTP ${res.status}`);
  const body = (await res.json()) as { token: string; expiresAt: number };
  return { ...body, issuedAt: Date.now() };
}

/** Subscribes; returns the function that unsubscribes and closes the socket. */
export function connectSupabaseLive(config: SupabaseLiveConfig, workspaceIds: string[], handlers: LiveHandlers): () => void {
  let current: Token | null = null;
  let inflight: Promise<Token> | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const halfLife = (t: Token) => t.issuedAt + (t.expiresAt - t.issuedAt) / 2;

  // supabase-js asks for the token on connect, on every heartbeat and when we call setAuth(): a
  // cached one until its half-life, then a new one (which it then sends to joined channels).
  const accessToken = async (): Promise<string> => {
    if (current && Date.now() < halfLife(current)) return current.token;
    inflight ??= fetchToken().finally(() => (inflight = null));
    current = await inflight;
    scheduleRefresh();
    return current.token;
  };
  const endpoint = new URL("realtime/v1", config.url.endsWith("/") ? config.url : `${config.url}/`);
  endpoint.protocol = endpoint.protocol.replace("http", "ws");
  const client = new RealtimeClient(endpoint.toString(), { params: { apikey: config.anonKey }, accessToken });
  const scheduleRefresh = () => {
    clearTimeout(refreshTimer);
    if (disposed || !current) return;
    refreshTimer = setTimeout(() => void client.setAuth().catch(() => {}), Math.max(1000, halfLife(current) - Date.now() + 50));
  };

  const channels: RealtimeChannel[] = [];
  void (async () => {
    try {
      await client.setAuth();
    } catch {
      for (const id of workspaceIds) handlers.onLost(id, "no realtime token");
      return;
    }
    if (disposed) return;
    for (const id of workspaceIds) {
      const channel = client
        .channel(`workspace:${id}`, { config: { private: true } })
        .on("broadcast", { event: "data" }, (m) => handlers.onData(m.payload))
        .on("broadcast", { event: "progress" }, (m) => handlers.onProgress(m.payload))
        .subscribe((status, err) => {
          if (disposed) return;
          if (status === "SUBSCRIBED") handlers.onJoined(id);
          else handlers.onLost(id, err?.message ?? status);
        });
      channels.push(channel);
    }
  })();

  return () => {
    disposed = true;
    clearTimeout(refreshTimer);
    for (const c of channels) void client.removeChannel(c);
    client.disconnect();
  };
}
