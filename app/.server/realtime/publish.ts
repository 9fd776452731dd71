/**
 * The write side of the live channel. Sync publishes inside the same transaction that changed the
 * data, so listeners only hear about committed versions (NOTIFY is delivered at commit). Payloads are
 * small and never carry a secret: ids, a version number, a progress figure.
 *
 * Runtime-agnostic (the Deno edge function publishes through it too). On the embedded engine NOTIFY
 * reaches no listener (ADR 0050); readers there poll data_versions and sync_runs instead.
 */
export const EVENTS_CHANNEL = "spendlane_events";

/**
 * globalThis key of a Set of callbacks that poll-mode buses in this process register (bus.ts): a
 * writer here nudges them to read right away. They read from the database, never from the event, so
 * an event of a transaction that rolls back announces nothing.
 */
export const LOCAL_PUBLISH_HOOK = "__spendlaneLocalPublish";

export type SpendlaneEvent =
  | { type: "data"; workspaceId: string; version: number }
  | { type: "progress"; workspaceId: string; adAccountId: string; runId: string; progress: number; status?: string };

/** A transaction (from asService or the sync core) or the pool. */
type Queryable = import("postgres").Sql | import("postgres").TransactionSql;

/**
 * What a browser receives for an event, on every transport (SSE `data:` line, Realtime broadcast
 * payload): ids, a version, a progress figure. The run id stays server-side.
 */
export function browserPayload(
  event: Extract<SpendlaneEvent, { type: "data" }> | Omit<Extract<SpendlaneEvent, { type: "progress" }>, "runId">,
): Record<string, unknown> {
  return event.type === "data"
    ? { workspaceId: event.workspaceId, version: event.version }
    : {
        workspaceId: event.workspaceId,
        adAccountId: event.adAccountId,
        progress: event.progress,
        // as the SSE bus fills it in (bus.ts): a chunk's progress event names no status
        status: event.status ?? (event.progress >= 100 ? "succeeded" : "running"),
      };
}

export async function publishEvent(tx: Queryable, event: SpendlaneEvent): Promise<void> {
  // Postgres caps a NOTIFY payload at 8000 bytes; ours are a few dozen, so a larger one is a bug.
  const payload = JSON.stringify(event);
  if (payload.length > 1000) throw new Error(`event payload too large (${payload.length} bytes)`);
  // Both in the caller's transaction: NOTIFY for our SSE bus, and on a Supabase database a
  // realtime.send to the private topic workspace:<id> (a no-op elsewhere; migration 0110).
  await tx`select pg_notify(${EVENTS_CHANNEL}, ${payload}),
    private.broadcast_workspace_event(${event.workspaceId}::uuid, ${event.type}, ${JSON.stringify(browserPayload(event))}::text::jsonb)`;
  const hooks = (globalThis as Record<string, unknown>)[LOCAL_PUBLISH_HOOK] as Set<() => void> | undefined;
  if (hooks) for (const nudge of hooks) nudge();
}
