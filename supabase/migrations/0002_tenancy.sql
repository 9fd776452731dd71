-- Tenancy: users, agencies (the tenant), members, client workspaces, viewers, invitations, audit log,
-- sessions. RLS on every table; grants and policies together; helpers are security definer with an
-- empty search_path in the private schema; every column a policy filters by is indexed.

create table public.users (
  id uuid primary key default gen_random_uuid(),
  email text not null check (length(email) between 3 and 254 and email = lower(email) and position('@' in email) > 1),
  name text check (name is null or length(name) <= 120),
  password_hash text,
  facebook_user_id text unique check (facebook_user_id is null or length(facebook_user_id) <= 64),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_email_key on public.users (lower(email));

create table public.agencies (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 120),
  slug text not null unique check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$'),
  plan_id text not null default 'trial',
  subscription_status text not null default 'trialing'
    check (subscription_status in ('trialing', 'active', 'past_due', 'canceled', 'incomplete', 'unpaid', 'none')),
  trial_ends_at timestamptz default (now() + interval '14 days'),
  current_period_end timestamptz,
  past_due_since timestamptz,
  stripe_customer_id text unique,
  stripe_subscription_id text unique,
  created_at timestamptz not null default now()
);

create table public.agency_members (
  agency_id uuid not null references public.agencies (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (agency_id, user_id)
);
create index agency_members_user_id_idx on public.agency_members (user_id);

create table public.workspaces (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 120),
  slug text not null check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$'),
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  unique (agency_id, slug)
);
create index workspaces_agency_id_idx on public.workspaces (agency_id);

create table public.workspace_viewers (
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  agency_id uuid not null references public.agencies (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (workspace_id, user_id)
);
create index workspace_viewers_user_id_idx on public.workspace_viewers (user_id);
create index workspace_viewers_agency_id_idx on public.workspace_viewers (agency_id);

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references public.agencies (id) on delete cascade,
  -- set for a client-viewer invitation to one workspace
  workspace_id uuid references public.workspaces (id) on delete cascade,
  email text not null check (length(email) between 3 and 254 and email = lower(email)),
  role text not null check (role in ('admin', 'member', 'viewer')),
  token_hash text not null unique,
  invited_by uuid references public.users (id) on delete set null,
  expires_at timestamptz not null default (now() + interval '7 days'),
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  check ((role = 'viewer') = (workspace_id is not null))
);
create index invitations_agency_id_idx on public.invitations (agency_id);
create index invitations_workspace_id_idx on public.invitations (workspace_id);

create table public.audit_log (
  id bigint generated always as identity primary key,
  agency_id uuid not null references public.agencies (id) on delete cascade,
  actor_user_id uuid references public.users (id) on delete set null,
  action text not null check (length(action) <= 80),
  target jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index audit_log_agency_id_idx on public.audit_log (agency_id, created_at desc);

-- Server-side sessions: the cookie carries only a random id; a new id on every login.
create table public.sessions (
  id text primary key,
  user_id uuid not null references public.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  user_agent text,
  ip text
);
create index sessions_user_id_idx on public.sessions (user_id);

-- Membership helpers (security definer: they read membership without recursing into its policies).
create or replace function private.agency_ids_with_role(roles text[] default array['owner', 'admin', 'member'])
returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select m.agency_id from public.agency_members m
  where m.user_id = private.current_user_id() and m.role = any (roles)
$$;

-- Workspaces the current user may read: every workspace of their agencies, plus those they view.
create or replace function private.visible_workspace_ids()
returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select w.id from public.workspaces w
  join public.agency_members m on m.agency_id = w.agency_id
  where m.user_id = private.current_user_id()
  union
  select v.workspace_id from public.workspace_viewers v
  where v.user_id = private.current_user_id()
$$;

-- Users the current user may see: themselves, and members of agencies they are a member of.
create or replace function private.visible_user_ids()
returns setof uuid
language sql stable security definer
set search_path = ''
as $$
  select private.current_user_id()
  union
  select m2.user_id from public.agency_members m1
  join public.agency_members m2 on m2.agency_id = m1.agency_id
  where m1.user_id = private.current_user_id()
  union
  -- agency staff see the client viewers of their agency's workspaces
  select v.user_id from public.workspace_viewers v
  join public.agency_members m on m.agency_id = v.agency_id
  where m.user_id = private.current_user_id()
$$;

create or replace function private.owner_count(p_agency uuid) returns bigint
language sql stable security definer
set search_path = ''
as $$
  select count(*) from public.agency_members m where m.agency_id = p_agency and m.role = 'owner'
$$;

grant execute on function private.agency_ids_with_role(text[]) to authenticated, service_role;
grant execute on function private.visible_workspace_ids() to authenticated, service_role;
grant execute on function private.visible_user_ids() to authenticated, service_role;
grant execute on function private.owner_count(uuid) to authenticated, service_role;

-- An agency always keeps at least one owner (enforced for every writer, service included).
create or replace function private.keep_one_owner() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.role = 'owner' and (tg_op = 'DELETE' or new.role <> 'owner') then
    if exists (select 1 from public.agencies a where a.id = old.agency_id)
       and (select count(*) from public.agency_members m
            where m.agency_id = old.agency_id and m.role = 'owner' and m.user_id <> old.user_id) = 0 then
      raise exception 'An agency must keep at least one owner' using errcode = 'P0001', hint = 'last_owner';
    end if;
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end
$$;
create trigger agency_members_keep_one_owner
  before update or delete on public.agency_members
  for each row execute function private.keep_one_owner();

-- A viewer row's agency must be its workspace's agency (policies filter by agency_id).
create or replace function private.viewer_agency_matches() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  select w.agency_id into new.agency_id from public.workspaces w where w.id = new.workspace_id;
  return new;
end
$$;
create trigger workspace_viewers_agency
  before insert or update on public.workspace_viewers
  for each row execute function private.viewer_agency_matches();

-- RLS on every table.
alter table public.users enable row level security;
alter table public.agencies enable row level security;
alter table public.agency_members enable row level security;
alter table public.workspaces enable row level security;
alter table public.workspace_viewers enable row level security;
alter table public.invitations enable row level security;
alter table public.audit_log enable row level security;
alter table public.sessions enable row level security;

-- Grants: anon gets nothing. authenticated gets what the policies then narrow down.
revoke all on public.users, public.agencies, public.agency_members, public.workspaces,
  public.workspace_viewers, public.invitations, public.audit_log, public.sessions from anon, authenticated;
grant all on public.users, public.agencies, public.agency_members, public.workspaces,
  public.workspace_viewers, public.invitations, public.audit_log, public.sessions to service_role;

-- users: never the password hash.
grant select (id, email, name, facebook_user_id, created_at) on public.users to authenticated;
grant update (name) on public.users to authenticated;
create policy "Users see themselves, their co-members and their clients" on public.users
  for select to authenticated using (id = any (array(select private.visible_user_ids())));
create policy "Users rename themselves" on public.users
  for update to authenticated using (id = (select private.current_user_id()))
  with check (id = (select private.current_user_id()));

-- agencies: members read; owners rename. Plan and Stripe fields change only through billing (service).
grant select on public.agencies to authenticated;
grant update (name) on public.agencies to authenticated;
create policy "Members see their agencies" on public.agencies
  for select to authenticated using (id = any (array(select private.agency_ids_with_role())));
create policy "Owners rename their agency" on public.agencies
  for update to authenticated using (id = any (array(select private.agency_ids_with_role(array['owner']))))
  with check (id = any (array(select private.agency_ids_with_role(array['owner']))));

-- agency_members
grant select, insert, update (role), delete on public.agency_members to authenticated;
create policy "Members see their agency's members" on public.agency_members
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));
create policy "Owners and admins add members; only owners add owners" on public.agency_members
  for insert to authenticated with check (
    agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin'])))
    and (role <> 'owner' or agency_id = any (array(select private.agency_ids_with_role(array['owner']))))
  );
