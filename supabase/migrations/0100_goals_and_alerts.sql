-- Goals, budget pacing and alerts (issue #16, ADR 0100).
--
--   * workspace_targets: targets of a client workspace per currency group, with history: a row
--     applies from its effective_from date until the next row of the same group (never edited in
--     place; a change is a new row, so last month's pacing keeps last month's budget);
--   * agency_alert_settings: per agency, whether client viewers get budget alerts, and thresholds;
--   * alerts: one row per condition episode; at most ONE open alert per rule and subject (a partial
--     unique index, so two evaluations racing cannot both open one); resolved_at set when it clears;
--   * alert_user_settings / alert_rule_preferences / alert_follows: who hears about what, by email;
--   * private.alert_deliveries: which alert went to whom by which channel (service only), so an
--     immediate email or a digest line is sent once.
-- Staff of the agency read its alerts; a client viewer reads the budget alerts of their workspace
-- only when the agency opted viewers in. Writes to alerts come only from the evaluator (service).

create table public.workspace_targets (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  effective_from date not null,
  monthly_budget numeric(20, 4) check (monthly_budget is null or monthly_budget > 0),
  daily_budget numeric(20, 4) check (daily_budget is null or daily_budget > 0),
  target_cpa numeric(20, 4) check (target_cpa is null or target_cpa > 0),
  target_roas numeric(12, 4) check (target_roas is null or target_roas > 0),
  -- spend below this (account currency, major units) never raises a spend anomaly; null = default
  anomaly_min_spend numeric(20, 4) check (anomaly_min_spend is null or anomaly_min_spend >= 0),
  created_by uuid references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (workspace_id, currency, effective_from)
);
create index workspace_targets_agency_id_idx on public.workspace_targets (agency_id);

-- A target's agency is its workspace's agency (policies filter by agency_id).
create or replace function private.target_agency_matches() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  select w.agency_id into new.agency_id from public.workspaces w where w.id = new.workspace_id;
  return new;
end
$$;
create trigger workspace_targets_agency
  before insert or update on public.workspace_targets
  for each row execute function private.target_agency_matches();

create table public.agency_alert_settings (
  agency_id uuid primary key references public.agencies (id) on delete cascade,
  viewers_get_budget_alerts boolean not null default false,
  -- projected month-end spend further than this from the budget raises an over/underspend alert
  pacing_alert_pct numeric(5, 2) not null default 10 check (pacing_alert_pct > 0 and pacing_alert_pct <= 100),
  -- CPA / ROAS rules look at the last N complete days
  target_window_days integer not null default 3 check (target_window_days between 1 and 28),
  updated_at timestamptz not null default now()
);

create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  rule text not null check (rule in ('spend_anomaly', 'cpa_above_target', 'roas_below_target', 'projected_overspend',
    'projected_underspend', 'zero_delivery', 'connection_reauth', 'connection_expiring', 'sync_failing', 'account_disabled')),
  -- what the alert is about, e.g. 'account:<uuid>', 'currency:USD', 'connection:<uuid>', 'campaign:<uuid>:<id>'
  subject text not null check (length(subject) between 1 and 200),
  subject_label text not null check (length(subject_label) <= 300),
  message text not null check (length(message) <= 1000),
  -- path inside the app where to act (the client's day, the connections page)
  link text not null check (link ~ '^/a/'),
  day date,
  details jsonb not null default '{}'::jsonb,
  opened_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  resolved_at timestamptz,
  check (resolved_at is null or resolved_at >= opened_at)
);
create unique index alerts_one_open_per_rule_subject on public.alerts (workspace_id, rule, subject) where resolved_at is null;
create index alerts_agency_id_idx on public.alerts (agency_id, opened_at desc);
create index alerts_workspace_id_idx on public.alerts (workspace_id, opened_at desc);

-- Per user and agency: email for all clients or only followed ones, and the digest hour.
create table public.alert_user_settings (
  user_id uuid not null references public.users (id) on delete cascade,
  agency_id uuid not null references public.agencies (id) on delete cascade,
  scope text not null default 'all' check (scope in ('all', 'followed')),
  digest_hour integer not null default 8 check (digest_hour between 0 and 23),
  digest_timezone text not null default 'UTC' check (length(digest_timezone) between 1 and 64),
  last_digest_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (user_id, agency_id)
);
create index alert_user_settings_agency_id_idx on public.alert_user_settings (agency_id);

-- Per user, agency and rule: immediately, in the daily digest, or off. No row = the rule's default.
create table public.alert_rule_preferences (
  user_id uuid not null references public.users (id) on delete cascade,
  agency_id uuid not null references public.agencies (id) on delete cascade,
  rule text not null check (rule in ('spend_anomaly', 'cpa_above_target', 'roas_below_target', 'projected_overspend',
    'projected_underspend', 'zero_delivery', 'connection_reauth', 'connection_expiring', 'sync_failing', 'account_disabled')),
  delivery text not null check (delivery in ('immediate', 'digest', 'off')),
  primary key (user_id, agency_id, rule)
);
create index alert_rule_preferences_agency_id_idx on public.alert_rule_preferences (agency_id);

create table public.alert_follows (
  user_id uuid not null references public.users (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  agency_id uuid not null references public.agencies (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, workspace_id)
);
create index alert_follows_workspace_id_idx on public.alert_follows (workspace_id);
create index alert_follows_agency_id_idx on public.alert_follows (agency_id);

create or replace function private.follow_agency_matches() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  select w.agency_id into new.agency_id from public.workspaces w where w.id = new.workspace_id;
  return new;
end
$$;
create trigger alert_follows_agency
  before insert or update on public.alert_follows
  for each row execute function private.follow_agency_matches();

create table private.alert_deliveries (
  alert_id uuid not null references public.alerts (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  channel text not null check (channel in ('immediate', 'digest')),
  sent_at timestamptz not null default now(),
  primary key (alert_id, user_id, channel)
);
create index alert_deliveries_user_id_idx on private.alert_deliveries (user_id);
alter table private.alert_deliveries enable row level security;
revoke all on private.alert_deliveries from public, anon, authenticated;
grant all on private.alert_deliveries to service_role;

-- Workspaces whose budget alerts the current user may read as a client viewer (agency opted in).
create or replace function private.viewer_budget_alert_workspace_ids()
returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select v.workspace_id from public.workspace_viewers v
  join public.agency_alert_settings s on s.agency_id = v.agency_id and s.viewers_get_budget_alerts
  where v.user_id = private.current_user_id()
$$;
revoke all on function private.viewer_budget_alert_workspace_ids() from public, anon;
grant execute on function private.viewer_budget_alert_workspace_ids() to authenticated, service_role;

alter table public.workspace_targets enable row level security;
alter table public.agency_alert_settings enable row level security;
alter table public.alerts enable row level security;
alter table public.alert_user_settings enable row level security;
alter table public.alert_rule_preferences enable row level security;
alter table public.alert_follows enable row level security;

revoke all on public.workspace_targets, public.agency_alert_settings, public.alerts, public.alert_user_settings,
  public.alert_rule_preferences, public.alert_follows from anon, authenticated;
grant all on public.workspace_targets, public.agency_alert_settings, public.alerts, public.alert_user_settings,
  public.alert_rule_preferences, public.alert_follows to service_role;

-- Targets: whoever sees the workspace reads them (the pacing card); owners and admins add rows.
-- History is append-only for people: no update or delete grant (a correction is a new row).
grant select on public.workspace_targets to authenticated;
grant insert (workspace_id, currency, effective_from, monthly_budget, daily_budget, target_cpa, target_roas,
  anomaly_min_spend, created_by) on public.workspace_targets to authenticated;
create policy "Workspace readers see targets" on public.workspace_targets
  for select to authenticated using (workspace_id = any (array(select private.visible_workspace_ids())));
create policy "Owners and admins set targets as themselves" on public.workspace_targets
  for insert to authenticated with check (
    agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin'])))
    and created_by = (select private.current_user_id())
  );

-- Agency alert settings: staff read, owners and admins change.
grant select, insert, update (viewers_get_budget_alerts, pacing_alert_pct, target_window_days, updated_at)
  on public.agency_alert_settings to authenticated;
create policy "Staff see their agency's alert settings" on public.agency_alert_settings
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Owners and admins create alert settings" on public.agency_alert_settings
  for insert to authenticated with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Owners and admins change alert settings" on public.agency_alert_settings
  for update to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))))
  with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));

