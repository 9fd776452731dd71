/**
 * Reading insights for day ranges of one ad account (ADR 0015): paged GETs up to SYNC_READ_MAX_DAYS
 * days, an async report run for longer ranges (POST, poll with backoff and a timeout, page the
 * result); an async failure is retried once, then the range is split in halves, then, at one day, read
 * campaign by campaign; too much data splits the same way.
 */
import { z } from "zod";
import { MetaApiError } from "../meta/errors";
import { insightsAttributionParams, type AttributionChoice } from "../meta/attribution";
import {
  ALL_AD_STATUSES,
  AD_INSIGHTS_FIELDS,
  BREAKDOWN_FIELDS,
  BREAKDOWN_READS,
  toAdFactRow,
  toBreakdownRow,
  type AdFactRow,
  type BreakdownFamily,
  type BreakdownRow,
} from "./ads";
import { SYNC_READ_MAX_DAYS, daysBetween, splitRange, type DayRange } from "./planner";
import type { GraphPort, SyncLogger } from "./types";
import type { CampaignRow } from "./upsert";

/** Every status, so archived and deleted campaigns keep their history (Meta hides them by default). */
export const ALL_CAMPAIGN_STATUSES = ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "IN_PROCESS", "WITH_ISSUES"];

const DONE = new Set(["Job Completed"]);
const FAILED = new Set(["Job Failed", "Job Skipped"]);

/**
 * Rows per insights page. Result pages are most of a backfill's calls (ad x day x platform rows and
 * the age x gender family are large), so pages are as big as Meta serves; a page Meta finds too big
 * answers "reduce the amount of data", which the reader's split path already handles (ADR 0080).
 */
export const DEFAULT_PAGE_SIZE = 5000;

/** A chunk of a run's checkpoint: the ad facts of a range, or (part "breakdowns") its audience facts. */
export type ChunkRange = DayRange & { part?: "breakdowns" };

/**
 * Fields of the ad account itself to read with a range's first plain GET (Graph field expansion of
 * the account's insights edge): `node` is set once they came; `unsupported` once Meta refused the
 * expanded form (plain reads from then on).
 */
export interface AccountFieldsRead {
  readonly fields: readonly string[];
  node?: Record<string, unknown>;
  unsupported?: boolean;
}

/**
 * Any JSON object: each read validates its own fields (toRow, upsertAdObjects), so a bad row fails
 * the read with a message that says which field Meta got wrong.
 */
const objectItem = z.record(z.string(), z.unknown());
/** A listed object we keep; anything else (no id, say) is skipped rather than failing the run. */
const listedItem = objectItem.nullable().catch(null);
/** A campaign we keep (id and name); Meta's stubs without them are skipped. */
const campaignItem = z
  .object({ id: z.string(), name: z.string(), objective: z.string().nullish(), status: z.string().nullish(), effective_status: z.string().nullish() })
  .nullable()
  .catch(null);

interface ReaderOptions {
  sleep: (ms: number) => Promise<void>;
  pollMin: number;
  pollMax: number;
  timeout: number;
  pageSize: number;
  /** attribution windows for conversions (null: each ad account's own setting) */
  attribution?: AttributionChoice;
  /** read only the conversion fields (a `conversions` re-sync) */
  conversionsOnly?: boolean;
  log?: SyncLogger;
}

/** What one kind of read asks Meta for, and how its rows are validated. */
export interface ReadSpec<T> {
  level: "ad" | "adset" | "campaign";
  breakdowns: string[];
  fields: readonly string[];
  toRow(r: Record<string, unknown>): T;
}

/** The read every figure is summed from: ad x day x publisher_platform (all statuses). */
export function adRead(choice: AttributionChoice): ReadSpec<AdFactRow> {
  return { level: "ad", breakdowns: ["publisher_platform"], fields: AD_INSIGHTS_FIELDS, toRow: (r) => toAdFactRow(r, choice) };
}

export function breakdownRead(family: BreakdownFamily, choice: AttributionChoice): ReadSpec<BreakdownRow> {
  return { level: "adset", breakdowns: BREAKDOWN_READS[family].breakdowns, fields: BREAKDOWN_FIELDS, toRow: (r) => toBreakdownRow(family, r, choice) };
}

/** Reads insights rows for day ranges of one ad account, with the fallbacks described above. */
export class RangeReader<T = AdFactRow> {
  private campaignIds: string[] | null = null;
  constructor(
    private graph: GraphPort,
    private actId: string,
    private o: ReaderOptions,
    private spec: ReadSpec<T>,
  ) {}

