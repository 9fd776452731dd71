/**
 * Which ad accounts need a sync now, and of which kind. Runtime-agnostic: the pg-boss tick (Node)
 * and the Supabase edge function (Deno, driven by pg_cron) share this one definition.
 * - backfill: the stored history does not reach back the account's BACKFILL_MONTHS yet;
 * - restatement: the last 28 days were not re-read in the last day;
 * - incremental: today/yesterday older than `refreshSeconds`.
 * Accounts whose connection needs re-authorisation are never due: no calls with a dead token.
 */
import type { TransactionSql } from "postgres";
import type { SyncKind } from "./planner";

export interface DueAccount {
  adAccountId: string;
  kind: SyncKind;
}

export async function findDueAccounts(tx: TransactionSql, refreshSeconds: number, limit = 1000): Promise<DueAccount[]> {
  const rows = await tx<{ id: string; kind: SyncKind }[]>`
    select a.id,
      case
        when a.backfilled_since is null
          or a.backfilled_since > (current_date - make_interval(months => a.backfill_months))::date + 2 then 'backfill'
        when a.last_restated_at is null or a.last_restated_at < now() - interval '1 day' then 'restatement'
        else 'incremental'
      end as kind
    from public.ad_accounts a
    join public.meta_connections c on c.id = a.connection_id
    where c.status = 'active'
      and a.sync_status <> 'needs_reauth'
      and (a.sync_lease_until is null or a.sync_lease_until < now())
      and (a.backfilled_since is null
        or a.backfilled_since > (current_date - make_interval(months => a.backfill_months))::date + 2
        or a.last_restated_at is null or a.last_restated_at < now() - interval '1 day'
        or a.last_incremental_at is null or a.last_incremental_at < now() - make_interval(secs => ${refreshSeconds}))
    order by a.last_incremental_at nulls first
    limit ${limit}`;
  return rows.map((r) => ({ adAccountId: r.id, kind: r.kind }));
}
