-- Drill-down reads at a big client (issue #14, ADR 0160).
--
-- A drill-down report reads facts of one attribution window: the window the range's facts were read
-- with, or the newest read's when a re-sync left two (ADR 0071, 0080). Finding it summed nothing but
-- scanned every fact row of the workspace in the range (243,600 breakdown rows for a 28-day range of
-- a 1,000-ad-set client, ~0.4 s, once per panel), while the campaign or ad set the page shows has a
-- few hundred. insights_fact_windows keeps, per ad account x source x day x window, how many fact rows
-- there are and when the newest was written, so the choice reads ~5 rows per account-day instead.
--
-- source: 'ad' for insights_ad_daily, the breakdown family for insights_breakdown_daily.
-- Maintained like the reporting rollups (0020, 0021): statement triggers with transition tables
-- applying +new / -old row counts, security definer; a day's entry goes when its count reaches zero.
-- fetched_at only moves forward (a delete does not recompute it): the sync replaces whole ranges, whose
-- new rows are newer than anything they delete, so under its writes it equals max(fetched_at) of the
-- rows there are (tests/integration/drill-fact-windows.test.ts checks both after each kind of write).

create table public.insights_fact_windows (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  source text not null,
  date date not null,
  attribution_window text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  fact_rows bigint not null default 0,
  fetched_at timestamptz not null,
  primary key (ad_account_id, source, date, attribution_window)
);
-- the policy filters by workspace_id; the window choice reads (workspace, date range)
create index insights_fact_windows_workspace_date_idx on public.insights_fact_windows (workspace_id, date);
-- entries whose rows are all gone, found without scanning the table (they exist only inside a statement)
create index insights_fact_windows_empty_idx on public.insights_fact_windows (ad_account_id) where fact_rows <= 0;

alter table public.insights_fact_windows enable row level security;
revoke all on public.insights_fact_windows from anon, authenticated;
grant all on public.insights_fact_windows to service_role;
grant select on public.insights_fact_windows to authenticated;
create policy "Workspace readers see fact windows" on public.insights_fact_windows
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));

-- The ad set page reads its breakdown facts by ad set (the campaign page has its index since 0080).
create index insights_breakdown_daily_adset_idx on public.insights_breakdown_daily (ad_account_id, meta_adset_id, date);

-- Applies the old and new rows of one statement (-old, +new row counts per key). One body per fact
-- table: PL/pgSQL plans a trigger function per table, so each branch only ever sees its own table's
-- transition rows (the breakdown table's source is its family column, the ad table's is 'ad').
create or replace function private.fact_windows_apply() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_table_name = 'insights_ad_daily' then
    if tg_op in ('UPDATE', 'DELETE') then
      update public.insights_fact_windows r set fact_rows = r.fact_rows - o.n
      from (select ad_account_id, date, attribution_window, count(*) as n from old_rows group by 1, 2, 3) o
      where r.ad_account_id = o.ad_account_id and r.source = 'ad' and r.date = o.date and r.attribution_window = o.attribution_window;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
      insert into public.insights_fact_windows as r (ad_account_id, source, date, attribution_window, workspace_id, fact_rows, fetched_at)
      select ad_account_id, 'ad', date, attribution_window, min(workspace_id::text)::uuid, count(*), max(fetched_at)
      from new_rows group by ad_account_id, date, attribution_window
      on conflict (ad_account_id, source, date, attribution_window) do update set
        fact_rows = r.fact_rows + excluded.fact_rows, fetched_at = greatest(r.fetched_at, excluded.fetched_at);
    end if;
  else
    if tg_op in ('UPDATE', 'DELETE') then
      update public.insights_fact_windows r set fact_rows = r.fact_rows - o.n
      from (select ad_account_id, breakdown, date, attribution_window, count(*) as n from old_rows group by 1, 2, 3, 4) o
      where r.ad_account_id = o.ad_account_id and r.source = o.breakdown and r.date = o.date and r.attribution_window = o.attribution_window;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
      insert into public.insights_fact_windows as r (ad_account_id, source, date, attribution_window, workspace_id, fact_rows, fetched_at)
      select ad_account_id, breakdown, date, attribution_window, min(workspace_id::text)::uuid, count(*), max(fetched_at)
      from new_rows group by ad_account_id, breakdown, date, attribution_window
      on conflict (ad_account_id, source, date, attribution_window) do update set
        fact_rows = r.fact_rows + excluded.fact_rows, fetched_at = greatest(r.fetched_at, excluded.fetched_at);
    end if;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    -- a key whose rows are all gone leaves no entry (no window is "in the range" without facts)
    delete from public.insights_fact_windows r where r.fact_rows <= 0;
  end if;
  return null;
end
$$;
revoke all on function private.fact_windows_apply() from public;

create trigger insights_ad_daily_windows_ins after insert on public.insights_ad_daily
  referencing new table as new_rows for each statement execute function private.fact_windows_apply();
create trigger insights_ad_daily_windows_upd after update on public.insights_ad_daily
  referencing old table as old_rows new table as new_rows for each statement execute function private.fact_windows_apply();
create trigger insights_ad_daily_windows_del after delete on public.insights_ad_daily
  referencing old table as old_rows for each statement execute function private.fact_windows_apply();
create trigger insights_breakdown_daily_windows_ins after insert on public.insights_breakdown_daily
  referencing new table as new_rows for each statement execute function private.fact_windows_apply();
create trigger insights_breakdown_daily_windows_upd after update on public.insights_breakdown_daily
  referencing old table as old_rows new table as new_rows for each statement execute function private.fact_windows_apply();
create trigger insights_breakdown_daily_windows_del after delete on public.insights_breakdown_daily
  referencing old table as old_rows for each statement execute function private.fact_windows_apply();

-- Facts stored before this migration.
insert into public.insights_fact_windows (ad_account_id, source, date, attribution_window, workspace_id, fact_rows, fetched_at)
select ad_account_id, 'ad', date, attribution_window, min(workspace_id::text)::uuid, count(*), max(fetched_at)
from public.insights_ad_daily group by ad_account_id, date, attribution_window;
insert into public.insights_fact_windows (ad_account_id, source, date, attribution_window, workspace_id, fact_rows, fetched_at)
select ad_account_id, breakdown, date, attribution_window, min(workspace_id::text)::uuid, count(*), max(fetched_at)
from public.insights_breakdown_daily group by ad_account_id, breakdown, date, attribution_window;