  private params(range: DayRange, campaignId?: string): Record<string, unknown> {
    const filtering: object[] = [{ field: "campaign.effective_status", operator: "IN", value: ALL_CAMPAIGN_STATUSES }];
    if (this.spec.level === "ad") filtering.push({ field: "ad.effective_status", operator: "IN", value: ALL_AD_STATUSES });
    if (campaignId) filtering.push({ field: "campaign.id", operator: "EQUAL", value: campaignId });
    const { extraFields, ...windows } = insightsAttributionParams(this.o.attribution ?? null);
    return {
      level: this.spec.level,
      breakdowns: this.spec.breakdowns,
      time_increment: 1,
      fields: [...new Set([...this.spec.fields, ...extraFields])].join(","),
      ...windows,
      time_range: { since: range.since, until: range.until },
      filtering,
      limit: this.o.pageSize,
    };
  }

  async campaigns(): Promise<CampaignRow[]> {
    const out: CampaignRow[] = [];
    for await (const page of this.graph.pages(
      `${this.actId}/campaigns`,
      { fields: "id,name,objective,status,effective_status", effective_status: ALL_CAMPAIGN_STATUSES, limit: 500 },
      campaignItem,
    )) {
      for (const c of page) if (c) out.push(c);
    }
    this.campaignIds = out.map((c) => c.id);
    return out;
  }

  /** An object edge of the account (ad sets, ads) with every status, all pages. */
  async list<O>(edge: "adsets" | "ads", fields: string): Promise<O[]> {
    const out: O[] = [];
    const statuses = ALL_AD_STATUSES;
    for await (const page of this.graph.pages(`${this.actId}/${edge}`, { fields, effective_status: statuses, limit: 500 }, listedItem)) {
      // Fields are checked where the objects are stored (upsertAdObjects).
      for (const o of page) if (o) out.push(o as O);
    }
    return out;
  }

  /** All rows of the range, or a MetaApiError once every fallback is exhausted. `account`: see AccountFieldsRead. */
  async readRange(range: DayRange, account?: AccountFieldsRead): Promise<T[]> {
    let first: unknown;
    try {
      return await this.readOnce(range, undefined, account);
    } catch (err) {
      if (!(err instanceof MetaApiError) || (err.kind !== "async_failed" && err.kind !== "too_much_data")) throw err;
      first = err;
    }
    if ((first as MetaApiError).kind === "async_failed") {
      try {
        return await this.readOnce(range, undefined, account);
      } catch (err) {
        if (!(err instanceof MetaApiError) || (err.kind !== "async_failed" && err.kind !== "too_much_data")) throw err;
      }
    }
    if (daysBetween(range.since, range.until) > 1) {
      const [a, b] = splitRange(range);
      return [...(await this.readRange(a, account)), ...(await this.readRange(b, account))];
    }
    return this.readByCampaign(range);
  }

  private async readByCampaign(range: DayRange): Promise<T[]> {
    if (!this.campaignIds) await this.campaigns();
    const rows: T[] = [];
    for (const id of this.campaignIds!) {
      try {
        rows.push(...(await this.readOnce(range, id)));
      } catch (err) {
        if (!(err instanceof MetaApiError) || err.kind !== "async_failed") throw err;
        rows.push(...(await this.readOnce(range, id)));
      }
    }
    return rows;
  }

  private async readOnce(range: DayRange, campaignId?: string, account?: AccountFieldsRead): Promise<T[]> {
    const params = this.params(range, campaignId);
    if (daysBetween(range.since, range.until) <= SYNC_READ_MAX_DAYS) {
      if (account && !account.node && !account.unsupported && !campaignId) return this.collectWithAccount(params, account);
      return this.collect(`${this.actId}/insights`, params);
    }
    const started = await this.graph.post<{ report_run_id?: string }>(`${this.actId}/insights`, params, undefined, { accountId: this.actId });
    const id = started?.report_run_id;
    if (!id || !/^\d+$/.test(String(id))) throw new MetaApiError("unknown", "Meta did not return a report_run_id for an async insights request");
    await this.waitForReport(String(id));
    return this.collect(`${id}/insights`, { limit: this.o.pageSize });
  }

