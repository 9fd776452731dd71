-- Realtime Broadcast from the database, on Supabase only (ADR 0050, ADR 0110).
--
-- Every engine applies this file (one history shared with the Supabase CLI), but it only defines
-- functions here. What touches Supabase's realtime schema runs when that schema is there, detected by
-- to_regclass / to_regprocedure and reached through dynamic SQL, so plain PostgreSQL and PGlite never
-- need the objects to exist. private.install_realtime_policies() is also called at every app boot,
-- because Supabase's Realtime service creates its schema itself and may do so after migrations ran.

-- May the current user (request.jwt.claims, as Realtime sets it when a client joins) read the private
-- topic `workspace:<uuid>`? Exactly the workspaces RLS shows them on public.workspaces.
create or replace function private.can_read_workspace_topic(p_topic text) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if p_topic is null or p_topic !~ '^workspace:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  return substr(p_topic, 11)::uuid in (select private.visible_workspace_ids());
end
$$;
revoke all on function private.can_read_workspace_topic(text) from public;
grant execute on function private.can_read_workspace_topic(text) to authenticated, service_role;

-- Is this database Supabase-shaped for Broadcast (realtime.messages, realtime.topic(), realtime.send)?
create or replace function private.supabase_realtime_present() returns boolean
language sql stable
set search_path = ''
as $$
  select to_regclass('realtime.messages') is not null
     and to_regprocedure('realtime.topic()') is not null
     and to_regprocedure('realtime.send(jsonb, text, text, boolean)') is not null
$$;
revoke all on function private.supabase_realtime_present() from public;

-- The select policy Realtime evaluates when an `authenticated` client joins a private channel.
-- Broadcast only (no presence), only our topics, only visible workspaces. Returns whether Realtime
-- is present.
create or replace function private.install_realtime_policies() returns boolean
language plpgsql
set search_path = ''
as $$
begin
  if not private.supabase_realtime_present() then
    return false;
  end if;
  if not exists (
    select 1 from pg_catalog.pg_policies
    where schemaname = 'realtime' and tablename = 'messages' and policyname = 'spendlane: members read workspace broadcasts'
  ) then
    execute $sql$
      create policy "spendlane: members read workspace broadcasts" on realtime.messages
      for select to authenticated
      using (
        extension = 'broadcast'
        and (select private.can_read_workspace_topic((select realtime.topic())))
      )
    $sql$;
  end if;
  return true;
end
$$;
revoke all on function private.install_realtime_policies() from public;

-- Sends one of our events to the private topic workspace:<id> in the caller's transaction (Realtime
-- delivers the row after commit). A no-op where Realtime is absent.
create or replace function private.broadcast_workspace_event(p_workspace uuid, p_event text, p_payload jsonb) returns void
language plpgsql
set search_path = ''
as $$
begin
  if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is null then
    return;
  end if;
  execute 'select realtime.send($1, $2, $3, true)' using p_payload, p_event, 'workspace:' || p_workspace::text;
end
$$;
revoke all on function private.broadcast_workspace_event(uuid, text, jsonb) from public;
grant execute on function private.broadcast_workspace_event(uuid, text, jsonb) to service_role;

select private.install_realtime_policies();
