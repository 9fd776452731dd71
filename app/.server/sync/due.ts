/**
 * Which ad accounts need a sync now, and of which kind. Runtime-agnostic: the pg-boss tick (Node)
 * and the Supabase edge function (Deno, driven by pg_cron) share this one definition.
 * - backfill: the stored history does not reach back the account's BACKFILL_MONTHS yet;
 * - restatement: the last 28 days were not re-read in the last day;
 * - incremental: today/yesterday older than the agency plan's refresh cadence (plans.refresh_minutes),
 *   or than `refreshSeconds` when a caller passes one;
 * - conversions: the stored facts do not all use the workspace's attribution windows (ADR 0071),
 *   unless a re-sync started since the last change succeeded (settings changes also queue one at once).
 * Accounts whose connection needs re-authorisation are never due: no calls with a dead token. With
 * billing on, agencies that are read-only (canceled, unpaid, trial over, past_due beyond the grace
 * period; the same rules as billing/limits.ts computeLimits) have syncing paused: never due.
 */
import type { TransactionSql } from "postgres";
import type { SyncKind } from "./planner";

export interface DueAccount {
  adAccountId: string;
  kind: SyncKind;
}

export interface DueOptions {
  /** Stripe billing is on: read-only agencies pause syncing. */
  billingEnabled?: boolean;
  /** Days of full access after a failed payment (billing/plans.ts GRACE_DAYS). */
  graceDays?: number;
}

export async function findDueAccounts(tx: TransactionSql, refreshSeconds: number | null = null, limit = 1000, opts: DueOptions = {}): Promise<DueAccount[]> {
  const paused = opts.billingEnabled ?? false;
  const graceDays = opts.graceDays ?? 7;
  // Stored conversions that mix windows, or differ from the workspace's explicit choice.
  const conversionsDue = tx`(
    (a.conversions_attribution = 'mixed'
      or (w.attribution_windows is not null and a.conversions_attribution is not null
          and a.conversions_attribution <> array_to_string(w.attribution_windows, ',')))
    -- not when a re-sync started after the last change succeeded (at most weekly for a lasting mix)
    and not exists (select 1 from public.sync_runs r where r.ad_account_id = a.id and r.kind = 'conversions' and r.status = 'succeeded'
                    and r.created_at > greatest(w.attribution_changed_at, now() - interval '7 days')))`;
  const rows = await tx<{ id: string; kind: SyncKind }[]>`
    select a.id,
      case
        when a.backfilled_since is null
          or a.backfilled_since > (current_date - make_interval(months => a.backfill_months))::date + 2 then 'backfill'
        when ${conversionsDue} then 'conversions'
        when a.last_restated_at is null or a.last_restated_at < now() - interval '1 day' then 'restatement'
        else 'incremental'
      end as kind
    from public.ad_accounts a
    join public.workspaces w on w.id = a.workspace_id
    join public.meta_connections c on c.id = a.connection_id
    join public.agencies ag on ag.id = a.agency_id
    join public.plans p on p.id = ag.plan_id
    where c.status = 'active'
      and not (${paused} and (
        ag.subscription_status in ('canceled', 'unpaid', 'none')
        or (ag.plan_id = 'trial' and ag.subscription_status = 'trialing' and ag.trial_ends_at <= now())
        or (ag.subscription_status = 'past_due'
            and coalesce(ag.past_due_since, now()) + make_interval(days => ${graceDays}) <= now())))
      and a.sync_status <> 'needs_reauth'
      and (a.sync_lease_until is null or a.sync_lease_until < now())
      and (a.backfilled_since is null
        or a.backfilled_since > (current_date - make_interval(months => a.backfill_months))::date + 2
        or a.last_restated_at is null or a.last_restated_at < now() - interval '1 day'
        or ${conversionsDue}
        or a.last_incremental_at is null or a.last_incremental_at < now() - make_interval(secs => coalesce(${refreshSeconds}::int, p.refresh_minutes * 60)))
    order by a.last_incremental_at nulls first
    limit ${limit}`;
  return rows.map((r) => ({ adAccountId: r.id, kind: r.kind }));
}
