-- Agency staff read their agency's workspaces by agency_id.
--
-- The 0002 select policy goes through private.visible_workspace_ids(), which reads public.workspaces
-- itself. For `insert ... returning` Postgres checks the select policy against the new row, and the
-- helper's snapshot does not contain that row yet, so an owner or admin creating a client under RLS
-- was refused ("new row violates row-level security policy"). This policy answers the same question
-- for staff from membership alone (agency_ids_with_role reads agency_members), which also makes the
-- common staff case cheaper. Viewers keep the 0002 policy. workspaces.agency_id is indexed (0002).
create policy "Agency staff see their agency's workspaces" on public.workspaces
  for select to authenticated using (agency_id = any (array(select private.agency_ids_with_role())));