create policy "Owners and admins change roles of others; only owners touch owners" on public.agency_members
  for update to authenticated using (
    user_id <> (select private.current_user_id())
    and agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin'])))
    and (role <> 'owner' or agency_id = any (array(select private.agency_ids_with_role(array['owner']))))
  ) with check (
    user_id <> (select private.current_user_id())
    and (role <> 'owner' or agency_id = any (array(select private.agency_ids_with_role(array['owner']))))
  );
create policy "Owners and admins remove members; only owners remove owners" on public.agency_members
  for delete to authenticated using (
    agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin'])))
    and (role <> 'owner' or agency_id = any (array(select private.agency_ids_with_role(array['owner']))))
  );

-- workspaces
grant select, insert, update (name, slug, archived_at), delete on public.workspaces to authenticated;
create policy "Staff and invited viewers see workspaces" on public.workspaces
  for select to authenticated using (id = any (array(select private.visible_workspace_ids())));
create policy "Owners and admins create workspaces" on public.workspaces
  for insert to authenticated with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Owners and admins edit workspaces" on public.workspaces
  for update to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))))
  with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Owners delete workspaces" on public.workspaces
  for delete to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner']))));

-- workspace_viewers
grant select, insert, delete on public.workspace_viewers to authenticated;
create policy "Staff see viewers; viewers see their own access" on public.workspace_viewers
  for select to authenticated using (
    agency_id = any (array(select private.agency_ids_with_role()))
    or user_id = (select private.current_user_id())
  );
create policy "Owners and admins grant viewer access" on public.workspace_viewers
  for insert to authenticated with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Owners and admins revoke viewer access" on public.workspace_viewers
  for delete to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));

-- invitations: never the token hash.
grant select (id, agency_id, workspace_id, email, role, invited_by, expires_at, accepted_at, revoked_at, created_at)
  on public.invitations to authenticated;
grant insert (agency_id, workspace_id, email, role, token_hash, invited_by, expires_at) on public.invitations to authenticated;
grant update (revoked_at, expires_at, token_hash) on public.invitations to authenticated;
grant delete on public.invitations to authenticated;
create policy "Owners and admins see invitations" on public.invitations
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Owners and admins invite; only owners invite admins" on public.invitations
  for insert to authenticated with check (
    agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin'])))
    and (role <> 'admin' or agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))))
  );
create policy "Owners and admins resend or revoke invitations" on public.invitations
  for update to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))))
  with check (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Owners and admins delete invitations" on public.invitations
  for delete to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));

-- audit_log: owners and admins read; any member appends as themselves; nobody edits history.
grant select, insert (agency_id, actor_user_id, action, target) on public.audit_log to authenticated;
create policy "Owners and admins read the audit log" on public.audit_log
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role(array['owner', 'admin']))));
create policy "Members append audit entries as themselves" on public.audit_log
  for insert to authenticated with check (
    agency_id = any (array(select private.agency_ids_with_role()))
    and actor_user_id = (select private.current_user_id())
  );

-- sessions: a user lists and ends their own sessions; creation happens at login (service).
grant select (id, user_id, created_at, last_seen_at, expires_at, user_agent, ip), delete on public.sessions to authenticated;
create policy "Users see their own sessions" on public.sessions
  for select to authenticated using (user_id = (select private.current_user_id()));
create policy "Users end their own sessions" on public.sessions
  for delete to authenticated using (user_id = (select private.current_user_id()));
