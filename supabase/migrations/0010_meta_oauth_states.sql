-- "Connect Meta" OAuth attempts. The random `state` sent to Meta's dialog is bound to the user, the
-- browser session and the workspace that started it; it is single-use and lives 10 minutes. Only a
-- SHA-256 hash of the state is stored, so reading this table does not yield a usable state.
-- Service path only (the callback runs before we trust anything in the request): no grants to
-- anon or authenticated, RLS on with no policies.

create table private.meta_oauth_states (
  state_hash text primary key check (state_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid not null references public.users (id) on delete cascade,
  session_id text not null,
  workspace_id uuid not null references public.workspaces (id) on delete cascade,
  -- set when the attempt re-authorises an existing connection
  connection_id uuid references public.meta_connections (id) on delete cascade,
  redirect_uri text not null check (length(redirect_uri) <= 2000),
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index meta_oauth_states_user_id_idx on private.meta_oauth_states (user_id);
create index meta_oauth_states_workspace_id_idx on private.meta_oauth_states (workspace_id);
create index meta_oauth_states_connection_id_idx on private.meta_oauth_states (connection_id);
create index meta_oauth_states_expires_at_idx on private.meta_oauth_states (expires_at);

alter table private.meta_oauth_states enable row level security;
revoke all on private.meta_oauth_states from public, anon, authenticated;
grant all on private.meta_oauth_states to service_role;

-- One live connection per Facebook user (or system user) and workspace: reconnecting replaces the
-- token of the existing connection instead of piling up duplicates.
create unique index meta_connections_workspace_fb_user_key on public.meta_connections (workspace_id, kind, facebook_user_id)
  where status <> 'disconnected' and facebook_user_id is not null;
