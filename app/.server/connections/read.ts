/** The connections page's reads: a workspace's connections with their health, as RLS lets the user see them. */
import { asUser } from "../db/connection";
import { NotFoundError } from "../errors";
import { connectionHealth, type ConnectionKind, type ConnectionStatus, type ConnectionView } from "./model";

/** The workspace's connections with health and attached accounts, as RLS lets `userId` see them. */
export async function listConnections(userId: string, workspaceId: string, now = new Date()): Promise<ConnectionView[]> {
  return asUser(userId, async (tx) => {
    const rows = await tx<
      {
        id: string;
        kind: ConnectionKind;
        facebook_user_id: string | null;
        facebook_user_name: string | null;
        status: ConnectionStatus;
        status_reason: string | null;
        token_expires_at: Date | null;
        scopes: string[];
        created_at: Date;
      }[]
    >`select id, kind, facebook_user_id, facebook_user_name, status, status_reason, token_expires_at, scopes, created_at
      from public.meta_connections where workspace_id = ${workspaceId}
      order by (status = 'disconnected'), created_at desc`;
    const accounts = await tx<
      { id: string; connection_id: string | null; meta_account_id: string; name: string; currency: string; timezone_name: string; sync_status: string }[]
    >`
      select id, connection_id, meta_account_id, name, currency, timezone_name, sync_status
      from public.ad_accounts where workspace_id = ${workspaceId} order by name`;
    return rows.map((r) => {
      const h = connectionHealth(r, now);
      return {
        id: r.id,
        kind: r.kind,
        facebookUserId: r.facebook_user_id,
        facebookUserName: r.facebook_user_name,
        status: r.status,
        statusReason: r.status_reason,
        tokenExpiresAt: r.token_expires_at,
        scopes: r.scopes,
        createdAt: r.created_at,
        health: h.health,
        healthReason: h.reason,
        adAccounts: accounts
          .filter((a) => a.connection_id === r.id)
          .map((a) => ({
            id: a.id,
            metaAccountId: a.meta_account_id,
            name: a.name,
            currency: a.currency,
            timezoneName: a.timezone_name,
            syncStatus: a.sync_status,
          })),
      };
    });
  });
}

/** `/a/<agency>/w/<workspace>/connections` for a workspace this user can see (RLS), else 404. */
export async function connectionsPath(userId: string, workspaceId: string): Promise<string> {
  const [w] = await asUser(
    userId,
    (tx) => tx<{ agency_slug: string; slug: string }[]>`
    select a.slug as agency_slug, w.slug from public.workspaces w join private.my_agencies() a on a.id = w.agency_id where w.id = ${workspaceId}`,
  );
  if (!w) throw new NotFoundError();
  return `/a/${w.agency_slug}/w/${w.slug}/connections`;
}
