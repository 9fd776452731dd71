-- Codebase health (issue #20): the invitation insert policy of 0002_tenancy.sql was named
-- "...; only owners invite admins", but it lets owners and admins invite with any invitable role
-- (admin, member, client viewer; ADR 0031: admins may invite admins). Renamed for what it does; the
-- rule itself is unchanged. Nobody is invited as owner: the table's role check has no 'owner'.
alter policy "Owners and admins invite; only owners invite admins" on public.invitations
  rename to "Owners and admins invite admins, members and client viewers";
