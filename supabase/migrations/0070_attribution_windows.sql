-- Attribution windows for conversions (issue #13, ADR 0071).
--
-- * workspaces.attribution_windows: the client's choice of windows (Meta's names, canonical order);
--   null = each ad account's own attribution setting. Owners and admins change it (the existing
--   "edit workspaces" policy); a change re-syncs conversions (sync kind 'conversions').
-- * insights_daily.attribution: the windows every fact row was fetched with ("7d_click,1d_view"), or
--   Meta's attribution_setting text when the account's own setting was used. Rows from before this
--   migration were read without windows: 'account_default'.
-- * ad_accounts.conversions_attribution: the one attribution all stored facts of the account share,
--   'mixed' while they differ (during a re-sync), null without facts. Reports never add conversions
--   across different values (Meta returns no metrics across attribution settings either). Kept by
--   the sync after every chunk from min/max over the (ad_account_id, attribution) index.

alter table public.workspaces
  add column attribution_windows text[]
    check (attribution_windows is null
      or (cardinality(attribution_windows) between 1 and 3
          and attribution_windows <@ array['1d_click', '7d_click', '28d_click', '1d_view', '1d_ev']::text[]));
-- when the choice last changed: a conversions re-sync that started before it is stale
alter table public.workspaces add column attribution_changed_at timestamptz;
grant update (attribution_windows, attribution_changed_at) on public.workspaces to authenticated;

alter table public.insights_daily add column attribution text not null default 'account_default';
create index insights_daily_account_attribution_idx on public.insights_daily (ad_account_id, attribution);

alter table public.ad_accounts add column conversions_attribution text;
update public.ad_accounts a set conversions_attribution = 'account_default'
where exists (select 1 from public.insights_daily d where d.ad_account_id = a.id);

alter table public.sync_runs drop constraint sync_runs_kind_check;
alter table public.sync_runs add constraint sync_runs_kind_check
  check (kind in ('backfill', 'incremental', 'restatement', 'manual', 'full', 'conversions'));
