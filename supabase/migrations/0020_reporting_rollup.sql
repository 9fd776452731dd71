-- Reporting pre-aggregate: one row per ad account x day with the additive facts of insights_daily
-- summed over campaigns and platforms. The agency overview (every client, two periods, a sparkline)
-- reads ~60 rows per account from here instead of thousands of campaign x platform rows (ADR 0020).
--
-- Maintained by statement-level triggers on insights_daily with transition tables, as deltas
-- (+new, -old): whoever writes facts (sync upserts, replace-by-range deletes, cascades) keeps the
-- rollup exact without knowing about it, and concurrent writers to the same account-day serialise on
-- the rollup row instead of overwriting each other's sums. Money stays numeric: exact.
-- Reach is not here: it is not additive.

create table public.insights_daily_rollup (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  date date not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  spend numeric(24, 4) not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  link_clicks bigint not null default 0,
  conversions numeric(24, 4) not null default 0,
  conversion_value numeric(24, 4) not null default 0,
  primary key (ad_account_id, date)
);
-- the policy filters by workspace_id; overview and daily series read (workspace, date range)
create index insights_daily_rollup_workspace_date_idx on public.insights_daily_rollup (workspace_id, date);

alter table public.insights_daily_rollup enable row level security;
revoke all on public.insights_daily_rollup from anon, authenticated;
grant all on public.insights_daily_rollup to service_role;
grant select on public.insights_daily_rollup to authenticated;
create policy "Workspace readers see daily rollups" on public.insights_daily_rollup
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));

-- Adds (sign = 1) or subtracts (sign = -1) a set of fact rows. Security definer: the rollup has no
-- write grant for anyone but the owner, whoever fires the trigger.
create or replace function private.rollup_insights_apply() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    -- subtract only from rows that exist: during a cascade the account (and its rollup) may be gone
    update public.insights_daily_rollup r set
      spend = r.spend - o.spend, impressions = r.impressions - o.impressions, clicks = r.clicks - o.clicks,
      link_clicks = r.link_clicks - o.link_clicks, conversions = r.conversions - o.conversions,
      conversion_value = r.conversion_value - o.conversion_value
    from (
      select ad_account_id, date, sum(spend) as spend, sum(impressions) as impressions, sum(clicks) as clicks,
             sum(link_clicks) as link_clicks, sum(conversions) as conversions, sum(conversion_value) as conversion_value
      from old_rows group by ad_account_id, date
    ) o
    where r.ad_account_id = o.ad_account_id and r.date = o.date;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    insert into public.insights_daily_rollup as r
      (ad_account_id, date, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
    select ad_account_id, date, min(workspace_id::text)::uuid, sum(spend), sum(impressions), sum(clicks), sum(link_clicks),
           sum(conversions), sum(conversion_value)
    from new_rows group by ad_account_id, date
    on conflict (ad_account_id, date) do update set
      spend = r.spend + excluded.spend, impressions = r.impressions + excluded.impressions,
      clicks = r.clicks + excluded.clicks, link_clicks = r.link_clicks + excluded.link_clicks,
      conversions = r.conversions + excluded.conversions, conversion_value = r.conversion_value + excluded.conversion_value;
  end if;
  return null;
end
$$;
revoke all on function private.rollup_insights_apply() from public;

create trigger insights_daily_rollup_ins after insert on public.insights_daily
  referencing new table as new_rows for each statement execute function private.rollup_insights_apply();
create trigger insights_daily_rollup_upd after update on public.insights_daily
  referencing old table as old_rows new table as new_rows for each statement execute function private.rollup_insights_apply();
create trigger insights_daily_rollup_del after delete on public.insights_daily
  referencing old table as old_rows for each statement execute function private.rollup_insights_apply();

-- Facts stored before this migration.
insert into public.insights_daily_rollup
  (ad_account_id, date, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
select ad_account_id, date, min(workspace_id::text)::uuid, sum(spend), sum(impressions), sum(clicks), sum(link_clicks),
       sum(conversions), sum(conversion_value)
from public.insights_daily group by ad_account_id, date;
