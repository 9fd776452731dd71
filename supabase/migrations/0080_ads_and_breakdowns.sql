-- Depth below the campaign (ADR 0080): ad sets, ads with their creatives, cached creative images,
-- daily facts per ad x day x publisher platform (the grain every other total is summed from), and
-- daily audience breakdown facts per ad set.
--
-- - Platform and bucket names are data (text), never a fixed list: Meta adds platforms (threads).
-- - Every fact row records the attribution window its conversions were fetched with, and it is part
--   of the key, so rows of different windows are never summed by accident.
-- - Reach is not here: it is not additive (insights_reach keeps it per range and grain).
-- - Money is numeric in the account currency's major units, exactly as Meta sends it.
-- Reads: whoever may see the workspace (staff of its agency, its client viewers). Writes: sync only.

create table public.ad_sets (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  meta_adset_id text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  meta_campaign_id text not null,
  name text not null,
  status text,
  effective_status text,
  optimization_goal text,
  -- budgets in major units of the account currency (Meta sends offset units; converted at write)
  daily_budget numeric(20, 4),
  lifetime_budget numeric(20, 4),
  bid_strategy text,
  updated_at timestamptz not null default now(),
  primary key (ad_account_id, meta_adset_id)
);
create index ad_sets_workspace_id_idx on public.ad_sets (workspace_id);
create index ad_sets_campaign_idx on public.ad_sets (ad_account_id, meta_campaign_id);

create table public.ads (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  meta_ad_id text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  meta_adset_id text not null,
  meta_campaign_id text not null,
  name text not null,
  status text,
  effective_status text,
  creative_id text,
  title text,
  body text,
  call_to_action text,
  -- Meta's CDN URLs expire: kept fresh by every objects sync, fetched by the server only
  image_url text,
  preview_url text,
  updated_at timestamptz not null default now(),
  primary key (ad_account_id, meta_ad_id)
);
create index ads_workspace_id_idx on public.ads (workspace_id);
create index ads_adset_idx on public.ads (ad_account_id, meta_adset_id);

-- Creative images fetched by the server and served from our origin (the browser never calls Meta).
create table public.creative_images (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  creative_id text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  content_type text check (content_type in ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
  bytes bytea check (octet_length(bytes) <= 2097152),
  sha256 text,
  status text not null check (status in ('ok', 'failed')),
  error text,
  fetched_at timestamptz not null default now(),
  primary key (ad_account_id, creative_id)
);
create index creative_images_workspace_id_idx on public.creative_images (workspace_id, creative_id);

create table public.insights_ad_daily (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  date date not null,
  meta_ad_id text not null,
  publisher_platform text not null,
  attribution_window text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  meta_adset_id text not null,
  meta_campaign_id text not null,
  spend numeric(20, 4) not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  link_clicks bigint not null default 0,
  conversions numeric(20, 4) not null default 0,
  conversion_value numeric(20, 4) not null default 0,
  fetched_at timestamptz not null default now(),
  primary key (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window)
);
-- drill-down: the ad sets of a campaign, the ads of an ad set, over a date range
create index insights_ad_daily_campaign_idx on public.insights_ad_daily (ad_account_id, meta_campaign_id, date);
create index insights_ad_daily_adset_idx on public.insights_ad_daily (ad_account_id, meta_adset_id, date);
create index insights_ad_daily_workspace_idx on public.insights_ad_daily (workspace_id, date);

-- Audience breakdowns per ad set x day x bucket. `breakdown` names the family; key1/key2 hold the
-- bucket (age_gender: age, gender; country: country; device: device_platform; placement:
-- publisher_platform, platform_position).
create table public.insights_breakdown_daily (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  breakdown text not null check (breakdown in ('age_gender', 'country', 'region', 'device', 'placement')),
  date date not null,
  meta_adset_id text not null,
  key1 text not null,
  key2 text not null default '',
  attribution_window text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  meta_campaign_id text not null,
  spend numeric(20, 4) not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  link_clicks bigint not null default 0,
  conversions numeric(20, 4) not null default 0,
  conversion_value numeric(20, 4) not null default 0,
  fetched_at timestamptz not null default now(),
  primary key (ad_account_id, breakdown, date, meta_adset_id, key1, key2, attribution_window)
);
create index insights_breakdown_daily_campaign_idx on public.insights_breakdown_daily (ad_account_id, breakdown, meta_campaign_id, date);
create index insights_breakdown_daily_workspace_idx on public.insights_breakdown_daily (workspace_id, date);

alter table public.ad_sets enable row level security;
alter table public.ads enable row level security;
alter table public.creative_images enable row level security;
alter table public.insights_ad_daily enable row level security;
alter table public.insights_breakdown_daily enable row level security;

revoke all on public.ad_sets, public.ads, public.creative_images, public.insights_ad_daily,
  public.insights_breakdown_daily from anon, authenticated;
grant all on public.ad_sets, public.ads, public.creative_images, public.insights_ad_daily,
  public.insights_breakdown_daily to service_role;
grant select on public.ad_sets, public.ads, public.creative_images, public.insights_ad_daily,
  public.insights_breakdown_daily to authenticated;

create policy "Workspace readers see ad sets" on public.ad_sets
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));
create policy "Workspace readers see ads" on public.ads
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));
create policy "Workspace readers see creative images" on public.creative_images
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));
create policy "Workspace readers see ad facts" on public.insights_ad_daily
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));
create policy "Workspace readers see breakdown facts" on public.insights_breakdown_daily
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));
