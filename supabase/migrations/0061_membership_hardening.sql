-- Security review, finding 9: definer helpers and membership inserts that reached across tenants.
--
-- 1. private.seats_in_use and private.owner_count are security definer (they must count rows the
--    caller cannot see), and `authenticated` could call them with any agency's id: a count oracle
--    over other tenants. They stay for the triggers (definer functions, which run as the owner) and
--    the service role; users get a checked wrapper that answers only for their own agencies.
-- 2. The insert policies on agency_members and workspace_viewers let an owner or admin of B add ANY
--    user id (say, a user of A) to B, after which B's staff could read that user's email through
--    private.visible_user_ids(). Nothing in the app inserts memberships as a user: people join by
--    accepting an invitation (private.accept_invitation, definer, which checks the invitation's
--    email), and agencies are created with their owner by a service transaction. So the direct
--    insert grants go; membership rows can no longer be forged under RLS.

revoke execute on function private.seats_in_use(uuid) from authenticated;
revoke execute on function private.owner_count(uuid) from authenticated;

-- Seats in use of one of the caller's own agencies (owners, admins and members may ask).
create or replace function private.agency_seats_in_use(p_agency uuid) returns bigint
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.agency_members m
    where m.agency_id = p_agency and m.user_id = private.current_user_id()
  ) then
    raise exception 'Not a member of this agency' using errcode = '42501';
  end if;
  return private.seats_in_use(p_agency);
end
$$;
revoke all on function private.agency_seats_in_use(uuid) from public;
grant execute on function private.agency_seats_in_use(uuid) to authenticated, service_role;

drop policy if exists "Owners and admins add members; only owners add owners" on public.agency_members;
revoke insert on public.agency_members from authenticated;

drop policy if exists "Owners and admins grant viewer access" on public.workspace_viewers;
revoke insert on public.workspace_viewers from authenticated;
