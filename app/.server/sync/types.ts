/** The sync core's types, shared by the runner, its range reader and its stop mapping. */
import type { Sql, TransactionSql } from "postgres";
import type { GraphClient } from "../meta/graph";
import type { CreativeImageOptions } from "./creatives";
import type { DayRange, SyncKind } from "./planner";

export type GraphPort = Pick<GraphClient, "get" | "post" | "pages" | "calls">;

export interface SyncLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SyncDeps {
  sql: Sql;
  /** A Graph client for this token (the caller decides URL, version, app secret, governor). */
  graphFor(accessToken: string): GraphPort;
  /** Reads the connection's token (from the vault) inside a service transaction. */
  getToken(tx: TransactionSql, connectionId: string): Promise<string>;
  /** Flags the connection so nothing calls Meta with it until the user reconnects. */
  markNeedsReauth(tx: TransactionSql, connectionId: string, reason: string): Promise<void>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  log?: SyncLogger;
  /** How long a lease lasts without renewal (renewed every third of it while the run works). */
  leaseMs?: number;
  asyncPollMinMs?: number;
  asyncPollMaxMs?: number;
  asyncTimeoutMs?: number;
  /**
   * Rate-limit waits up to this long are sat out inside the run (holding the lease); longer ones end
   * the run as "paused" and the scheduler continues it later. Default 15 minutes.
   */
  maxRateLimitWaitMs?: number;
  /** Rows per page requested from Meta. */
  pageSize?: number;
  /**
   * Audience breakdowns are read for chunks ending within this many days of today (default 400: the
   * default 13-month backfill). 0 reads none (tests of other concerns, to stay fast).
   */
  breakdownHistoryDays?: number;
  /** Fetches creative images into our database after object syncs (absent: images are not fetched). */
  creativeImages?: CreativeImageOptions;
  /**
   * Fact rows per write transaction (default 5000). The embedded engine has one connection, so every
   * page request waits behind the transaction in progress: smaller ones keep pages answering.
   */
  writeBatchRows?: number;
  /** Called after each committed chunk (tests use it to kill a worker mid-backfill). */
  onChunk?: (info: { runId: string; range: DayRange; rows: number; remaining: number }) => void | Promise<void>;
  /** Called once a run has ended and committed, whatever its outcome (alerts evaluate here). */
  afterRun?: (info: { adAccountId: string; status: SyncStatus; now: Date }) => Promise<unknown>;
}

export interface SyncRequest {
  adAccountId: string;
  kind: SyncKind;
  /** CLI --since: read from this day (clamped to the history window). */
  since?: string;
}

export type SyncStatus = "succeeded" | "failed" | "needs_reauth" | "paused" | "skipped";

export interface SyncResult {
  runId: string | null;
  adAccountId: string;
  status: SyncStatus;
  days: number;
  rows: number;
  apiCalls: number;
  durationMs: number;
  /** Human text for people (never a token). */
  error?: string;
  /** For "paused": how long until Meta accepts calls again. */
  retryAfterMs?: number;
}

/** The ad account as a run reads it at its start. */
export interface AccountRow {
  id: string;
  currency: string;
  agency_id: string;
  workspace_id: string;
  connection_id: string | null;
  meta_account_id: string;
  timezone_name: string;
  backfill_months: number;
  backfilled_since: string | null;
  connection_status: string | null;
  attribution_windows: string[] | null;
}
