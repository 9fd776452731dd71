-- Roles and identity helpers.
-- The roles exist on Supabase already; elsewhere (plain PostgreSQL, PGlite) we create them.
-- The current user comes from `request.jwt.claims` (set per transaction by asUser), not from
-- Supabase's auth schema, so the same SQL runs on every engine.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

-- The connecting role must be able to `set role` to these (already true for Supabase's postgres).
do $$
begin
  execute format('grant anon, authenticated, service_role to %I', current_user);
exception when others then
  null;
end
$$;

-- Helpers live in a schema that is never exposed through an API.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

-- Functions are not executable by PUBLIC unless granted explicitly.
alter default privileges revoke execute on functions from public;

create or replace function private.current_user_id() returns uuid
language sql stable
set search_path = ''
as $$
  select nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')::uuid
$$;
grant execute on function private.current_user_id() to anon, authenticated, service_role;

