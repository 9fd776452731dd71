-- More reporting pre-aggregates (ADR 0020): the workspace page's campaign table and platform
-- breakdown read one row per campaign x day and platform x day instead of campaign x day x platform
-- facts, so a cold 28-day report of a 200-campaign account aggregates ~5,600 rows instead of ~22,400.
-- Maintained exactly like insights_daily_rollup (0020): statement triggers with transition tables,
-- applying +new / -old deltas, security definer, money numeric.
--
-- Policies on the rollups use `workspace_id in (select ...)`: an uncorrelated sub-select that
-- Postgres evaluates once and probes as a hash, where `= any (array(select ...))` scans the array
-- for every row (measured: a user who sees 300 workspaces paid ~300 comparisons per rollup row).

create table public.insights_campaign_rollup (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  meta_campaign_id text not null,
  date date not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  spend numeric(24, 4) not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  link_clicks bigint not null default 0,
  conversions numeric(24, 4) not null default 0,
  conversion_value numeric(24, 4) not null default 0,
  primary key (ad_account_id, meta_campaign_id, date)
);
create index insights_campaign_rollup_workspace_date_idx on public.insights_campaign_rollup (workspace_id, date);

create table public.insights_platform_rollup (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  publisher_platform text not null,
  date date not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  spend numeric(24, 4) not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  link_clicks bigint not null default 0,
  conversions numeric(24, 4) not null default 0,
  conversion_value numeric(24, 4) not null default 0,
  primary key (ad_account_id, publisher_platform, date)
);
create index insights_platform_rollup_workspace_date_idx on public.insights_platform_rollup (workspace_id, date);

alter table public.insights_campaign_rollup enable row level security;
alter table public.insights_platform_rollup enable row level security;
revoke all on public.insights_campaign_rollup, public.insights_platform_rollup from anon, authenticated;
grant all on public.insights_campaign_rollup, public.insights_platform_rollup to service_role;
grant select on public.insights_campaign_rollup, public.insights_platform_rollup to authenticated;
create policy "Workspace readers see campaign rollups" on public.insights_campaign_rollup
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));
create policy "Workspace readers see platform rollups" on public.insights_platform_rollup
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));

-- The account-day rollup of 0020 gets the hashed form too.
drop policy "Workspace readers see daily rollups" on public.insights_daily_rollup;
create policy "Workspace readers see daily rollups" on public.insights_daily_rollup
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));

create or replace function private.rollup_insights_apply_breakdowns() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    update public.insights_campaign_rollup r set
      spend = r.spend - o.spend, impressions = r.impressions - o.impressions, clicks = r.clicks - o.clicks,
      link_clicks = r.link_clicks - o.link_clicks, conversions = r.conversions - o.conversions,
      conversion_value = r.conversion_value - o.conversion_value
    from (
      select ad_account_id, meta_campaign_id, date, sum(spend) as spend, sum(impressions) as impressions, sum(clicks) as clicks,
             sum(link_clicks) as link_clicks, sum(conversions) as conversions, sum(conversion_value) as conversion_value
      from old_rows group by ad_account_id, meta_campaign_id, date
    ) o
    where r.ad_account_id = o.ad_account_id and r.meta_campaign_id = o.meta_campaign_id and r.date = o.date;
    update public.insights_platform_rollup r set
      spend = r.spend - o.spend, impressions = r.impressions - o.impressions, clicks = r.clicks - o.clicks,
      link_clicks = r.link_clicks - o.link_clicks, conversions = r.conversions - o.conversions,
      conversion_value = r.conversion_value - o.conversion_value
    from (
      select ad_account_id, publisher_platform, date, sum(spend) as spend, sum(impressions) as impressions, sum(clicks) as clicks,
             sum(link_clicks) as link_clicks, sum(conversions) as conversions, sum(conversion_value) as conversion_value
      from old_rows group by ad_account_id, publisher_platform, date
    ) o
    where r.ad_account_id = o.ad_account_id and r.publisher_platform = o.publisher_platform and r.date = o.date;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    insert into public.insights_campaign_rollup as r
      (ad_account_id, meta_campaign_id, date, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
    select ad_account_id, meta_campaign_id, date, min(workspace_id::text)::uuid, sum(spend), sum(impressions), sum(clicks),
           sum(link_clicks), sum(conversions), sum(conversion_value)
    from new_rows group by ad_account_id, meta_campaign_id, date
    on conflict (ad_account_id, meta_campaign_id, date) do update set
      spend = r.spend + excluded.spend, impressions = r.impressions + excluded.impressions,
      clicks = r.clicks + excluded.clicks, link_clicks = r.link_clicks + excluded.link_clicks,
      conversions = r.conversions + excluded.conversions, conversion_value = r.conversion_value + excluded.conversion_value;
    insert into public.insights_platform_rollup as r
      (ad_account_id, publisher_platform, date, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
    select ad_account_id, publisher_platform, date, min(workspace_id::text)::uuid, sum(spend), sum(impressions), sum(clicks),
           sum(link_clicks), sum(conversions), sum(conversion_value)
    from new_rows group by ad_account_id, publisher_platform, date
    on conflict (ad_account_id, publisher_platform, date) do update set
      spend = r.spend + excluded.spend, impressions = r.impressions + excluded.impressions,
      clicks = r.clicks + excluded.clicks, link_clicks = r.link_clicks + excluded.link_clicks,
      conversions = r.conversions + excluded.conversions, conversion_value = r.conversion_value + excluded.conversion_value;
  end if;
  return null;
end
$$;
revoke all on function private.rollup_insights_apply_breakdowns() from public;

create trigger insights_breakdown_rollup_ins after insert on public.insights_daily
  referencing new table as new_rows for each statement execute function private.rollup_insights_apply_breakdowns();
create trigger insights_breakdown_rollup_upd after update on public.insights_daily
  referencing old table as old_rows new table as new_rows for each statement execute function private.rollup_insights_apply_breakdowns();
create trigger insights_breakdown_rollup_del after delete on public.insights_daily
  referencing old table as old_rows for each statement execute function private.rollup_insights_apply_breakdowns();

insert into public.insights_campaign_rollup
  (ad_account_id, meta_campaign_id, date, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
select ad_account_id, meta_campaign_id, date, min(workspace_id::text)::uuid, sum(spend), sum(impressions), sum(clicks),
       sum(link_clicks), sum(conversions), sum(conversion_value)
from public.insights_daily group by ad_account_id, meta_campaign_id, date;
insert into public.insights_platform_rollup
  (ad_account_id, publisher_platform, date, workspace_id, spend, impressions, clicks, link_clicks, conversions, conversion_value)
select ad_account_id, publisher_platform, date, min(workspace_id::text)::uuid, sum(spend), sum(impressions), sum(clicks),
       sum(link_clicks), sum(conversions), sum(conversion_value)
from public.insights_daily group by ad_account_id, publisher_platform, date;
