-- Meta connections, ad accounts, campaigns, daily facts, reach at the grain it was fetched for,
-- sync runs and data versions. Tokens never live in a plain column: a connection holds only the id
-- of its secret in the vault (private.token_vault here, or Supabase Vault when present).

-- Encrypted token storage (AES-256-GCM with a key from the environment that never enters the
-- database). Only the service path reaches it: no grant to anon or authenticated.
create table private.token_vault (
  id uuid primary key default gen_random_uuid(),
  key_id text not null,
  nonce bytea not null,
  ciphertext bytea not null,
  auth_tag bytea not null,
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);
alter table private.token_vault enable row level security;
revoke all on private.token_vault from public, anon, authenticated;
grant all on private.token_vault to service_role;

create table public.meta_connections (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  kind text not null check (kind in ('oauth', 'system_user')),
  facebook_user_id text,
  facebook_user_name text,
  -- id of the secret in the vault; null after disconnect or deletion
  token_secret_id uuid,
  token_expires_at timestamptz,
  scopes text[] not null default '{}',
  status text not null default 'active' check (status in ('active', 'needs_reauth', 'disconnected')),
  status_reason text,
  created_by uuid references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index meta_connections_agency_id_idx on public.meta_connections (agency_id);
create index meta_connections_workspace_id_idx on public.meta_connections (workspace_id);
create index meta_connections_facebook_user_id_idx on public.meta_connections (facebook_user_id);

create table public.ad_accounts (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  connection_id uuid references public.meta_connections (id) on delete set null,
  meta_account_id text not null check (meta_account_id ~ '^act_[0-9]{1,32}$'),
  name text not null,
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  timezone_name text not null,
  account_status integer,
  attribution_setting text,
  backfill_months integer not null default 13 check (backfill_months between 1 and 37),
  -- oldest day fully stored so far (backfill goes newest first)
  backfilled_since date,
  last_synced_at timestamptz,
  sync_status text not null default 'pending'
    check (sync_status in ('pending', 'syncing', 'ok', 'error', 'needs_reauth', 'paused')),
  sync_progress numeric(5, 2) not null default 0,
  sync_error text,
  created_at timestamptz not null default now(),
  unique (workspace_id, meta_account_id)
);
create index ad_accounts_agency_id_idx on public.ad_accounts (agency_id);
create index ad_accounts_connection_id_idx on public.ad_accounts (connection_id);

create table public.campaigns (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  meta_campaign_id text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  name text not null,
  objective text,
  status text,
  effective_status text,
  updated_at timestamptz not null default now(),
  primary key (ad_account_id, meta_campaign_id)
);
create index campaigns_workspace_id_idx on public.campaigns (workspace_id);

-- Daily facts per campaign x day (account time zone) x publisher platform. Money is numeric in the
-- account currency's major units, exactly as Meta sends it. Reach is not here: it is not additive.
create table public.insights_daily (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  meta_campaign_id text not null,
  date date not null,
  publisher_platform text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  spend numeric(20, 4) not null default 0,
  impressions bigint not null default 0,
  clicks bigint not null default 0,
  link_clicks bigint not null default 0,
  conversions numeric(20, 4) not null default 0,
  conversion_value numeric(20, 4) not null default 0,
  actions jsonb,
  action_values jsonb,
  fetched_at timestamptz not null default now(),
  primary key (ad_account_id, meta_campaign_id, date, publisher_platform)
);
create index insights_daily_workspace_date_idx on public.insights_daily (workspace_id, date);

-- Reach for exactly one range at one grain, as Meta returned it (never derived from days).
create table public.insights_reach (
  ad_account_id uuid not null references public.ad_accounts (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  -- '' for the whole account
  meta_campaign_id text not null default '',
  -- '' for all platforms
  publisher_platform text not null default '',
  since date not null,
  until date not null,
  reach bigint not null,
  impressions bigint,
  fetched_at timestamptz not null default now(),
  primary key (ad_account_id, meta_campaign_id, publisher_platform, since, until)
);
create index insights_reach_workspace_id_idx on public.insights_reach (workspace_id);

create table public.sync_runs (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  ad_account_id uuid references public.ad_accounts (id) on delete cascade,
  kind text not null check (kind in ('backfill', 'incremental', 'restatement', 'manual', 'full')),
  status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed', 'needs_reauth', 'canceled')),
  progress numeric(5, 2) not null default 0,
  since date,
  until date,
  days_done integer not null default 0,
  rows_written integer not null default 0,
  api_calls integer not null default 0,
  error text,
  checkpoint jsonb,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index sync_runs_workspace_id_idx on public.sync_runs (workspace_id, created_at desc);
create index sync_runs_agency_id_idx on public.sync_runs (agency_id);
create index sync_runs_ad_account_id_idx on public.sync_runs (ad_account_id, created_at desc);

-- Bumped by every committed sync chunk; caches are keyed by it, live updates announce it.
create table public.data_versions (
  workspace_id uuid primary key references public.workspaces (id) on delete cascade,
  agency_id uuid not null references public.agencies (id) on delete cascade,
  version bigint not null default 0,
  updated_at timestamptz not null default now()
);
create index data_versions_agency_id_idx on public.data_versions (agency_id);

alter table public.meta_connections enable row level security;
alter table public.ad_accounts enable row level security;
alter table public.campaigns enable row level security;
alter table public.insights_daily enable row level security;
alter table public.insights_reach enable row level security;
alter table public.sync_runs enable row level security;
alter table public.data_versions enable row level security;

revoke all on public.meta_connections, public.ad_accounts, public.campaigns, public.insights_daily,
  public.insights_reach, public.sync_runs, public.data_versions from anon, authenticated;
grant all on public.meta_connections, public.ad_accounts, public.campaigns, public.insights_daily,
  public.insights_reach, public.sync_runs, public.data_versions to service_role;

-- Connections are agency business: client viewers never see them. The secret id is not granted.
grant select (id, agency_id, workspace_id, kind, facebook_user_id, facebook_user_name, token_expires_at, scopes,
  status, status_reason, created_by, created_at, updated_at) on public.meta_connections to authenticated;
create policy "Agency staff see their connections" on public.meta_connections
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));

-- Everything else is readable by whoever may see the workspace; writes come only from sync (service).
grant select on public.ad_accounts, public.campaigns, public.insights_daily, public.insights_reach,
  public.sync_runs, public.data_versions to authenticated;
create policy "Workspace readers see ad accounts" on public.ad_accounts
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));
create policy "Workspace readers see campaigns" on public.campaigns
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));
create policy "Workspace readers see daily facts" on public.insights_daily
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));
create policy "Workspace readers see reach" on public.insights_reach
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));
create policy "Workspace readers see sync runs" on public.sync_runs
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));
create policy "Workspace readers see data versions" on public.data_versions
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));

-- Every workspace has a data-version row from birth (the creator may not write data_versions).
create or replace function private.create_data_version() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.data_versions (workspace_id, agency_id) values (new.id, new.agency_id) on conflict do nothing;
  return new;
end
$$;
create trigger workspaces_data_version
  after insert on public.workspaces
  for each row execute function private.create_data_version();
