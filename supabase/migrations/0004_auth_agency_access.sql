-- Agency access for the app shell and route guards.
-- Client viewers are not agency members, so the agencies policy ("Members see their agencies") hides
-- their agency's row, yet the shell must resolve /a/<agency> for them (name and slug only: never
-- plan or Stripe fields). This helper answers "which agencies can the current user enter, and as
-- what" in one place: members with their role, viewers of at least one workspace as 'viewer'.
-- Security definer with an empty search_path; it filters by private.current_user_id() itself.

create or replace function private.my_agencies()
returns table (id uuid, slug text, name text, role text)
language sql stable security definer
set search_path = ''
as $$
  select a.id, a.slug, a.name, m.role
  from public.agency_members m
  join public.agencies a on a.id = m.agency_id
  where m.user_id = private.current_user_id()
  union all
  select a.id, a.slug, a.name, 'viewer'
  from public.agencies a
  where a.id in (select v.agency_id from public.workspace_viewers v where v.user_id = private.current_user_id())
    and not exists (
      select 1 from public.agency_members m
      where m.agency_id = a.id and m.user_id = private.current_user_id()
    )
$$;
revoke all on function private.my_agencies() from public, anon;
grant execute on function private.my_agencies() to authenticated, service_role;
