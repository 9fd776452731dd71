/**
 * Meta's account_status of an ad account, re-read on every sync run, so an account Meta disabled (or
 * re-enabled) shows as such and raises or clears its alert within one run. When the run's first chunk
 * is a plain GET of insights (an incremental pass: today and yesterday), the status rides along with
 * it through Graph field expansion of the account's insights edge, so that pass stays one call
 * (ADR 0180); otherwise it costs one small GET before the chunks. Runtime-agnostic like the rest of
 * the sync core.
 */
import type { Sql } from "postgres";
import { SYNC_READ_MAX_DAYS, daysBetween } from "./planner";
import type { AccountFieldsRead, ChunkRange } from "./range-reader";
import type { GraphPort } from "./types";

const passthrough = { parse: (v: unknown) => v, safeParse: (v: unknown) => ({ success: true as const, data: v }) } as never;

export class AccountStatusRead implements AccountFieldsRead {
  readonly fields = ["account_status"] as const;
  node?: Record<string, unknown>;
  unsupported?: boolean;
  private settled = false;

  constructor(
    private sql: Sql,
    private graph: Pick<GraphPort, "get">,
    private adAccountId: string,
    private metaAccountId: string,
  ) {}

  /** What a headline read should carry along: this, until the status is stored. */
  get wanted(): AccountFieldsRead | undefined {
    return this.settled ? undefined : this;
  }

  /** Before the chunks: reads the status now unless the first chunk is a headline GET that can carry it. */
  async upFront(first: ChunkRange | undefined): Promise<void> {
    const carries = first && first.part !== "breakdowns" && daysBetween(first.since, first.until) <= SYNC_READ_MAX_DAYS;
    if (!carries) await this.settle();
  }

  /** After a headline chunk's read: stores the status that came with it, or reads it if it did not come. */
  async settle(): Promise<number | null> {
    if (this.settled) return null;
    this.settled = true;
    const node =
      this.node ??
      (await this.graph.get<Record<string, unknown>>(this.metaAccountId, { fields: "account_status" }, passthrough, { accountId: this.metaAccountId }));
    const status = typeof node?.account_status === "number" && Number.isInteger(node.account_status) ? node.account_status : null;
    if (status == null) return null;
    await this.sql.begin(
      (tx) => tx`update public.ad_accounts set account_status = ${status} where id = ${this.adAccountId} and account_status is distinct from ${status}`,
    );
    return status;
  }
}
