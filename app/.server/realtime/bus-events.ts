/**
 * The live channel's shapes: the events subscribers get, the bus's options, and the schema every
 * notification is parsed with before it is trusted.
 */
import { z } from "zod";

export type BusEvent =
  { type: "data"; workspaceId: string; version: number } | { type: "progress"; workspaceId: string; adAccountId: string; progress: number; status: string };

export type BusMode = "listen" | "poll";

export interface BusOptions {
  url: string;
  /** Omitted: "poll" on PGlite (detected from version()), "listen" elsewhere. */
  mode?: BusMode;
  pollMs?: number;
  /** Listen mode: how often the listener proves it still hears the channel (self-notification). */
  watchdogMs?: number;
  /** Shown in pg_stat_activity (tests find their listener by it). */
  applicationName?: string;
}

export interface Subscription {
  /** Replaces the workspace set (after an access re-check). */
  update(workspaceIds: Iterable<string>): void;
  close(): void;
}

const uuid = z.string().uuid();
// Anything on the channel is parsed before it is trusted: a malformed payload is dropped, not thrown.
export const notification = z.discriminatedUnion("type", [
  // the bus's own liveness probe (see watchdog); every process hears every probe and ignores others'
  z.object({ type: z.literal("ping"), bus: uuid }),
  z.object({ type: z.literal("data"), workspaceId: uuid, version: z.number().int().nonnegative() }),
  z.object({
    type: z.literal("progress"),
    workspaceId: uuid,
    adAccountId: uuid,
    runId: uuid.optional(),
    progress: z.number().min(0).max(100),
    status: z.string().max(32).optional(),
  }),
]);

export interface PollRow {
  versions: { w: string; v: string }[];
  accounts: { w: string; a: string; run: string | null; p: string | null; s: string | null }[];
}
