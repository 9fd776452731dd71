/**
 * Server-Sent Events for one signed-in user: the events of the workspaces that user may see, and
 * nothing else.
 *
 * Authorization is RLS's: the workspace set is read under asUser at connect, again every
 * `recheckMs` (membership and viewer grants change, sessions get revoked), and lazily before an event
 * is delivered when the last check is older than that. A workspace the user lost is dropped from the
 * subscription; a stream with no workspace left, or whose session ended, closes. The browser's
 * EventSource reconnects (after `retry:`) and the connect-time check decides again.
 *
 * Payloads are ids, a version and a progress figure: never a token, a cookie or an error text.
 */
import { asUser } from "../db/connection";
import { getUser } from "../auth/session";
import { logger } from "../logger";
import { getBus, type BusEvent, type EventBus, type Subscription } from "./bus";
import { watchWorkspaces } from "./watchers";
import { browserPayload } from "./publish";

export type StreamScope = { kind: "workspaces"; ids: string[] } | { kind: "agency"; agencyId: string };

export interface StreamOptions {
  heartbeatMs?: number;
  recheckMs?: number;
  /** Reconnect delay the browser is told to use (`retry:`). */
  retryMs?: number;
  /** A client this far behind (bytes queued beyond 16 KiB) is cut off; it reconnects and revalidates. */
  maxBufferedBytes?: number;
  bus?: EventBus;
}

const log = logger.child({ module: "sse" });
const encoder = new TextEncoder();

interface LiveStats {
  open: number;
  opened: number;
  delivered: number;
}
const stats: LiveStats = ((globalThis as Record<string, unknown>).__spendlaneSseStats ??= { open: 0, opened: 0, delivered: 0 }) as LiveStats;
/** Counters for benchmarks and health output. */
export function streamStats(): Readonly<LiveStats> {
  return stats;
}

/** Every open stream of this process, so a shutdown can end them with a reconnect hint. */
const openStreams = new Set<(retryMs: number) => void>();

/**
 * Ends every open stream, telling each browser to reconnect after `retryMs` (to another process
 * behind the load balancer, or to this one after its restart). Used by the graceful shutdown.
 */
export function endAllStreams(retryMs = 1_000): number {
  const n = openStreams.size;
  for (const end of [...openStreams]) end(retryMs);
  return n;
}

/** The workspace ids of `scope` that RLS lets `userId` see. */
export async function visibleWorkspaceIds(userId: string, scope: StreamScope): Promise<string[]> {
  const rows = await asUser(userId, (tx) =>
    scope.kind === "workspaces"
      ? tx<{ id: string }[]>`select id from public.workspaces where id = any(${scope.ids}::uuid[])`
      : tx<{ id: string }[]>`select id from public.workspaces where agency_id = ${scope.agencyId}`,
  );
  return rows.map((r) => r.id).sort();
}

function frame(event: BusEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(browserPayload(event))}\n\n`;
}

/**
 * An SSE Response for `userId` over the visible part of `scope`. Null when nothing in the scope is
 * visible (the caller answers 404, as for an id that does not exist).
 */
export async function openEventStream(request: Request, userId: string, scope: StreamScope, opts: StreamOptions = {}): Promise<Response | null> {
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const recheckMs = opts.recheckMs ?? 30_000;
  const retryMs = opts.retryMs ?? 2_000;
  const maxBuffered = opts.maxBufferedBytes ?? 256 * 1024;
  let visible = new Set(await visibleWorkspaceIds(userId, scope));
  if (visible.size === 0) return null;
  const bus = opts.bus ?? (await getBus());

  let checkedAt = Date.now();
  let closed = false;
  let subscription: Subscription | undefined;
  let unwatch: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let recheckTimer: NodeJS.Timeout | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  // Deliveries run one after another, so an access re-check never reorders events.
  let chain: Promise<void> = Promise.resolve();

  const write = (text: string) => {
    if (closed) return;
    if ((controller.desiredSize ?? 0) < -maxBuffered) {
      log.warn({ userId }, "live stream client too slow; closing it");
      close();
      return;
    }
    controller.enqueue(encoder.encode(text));
  };

  const close = () => {
    if (closed) return;
    closed = true;
    openStreams.delete(endWithRetry);
    stats.open--;
    clearInterval(heartbeat);
    clearTimeout(recheckTimer);
    subscription?.close();
    unwatch?.();
    request.signal.removeEventListener("abort", close);
    try {
      controller.close();
    } catch {
      // already closed by the client
    }
  };

  function endWithRetry(retry: number) {
    write(`retry: ${retry}\n: server shutting down\n\n`);
    close();
  }

  const recheck = async () => {
    checkedAt = Date.now();
    const user = await getUser(request);
    if (!user || user.id !== userId) return close();
    const now = new Set(await visibleWorkspaceIds(userId, scope));
    if (closed) return;
    if (now.size === 0) return close();
    const changed = now.size !== visible.size || [...now].some((id) => !visible.has(id));
    visible = now;
    if (changed) {
      subscription?.update(visible);
      unwatch?.();
      unwatch = watchWorkspaces([...visible]);
      write(`event: ready\ndata: ${JSON.stringify({ workspaces: [...visible] })}\n\n`);
    }
  };
  const safeRecheck = () =>
    recheck().catch((err) => {
      // Cannot confirm access (database trouble): stop delivering; the browser reconnects later.
      log.warn({ err, userId }, "live stream access re-check failed; closing it");
      close();
    });

  const scheduleRecheck = () => {
    // Jitter spreads the re-checks of many streams opened together.
    recheckTimer = setTimeout(() => void chain.then(safeRecheck).then(() => !closed && scheduleRecheck()), recheckMs * (0.9 + Math.random() * 0.2));
    recheckTimer.unref?.();
  };

  const deliver = async (event: BusEvent) => {
    if (closed) return;
    if (Date.now() - checkedAt > recheckMs) await safeRecheck();
    if (closed || !visible.has(event.workspaceId)) return;
    stats.delivered++;
    write(frame(event));
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        openStreams.add(endWithRetry);
        stats.open++;
        stats.opened++;
        write(`retry: ${retryMs}\n: connected\n\n`);
        write(`event: ready\ndata: ${JSON.stringify({ workspaces: [...visible] })}\n\n`);
        subscription = bus.subscribe(visible, (event) => {
          chain = chain.then(() => deliver(event));
        });
        unwatch = watchWorkspaces([...visible]);
        heartbeat = setInterval(() => write(`: heartbeat\n\n`), heartbeatMs);
        heartbeat.unref?.();
        scheduleRecheck();
        if (request.signal.aborted) close();
        else request.signal.addEventListener("abort", close);
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 16 * 1024, size: (chunk) => chunk.byteLength },
  );

  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform keeps the compression middleware from buffering the stream
      "Cache-Control": "no-cache, no-transform",
      "X-Accel-Buffering": "no",
    },
  });
}
