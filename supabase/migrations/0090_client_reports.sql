-- Client reports (issue #15, ADR 0090): agency branding, report templates, schedules, deliveries with
-- an idempotency key per (schedule, period, recipient), and share links stored as hashes.
-- RLS on every table; grants and policies together; every column a policy filters by is indexed.
--
-- Who may do what:
--   branding        read: agency staff and the agency's client viewers (their pages are branded);
--                   write: owners and admins
--   templates       staff (owner, admin, member) read and write; client viewers nothing
--   schedules       staff read and write; client viewers nothing
--   deliveries      staff read; only the delivery engine (service) writes
--   share links     staff read (never the token hash) and revoke; only the delivery engine creates;
--                   anonymous readers go through the server, which looks a link up by its hash

-- Plan limits for reports: schedules per agency (null = unlimited) and whether the
-- "Powered by Spendlane" footer may be removed (white label).
alter table public.plans add column report_schedules integer check (report_schedules is null or report_schedules >= 0);
alter table public.plans add column white_label boolean not null default false;
update public.plans set report_schedules = 50, white_label = true where id in ('trial', 'growth');
update public.plans set report_schedules = 5, white_label = false where id = 'starter';
update public.plans set report_schedules = null, white_label = true where id = 'scale';

-- One row per agency: white label and report settings.
create table public.agency_branding (
  agency_id uuid primary key references public.agencies (id) on delete cascade,
  display_name text check (display_name is null or length(btrim(display_name)) between 1 and 120),
  brand_color text not null default '#2563eb' check (brand_color ~ '^#[0-9a-f]{6}$'),
  reply_to text check (reply_to is null or (length(reply_to) between 3 and 254 and reply_to = lower(reply_to) and reply_to ~ '^[^@\s<>"]+@[^@\s<>"]+$')),
  -- PNG or JPEG only (SVG can carry script), capped at 256 KiB; checked for type by magic bytes in
  -- app/.server/reports/branding.ts and for size here as the last line of defence
  logo bytea check (logo is null or octet_length(logo) <= 262144),
  logo_type text check (logo_type in ('image/png', 'image/jpeg')),
  -- the time zone schedules fire in, and the paper size of PDFs
  timezone text not null default 'UTC' check (length(timezone) between 1 and 64),
  page_size text not null default 'A4' check (page_size in ('A4', 'LETTER')),
  -- honoured only on plans with white_label (checked when rendering, so a downgrade restores it)
  hide_powered_by boolean not null default false,
  updated_at timestamptz not null default now(),
  check ((logo is null) = (logo_type is null))
);

create table public.report_templates (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 120),
  -- ordered section kinds, e.g. ["kpis","daily_chart","campaigns","platforms","commentary"]; the list
  -- of kinds lives in app/.server/reports/sections.ts so new kinds need no migration
  sections jsonb not null check (jsonb_typeof(sections) = 'array' and jsonb_array_length(sections) between 1 and 20),
  range_preset text not null check (range_preset in ('last_week', 'last_month', 'month_to_date', 'last_7d', 'last_28d', 'last_30d')),
  compare text not null default 'previous' check (compare in ('previous', 'year', 'none')),
  -- the agency's words for the next report; frozen into each period's share link when it is sent
  commentary text not null default '' check (length(commentary) <= 5000),
  created_by uuid references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index report_templates_agency_id_idx on public.report_templates (agency_id);
create index report_templates_workspace_id_idx on public.report_templates (workspace_id);

create table public.report_schedules (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  template_id uuid not null references public.report_templates (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 120),
  frequency text not null check (frequency in ('weekly', 'monthly')),
  -- ISO weekday, 1 = Monday (weekly); day of month 1..28 so every month has it (monthly)
  weekday smallint check (weekday between 1 and 7),
  day_of_month smallint check (day_of_month between 1 and 28),
  hour smallint not null check (hour between 0 and 23),
  viewer_ids uuid[] not null default '{}' check (cardinality(viewer_ids) <= 50),
  external_emails text[] not null default '{}' check (cardinality(external_emails) <= 50),
  enabled boolean not null default true,
  next_run_at timestamptz,
  last_run_at timestamptz,
  created_by uuid references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((frequency = 'weekly') = (weekday is not null)),
  check ((frequency = 'monthly') = (day_of_month is not null))
);
create index report_schedules_agency_id_idx on public.report_schedules (agency_id);
create index report_schedules_workspace_id_idx on public.report_schedules (workspace_id);
create index report_schedules_template_id_idx on public.report_schedules (template_id);
create index report_schedules_due_idx on public.report_schedules (next_run_at) where enabled;

-- A share link: the web report of one schedule and period. The token is never stored; its SHA-256 is.
-- One live (unrevoked) link per schedule and period, reused by every email of that period.
create table public.report_share_links (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  schedule_id uuid not null references public.report_schedules (id) on delete cascade,
  period_since date not null,
  period_until date not null,
  -- what the report showed when it was sent (sections, comparison, commentary), so the link keeps
  -- showing that report even when the template changes later
  snapshot jsonb not null,
  token_hash text not null unique check (length(token_hash) = 64),
  expires_at timestamptz not null default (now() + interval '90 days'),
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  check (period_since <= period_until)
);
create unique index report_share_links_live_key on public.report_share_links (schedule_id, period_since, period_until) where revoked_at is null;
create index report_share_links_agency_id_idx on public.report_share_links (agency_id);
create index report_share_links_workspace_id_idx on public.report_share_links (workspace_id);

-- One row per recipient per (schedule, period): the idempotency key makes a second insert of the same
-- delivery a no-op, and a row lock held while sending makes two workers send it at most once.
create table public.report_deliveries (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  schedule_id uuid not null references public.report_schedules (id) on delete cascade,
  share_link_id uuid references public.report_share_links (id) on delete set null,
  kind text not null check (kind in ('scheduled', 'manual', 'test')),
  period_since date not null,
  period_until date not null,
  recipient_email text not null check (length(recipient_email) between 3 and 254 and recipient_email = lower(recipient_email)),
  idempotency_key text not null unique check (length(idempotency_key) <= 400),
  status text not null default 'pending' check (status in ('pending', 'retrying', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text check (length(last_error) <= 500),
  pdf_bytes integer,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  check (period_since <= period_until)
);
create index report_deliveries_agency_id_idx on public.report_deliveries (agency_id);
create index report_deliveries_workspace_id_idx on public.report_deliveries (workspace_id);
create index report_deliveries_schedule_id_idx on public.report_deliveries (schedule_id, created_at desc);
create index report_deliveries_due_idx on public.report_deliveries (next_attempt_at) where status in ('pending', 'retrying');
create index report_deliveries_share_link_id_idx on public.report_deliveries (share_link_id);

-- Rows of one agency point at that agency's workspace (policies filter by agency_id). Security definer
-- so the agency is always the workspace's, whoever writes: a row for another agency's workspace then
-- fails that agency's policy instead of slipping in under the writer's own agency id.
create or replace function private.report_row_agency() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  select w.agency_id into new.agency_id from public.workspaces w where w.id = new.workspace_id;
  return new;
end
$$;
create trigger report_templates_agency before insert or update of workspace_id, agency_id on public.report_templates
  for each row execute function private.report_row_agency();
create trigger report_schedules_agency before insert or update of workspace_id, agency_id on public.report_schedules
  for each row execute function private.report_row_agency();

-- A schedule's template must belong to the same workspace.
create or replace function private.report_schedule_template_matches() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.report_templates t where t.id = new.template_id and t.workspace_id = new.workspace_id) then
    raise exception 'The template belongs to another client' using errcode = 'P0001', hint = 'report_template';
  end if;
  return new;
end
$$;
create trigger report_schedules_template before insert or update of template_id, workspace_id on public.report_schedules
  for each row execute function private.report_schedule_template_matches();

-- Schedules per plan, enforced for every writer (same pattern as clients and seats in 0040).
create or replace function private.enforce_report_schedule_limit() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_plan record;
  v_count bigint;
begin
  select p.name, p.report_schedules into v_plan
  from public.agencies a join public.plans p on p.id = a.plan_id
  where a.id = new.agency_id
  for update of a;
  if v_plan.report_schedules is null then
    return new;
  end if;
  select count(*) into v_count from public.report_schedules s where s.agency_id = new.agency_id;
  if v_count >= v_plan.report_schedules then
    raise exception 'The % plan includes % report schedules, and all are in use', v_plan.name, v_plan.report_schedules
      using errcode = 'P0001', hint = 'plan_limit:report_schedules';
  end if;
  return new;
end
$$;
create trigger report_schedules_limit before insert on public.report_schedules
  for each row execute function private.enforce_report_schedule_limit();

alter table public.agency_branding enable row level security;
alter table public.report_templates enable row level security;
alter table public.report_schedules enable row level security;
alter table public.report_share_links enable row level security;
alter table public.report_deliveries enable row level security;

revoke all on public.agency_branding, public.report_templates, public.report_schedules,
  public.report_share_links, public.report_deliveries from anon, authenticated;
grant all on public.agency_branding, public.report_templates, public.report_schedules,
  public.report_share_links, public.report_deliveries to service_role;

-- branding
grant select, insert, update (display_name, brand_color, reply_to, logo, logo_type, timezone, page_size, hide_powered_by, updated_at)
  on public.agency_branding to authenticated;
create policy "Staff and the agency's client viewers read its branding" on public.agency_branding
  for select to authenticated using (
    agency_id = any (array(select private.agency_ids_with_role()))
    or exists (select 1 from public.workspace_viewers v
               where v.agency_id = agency_branding.agency_id and v.user_id = (select private.current_user_id()))
  );
create policy "Owners and admins create their agency's branding" on public.agency_branding
  for insert to authenticated with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Owners and admins edit their agency's branding" on public.agency_branding
  for update to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))))
  with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));

