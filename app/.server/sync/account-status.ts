/**
 * Meta's account_status of an ad account, re-read at the start of every sync run (one small GET), so
 * an account Meta disabled (or re-enabled) shows as such and raises or clears its alert. Runtime-
 * agnostic like the rest of the sync core.
 */
import type { Sql } from "postgres";
import type { GraphClient } from "../meta/graph";

const passthrough = { parse: (v: unknown) => v, safeParse: (v: unknown) => ({ success: true as const, data: v }) } as never;

export async function refreshAccountStatus(sql: Sql, graph: Pick<GraphClient, "get">, adAccountId: string, metaAccountId: string): Promise<number | null> {
  const r = await graph.get<{ account_status?: unknown }>(metaAccountId, { fields: "account_status" }, passthrough, { accountId: metaAccountId });
  const status = typeof r?.account_status === "number" && Number.isInteger(r.account_status) ? r.account_status : null;
  if (status == null) return null;
  await sql.begin((tx) => tx`update public.ad_accounts set account_status = ${status} where id = ${adAccountId} and account_status is distinct from ${status}`);
  return status;
}
