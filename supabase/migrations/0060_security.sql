-- Security: shared abuse-limit counters and Meta data-deletion requests.
--
-- Rate-limit counters live in Postgres so every app process sees the same counts. The table is
-- private; the only way in is private.hit_rate_limit(), a security definer function that anonymous
-- requests may call (login and sign-up happen before anyone is a user). Keys are hashes, never raw
-- e-mail addresses or IPs.

create table private.rate_limits (
  bucket text primary key check (length(bucket) <= 128),
  window_start timestamptz not null,
  hits integer not null
);
create index rate_limits_window_start_idx on private.rate_limits (window_start);
alter table private.rate_limits enable row level security;
revoke all on private.rate_limits from public, anon, authenticated;
grant all on private.rate_limits to service_role;

-- Counts one hit in a fixed window of p_window_seconds and answers the hits so far in this window and
-- the seconds until it ends. One statement, one row per bucket: cheap enough for every login.
create or replace function private.hit_rate_limit(p_bucket text, p_window_seconds integer)
returns table (hits integer, retry_after_seconds integer)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_now timestamptz := clock_timestamp();
  v_window timestamptz;
begin
  if p_window_seconds is null or p_window_seconds < 1 or p_window_seconds > 86400 then
    raise exception 'window must be 1..86400 seconds' using errcode = '22023';
  end if;
  v_window := to_timestamp(floor(extract(epoch from v_now) / p_window_seconds) * p_window_seconds);
  return query
  insert into private.rate_limits as r (bucket, window_start, hits)
  values (p_bucket, v_window, 1)
  on conflict (bucket) do update
    set hits = case when r.window_start = excluded.window_start then r.hits + 1 else 1 end,
        window_start = excluded.window_start
  returning r.hits,
    greatest(1, ceil(extract(epoch from (r.window_start + make_interval(secs => p_window_seconds) - v_now))))::integer;
end
$$;
revoke all on function private.hit_rate_limit(text, integer) from public;
grant execute on function private.hit_rate_limit(text, integer) to anon, authenticated, service_role;

-- Drops counters whose window ended long ago (called now and then by the limiter itself).
create or replace function private.prune_rate_limits()
returns void
language sql volatile security definer
set search_path = ''
as $$
  delete from private.rate_limits where window_start < now() - interval '1 day'
$$;
revoke all on function private.prune_rate_limits() from public;
grant execute on function private.prune_rate_limits() to anon, authenticated, service_role;

-- Meta data-deletion requests: Meta gives the person a URL with a confirmation code where they can
-- check the status. We keep a hash of the Facebook user id (to show what was asked), not the id.
create table public.meta_deletion_requests (
  confirmation_code text primary key check (confirmation_code ~ '^[A-Za-z0-9_-]{16,64}$'),
  facebook_user_hash text not null,
  status text not null default 'pending' check (status in ('pending', 'completed')),
  connections_removed integer not null default 0,
  secrets_removed integer not null default 0,
  requested_at timestamptz not null default now(),
  completed_at timestamptz
);
alter table public.meta_deletion_requests enable row level security;
revoke all on public.meta_deletion_requests from public, anon, authenticated;
grant all on public.meta_deletion_requests to service_role;
-- No policy for anon/authenticated: the status page reads one row by its unguessable code through
-- the function below, so nobody can list requests.

create or replace function private.meta_deletion_status(p_code text)
returns table (status text, requested_at timestamptz, completed_at timestamptz, connections_removed integer)
language sql stable security definer
set search_path = ''
as $$
  select d.status, d.requested_at, d.completed_at, d.connections_removed
  from public.meta_deletion_requests d
  where d.confirmation_code = p_code
$$;
revoke all on function private.meta_deletion_status(text) from public;
grant execute on function private.meta_deletion_status(text) to anon, authenticated, service_role;