-- templates
grant select, insert (workspace_id, agency_id, name, sections, range_preset, compare, commentary, created_by),
  update (name, sections, range_preset, compare, commentary, updated_at), delete on public.report_templates to authenticated;
create policy "Staff read report templates" on public.report_templates
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Staff create report templates" on public.report_templates
  for insert to authenticated with check (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Staff edit report templates" on public.report_templates
  for update to authenticated using (agency_id = any (array(select private.agency_ids_with_role())))
  with check (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Staff delete report templates" on public.report_templates
  for delete to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));

-- schedules
grant select, insert (workspace_id, agency_id, template_id, name, frequency, weekday, day_of_month, hour, viewer_ids, external_emails, enabled, next_run_at, created_by),
  update (template_id, name, frequency, weekday, day_of_month, hour, viewer_ids, external_emails, enabled, next_run_at, updated_at), delete
  on public.report_schedules to authenticated;
create policy "Staff read report schedules" on public.report_schedules
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Staff create report schedules" on public.report_schedules
  for insert to authenticated with check (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Staff edit report schedules" on public.report_schedules
  for update to authenticated using (agency_id = any (array(select private.agency_ids_with_role())))
  with check (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Staff delete report schedules" on public.report_schedules
  for delete to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));

-- share links: never the token hash; staff revoke
grant select (id, agency_id, workspace_id, schedule_id, period_since, period_until, expires_at, revoked_at, created_at),
  update (revoked_at) on public.report_share_links to authenticated;
create policy "Staff read share links" on public.report_share_links
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Staff revoke share links" on public.report_share_links
  for update to authenticated using (agency_id = any (array(select private.agency_ids_with_role())))
  with check (agency_id = any (array(select private.agency_ids_with_role())));

-- deliveries: the log is read-only for people
grant select on public.report_deliveries to authenticated;
create policy "Staff read the delivery log" on public.report_deliveries
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));

-- The development outbox carries report emails too: the template list is open-ended (other features
-- add their own), the name format is checked instead; attachments are recorded by name and size.
alter table private.mail_outbox drop constraint if exists mail_outbox_template_check;
alter table private.mail_outbox add constraint mail_outbox_template_format check (template ~ '^[a-z_]{1,40}$');
alter table private.mail_outbox add column if not exists reply_to text;
alter table private.mail_outbox add column if not exists attachments jsonb not null default '[]'::jsonb;