  private async waitForReport(id: string): Promise<void> {
    const deadline = Date.now() + this.o.timeout;
    let delay = this.o.pollMin;
    // A report is never done the moment it is created: a first poll right away is a wasted call.
    await this.o.sleep(delay);
    for (;;) {
      const r = await this.graph.get<ReportRunStatus>(id, { fields: REPORT_RUN_FIELDS }, undefined, { accountId: this.actId });
      const status = String(r?.async_status ?? "");
      if (DONE.has(status) && Number(r?.async_percent_completion ?? 100) >= 100) return;
      if (FAILED.has(status)) throw reportRunError(status, r, this.actId, this.o.log);
      if (Date.now() + delay > deadline)
        throw new MetaApiError("async_failed", `Meta's async report did not finish within ${Math.round(this.o.timeout / 1000)} s`);
      await this.o.sleep(delay);
      delay = Math.min(this.o.pollMax, delay * 2);
    }
  }

  /**
   * One GET of the account node with its insights edge expanded (`insights.level(ad)...{fields}`):
   * the edge's parameters become modifiers, its later pages are plain edge reads. Should Meta refuse
   * the expanded form (code 100), the range is read plainly and the caller reads its fields apart.
   */
  private async collectWithAccount(params: Record<string, unknown>, account: AccountFieldsRead): Promise<T[]> {
    const { fields, ...edgeParams } = params;
    const modifiers = Object.entries(edgeParams)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `.${k}(${typeof v === "object" ? JSON.stringify(v) : String(v)})`)
      .join("");
    const rows: T[] = [];
    try {
      const expanded = { fields: [...account.fields, `insights${modifiers}{${String(fields)}}`].join(",") };
      const options = { accountId: this.actId, edge: "insights", onNode: (n: Record<string, unknown>) => (account.node = n) };
      for await (const page of this.graph.pages(this.actId, expanded, objectItem, options)) {
        for (const r of page) rows.push(this.spec.toRow(r));
      }
      return rows;
    } catch (err) {
      if (!(err instanceof MetaApiError) || err.kind !== "invalid_request" || account.node) throw err;
      account.unsupported = true;
      this.o.log?.warn({ account: this.actId, error: err.message }, "Meta refused the expanded insights read; reading account fields apart");
      return this.collect(`${this.actId}/insights`, params);
    }
  }

  private async collect(path: string, params: Record<string, unknown>): Promise<T[]> {
    const rows: T[] = [];
    for await (const page of this.graph.pages(path, params, objectItem, { accountId: this.actId })) {
      for (const r of page) rows.push(this.spec.toRow(r));
    }
    return rows;
  }
}

/** A report run's status and, when it failed, Meta's reasons (returned by default from v25). */
interface ReportRunStatus {
  async_status?: string;
  async_percent_completion?: number;
  error_code?: number;
  error_subcode?: number;
  error_message?: string;
  error_user_title?: string;
  error_user_msg?: string;
}
const REPORT_RUN_FIELDS = "async_status,async_percent_completion,error_code,error_subcode,error_message,error_user_title,error_user_msg";

/** A failed or skipped report run as an error that carries Meta's reasons (logged, and in the run's error text). */
function reportRunError(status: string, r: ReportRunStatus, actId: string, log?: SyncLogger): MetaApiError {
  const what = status === "Job Skipped" ? "expired" : "failed";
  const code = typeof r.error_code === "number" ? r.error_code : undefined;
  const subcode = typeof r.error_subcode === "number" ? r.error_subcode : undefined;
  const reason = [r.error_user_title, r.error_user_msg ?? r.error_message]
    .filter((x) => typeof x === "string" && x)
    .join(": ")
    .slice(0, 300);
  const tag = code !== undefined ? ` [code ${code}${subcode !== undefined ? `/${subcode}` : ""}]` : "";
  log?.warn(
    {
      account: actId,
      status,
      errorCode: code,
      errorSubcode: subcode,
      errorMessage: r.error_message,
      errorUserTitle: r.error_user_title,
      errorUserMsg: r.error_user_msg,
    },
    "Meta async report did not complete",
  );
  // -3 / 1504045: the report is too large; the reader splits it like any too-much-data answer.
  const kind = code === -3 || subcode === 1504045 ? "too_much_data" : "async_failed";
  return new MetaApiError(kind, `Meta's async report ${what}${reason ? `: ${reason}` : ""}${tag}`, { code, subcode, metaMessage: r.error_message });
}
