/**
 * Client workspaces from the agency's side: create, rename, archive, restore, delete, and the client
 * viewers who may read one workspace. Owners and admins manage; only owners delete. Every change
 * writes an audit entry in the same transaction.
 */
import { z } from "zod";
import { asService, asUser, type Tx } from "../db/connection";
import { InputError, NotFoundError, fieldErrors } from "../errors";
import { assertCanAddClient, assertWritable, limitErrorFrom } from "../billing/limits";
import { deleteSecret } from "../meta/vault";
import { nameSchema } from "./validation";
import { insertWorkspace } from "./workspaces";
import { mapDbError, recordAudit, requireManager } from "./members";

export interface ClientRef {
  id: string;
  slug: string;
  name: string;
  archivedAt: Date | null;
}

async function findClient(tx: Tx, agencyId: string, workspaceId: string): Promise<ClientRef> {
  if (!z.uuid().safeParse(workspaceId).success) throw new NotFoundError("Client not found");
  const [ws] = await tx<ClientRef[]>`
    select id, slug, name, archived_at as "archivedAt" from public.workspaces
    where id = ${workspaceId} and agency_id = ${agencyId}`;
  if (!ws) throw new NotFoundError("Client not found");
  return ws;
}

/** Adds a client (owners and admins; the plan's client limit applies). */
export async function createClient(actorUserId: string, agencyId: string, input: { name: string; slug?: string }) {
  return asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const ws = await insertWorkspace(tx, agencyId, input);
    await recordAudit(tx, agencyId, actorUserId, "client.create", { workspaceId: ws.id, name: ws.name, slug: ws.slug });
    return ws;
  });
}

export const renameSchema = z.object({ name: nameSchema });

export async function renameClient(actorUserId: string, agencyId: string, workspaceId: string, input: unknown) {
  const parsed = renameSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the name", fieldErrors(parsed.error.issues));
  return asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const ws = await findClient(tx, agencyId, workspaceId);
    // A read-only agency (billing) keeps its data as it was: no renames either.
    await assertWritable(tx, agencyId);
    if (ws.name === parsed.data.name) return ws;
    const [row] = await tx<ClientRef[]>`
      update public.workspaces set name = ${parsed.data.name} where id = ${ws.id}
      returning id, slug, name, archived_at as "archivedAt"`;
    if (!row) throw new NotFoundError("Client not found");
    await recordAudit(tx, agencyId, actorUserId, "client.rename", { workspaceId: ws.id, from: ws.name, to: row.name });
    return row;
  });
}

/** Archive hides a client from syncing and frees its plan slot; data stays. Restore takes a slot again. */
export async function setClientArchived(actorUserId: string, agencyId: string, workspaceId: string, archived: boolean) {
  return asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const ws = await findClient(tx, agencyId, workspaceId);
    // Read-only (billing): archiving would free a slot and restoring take one; neither while read-only.
    await assertWritable(tx, agencyId);
    if (Boolean(ws.archivedAt) === archived) return ws;
    if (!archived) await assertCanAddClient(tx, agencyId);
    let row: ClientRef | undefined;
    try {
      [row] = await tx.savepoint(
        (sp) => sp<ClientRef[]>`
        update public.workspaces set archived_at = ${archived ? sp`now()` : null} where id = ${ws.id}
        returning id, slug, name, archived_at as "archivedAt"`,
      );
    } catch (err) {
      const limit = limitErrorFrom(err);
      if (limit) throw limit;
      mapDbError(err);
    }
    if (!row) throw new NotFoundError("Client not found");
    await recordAudit(tx, agencyId, actorUserId, archived ? "client.archive" : "client.restore", { workspaceId: ws.id, name: ws.name });
    return row;
  });
}

export const deleteConfirmSchema = z.object({ confirm: z.string().trim().min(1, "Type the client's name to confirm") });

/**
 * Deletes a client and everything in it (owner only, typed confirmation of the client's name).
 *
 * Meta tokens live in the service-only vault and the workspace row's cascade would drop the ids that
 * point to them, so the deletion runs as a service transaction: it re-checks ownership in that same
 * transaction, deletes the vault secrets of the workspace's connections, then the workspace row
 * (cascading to connections, ad accounts, facts, viewers and invitations), and writes the audit entry.
 * Any failure rolls all of it back. The first, RLS-scoped pass gives outsiders a 404 and clear errors.
 */
export async function deleteClient(actorUserId: string, agencyId: string, workspaceId: string, input: unknown) {
  const parsed = deleteConfirmSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Confirm the deletion", fieldErrors(parsed.error.issues));
  const ws = await asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId, ["owner"]);
    return findClient(tx, agencyId, workspaceId);
  });
  if (parsed.data.confirm !== ws.name) {
    throw new InputError("The name does not match", { confirm: `Type ${ws.name} exactly to confirm` });
  }
  return asService(async (tx) => {
    const [owner] = await tx`
      select 1 from public.agency_members where agency_id = ${agencyId} and user_id = ${actorUserId} and role = 'owner'`;
    if (!owner) throw new NotFoundError();
    const secrets = await tx<{ id: string }[]>`
      select token_secret_id as id from public.meta_connections
      where workspace_id = ${ws.id} and agency_id = ${agencyId} and token_secret_id is not null
      for update`;
    for (const s of secrets) await deleteSecret(tx, s.id);
    const deleted = await tx`delete from public.workspaces where id = ${ws.id} and agency_id = ${agencyId} returning id`;
    if (deleted.length !== 1) throw new NotFoundError("Client not found");
    await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
      values (${agencyId}, ${actorUserId}, 'client.delete', ${tx.json({ workspaceId: ws.id, name: ws.name, slug: ws.slug, secretsDeleted: secrets.length })})`;
    return { id: ws.id, secretsDeleted: secrets.length };
  });
}

export interface ViewerRow {
  userId: string;
  email: string;
  name: string | null;
  createdAt: Date;
}

export async function listViewers(actorUserId: string, agencyId: string, workspaceId: string): Promise<ViewerRow[]> {
  return asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    await findClient(tx, agencyId, workspaceId);
    return tx<ViewerRow[]>`
      select v.user_id as "userId", u.email, u.name, v.created_at as "createdAt"
      from public.workspace_viewers v join public.users u on u.id = v.user_id
      where v.workspace_id = ${workspaceId} and v.agency_id = ${agencyId}
      order by u.email`;
  });
}

/** Ends a client viewer's access to one workspace (their account stays). */
export async function revokeViewer(actorUserId: string, agencyId: string, workspaceId: string, viewerUserId: string) {
  await asUser(actorUserId, async (tx) => {
    await requireManager(tx, agencyId, actorUserId);
    const ws = await findClient(tx, agencyId, workspaceId);
    if (!z.uuid().safeParse(viewerUserId).success) throw new NotFoundError("Viewer not found");
    const [viewer] = await tx<{ email: string }[]>`
      select u.email from public.workspace_viewers v join public.users u on u.id = v.user_id
      where v.workspace_id = ${ws.id} and v.agency_id = ${agencyId} and v.user_id = ${viewerUserId}`;
    if (!viewer) throw new NotFoundError("Viewer not found");
    const deleted = await tx`
      delete from public.workspace_viewers
      where workspace_id = ${ws.id} and agency_id = ${agencyId} and user_id = ${viewerUserId} returning user_id`;
    if (deleted.length !== 1) throw new NotFoundError("Viewer not found");
    await recordAudit(tx, agencyId, actorUserId, "viewer.revoke", { workspaceId: ws.id, userId: viewerUserId, email: viewer.email });
  });
}