-- Alerts: read-only for people.
grant select on public.alerts to authenticated;
create policy "Staff see their agency's alerts" on public.alerts
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Opted-in client viewers see their workspace's budget alerts" on public.alerts
  for select to authenticated using (
    rule in ('projected_overspend', 'projected_underspend')
    and workspace_id = any (array(select private.viewer_budget_alert_workspace_ids()))
  );

-- A user's own delivery settings, only in agencies they can enter.
grant select, insert, update (scope, digest_hour, digest_timezone, updated_at), delete on public.alert_user_settings to authenticated;
create policy "Users see their own alert settings" on public.alert_user_settings
  for select to authenticated using (user_id = (select private.current_user_id()));
create policy "Users create their own alert settings in their agencies" on public.alert_user_settings
  for insert to authenticated with check (
    user_id = (select private.current_user_id())
    and agency_id in (select a.id from private.my_agencies() a)
  );
create policy "Users change their own alert settings" on public.alert_user_settings
  for update to authenticated using (user_id = (select private.current_user_id()))
  with check (user_id = (select private.current_user_id()) and agency_id in (select a.id from private.my_agencies() a));
create policy "Users delete their own alert settings" on public.alert_user_settings
  for delete to authenticated using (user_id = (select private.current_user_id()));

grant select, insert, update (delivery), delete on public.alert_rule_preferences to authenticated;
create policy "Users see their own rule preferences" on public.alert_rule_preferences
  for select to authenticated using (user_id = (select private.current_user_id()));
create policy "Users create their own rule preferences in their agencies" on public.alert_rule_preferences
  for insert to authenticated with check (
    user_id = (select private.current_user_id())
    and agency_id in (select a.id from private.my_agencies() a)
  );
create policy "Users change their own rule preferences" on public.alert_rule_preferences
  for update to authenticated using (user_id = (select private.current_user_id()))
  with check (user_id = (select private.current_user_id()));
create policy "Users delete their own rule preferences" on public.alert_rule_preferences
  for delete to authenticated using (user_id = (select private.current_user_id()));

-- Following a client: agency staff, for workspaces of their agencies.
grant select, insert (user_id, workspace_id), delete on public.alert_follows to authenticated;
create policy "Users see whom they follow" on public.alert_follows
  for select to authenticated using (user_id = (select private.current_user_id()));
create policy "Staff follow clients of their agency" on public.alert_follows
  for insert to authenticated with check (
    user_id = (select private.current_user_id())
    and agency_id = any (array(select private.agency_ids_with_role()))
  );
create policy "Users unfollow" on public.alert_follows
  for delete to authenticated using (user_id = (select private.current_user_id()));

-- Alert emails go through the same outbox as the other templates.
alter table private.mail_outbox drop constraint if exists mail_outbox_template_check;
alter table private.mail_outbox add constraint mail_outbox_template_check
  check (template ~ '^[a-z][a-z0-9_]{0,39}$');
