/**
 * Connecting a workspace to Meta: the OAuth dialog and its callback, or a pasted system-user token.
 * Tokens go to the vault on the service path; a connection of the same Facebook user is reconnected
 * in place. Meta is called outside database transactions (the embedded engine serialises them).
 */
import { z } from "zod";
import { asService, type Tx } from "../db/connection";
import { InputError, NotFoundError } from "../errors";
import { assertWritable } from "../billing/limits";
import { logger } from "../logger";
import { listMetaAdAccounts, type MetaAdAccount } from "../meta/ad-accounts";
import { graphClientFromEnv } from "../meta/graph";
import { consumeOAuthAttempt, createOAuthAttempt, exchangeCode, exchangeLongLived, inspectToken, metaApp, type TokenInfo } from "../meta/oauth";
import { auditMeta } from "../meta/token-store";
import { deleteSecret, storeSecret } from "../meta/vault";
import { configuredVersionStatus } from "../meta/version-health";
import { tokenInputSchema, type ConnectionKind } from "./model";

const log = logger.child({ module: "meta.connections" });

interface NewConnection {
  agencyId: string;
  workspaceId: string;
  actorUserId: string | null;
  kind: ConnectionKind;
  token: string;
  info: TokenInfo;
  facebookUserName: string | null;
  /** re-authorise this connection instead of matching by Facebook user */
  connectionId?: string | null;
}

/**
 * Stores the token in the vault and creates the connection, or, when this Facebook user (or the
 * given connection) is already connected to the workspace, replaces its token and makes it active
 * again (that is what "reconnect" does). Service path.
 */
async function saveConnection(tx: Tx, c: NewConnection): Promise<{ connectionId: string; reconnected: boolean }> {
  const [existing] = c.connectionId
    ? await tx<{ id: string; token_secret_id: string | null; facebook_user_id: string | null }[]>`
        select id, token_secret_id, facebook_user_id from public.meta_connections
        where id = ${c.connectionId} and workspace_id = ${c.workspaceId} and status <> 'disconnected' for update`
    : await tx<{ id: string; token_secret_id: string | null; facebook_user_id: string | null }[]>`
        select id, token_secret_id, facebook_user_id from public.meta_connections
        where workspace_id = ${c.workspaceId} and kind = ${c.kind} and facebook_user_id = ${c.info.userId} and status <> 'disconnected'
        for update`;
  if (existing && existing.facebook_user_id && existing.facebook_user_id !== c.info.userId) {
    throw new InputError("You signed in to Meta as a different person than the one this connection belongs to. Sign in as them, or add a new connection.");
  }
  const secretId = await storeSecret(tx, c.token);
  if (existing) {
    await tx`update public.meta_connections set token_secret_id = ${secretId}, token_expires_at = ${c.info.expiresAt}, scopes = ${c.info.scopes},
      facebook_user_name = coalesce(${c.facebookUserName}, facebook_user_name), status = 'active', status_reason = null, updated_at = now()
      where id = ${existing.id}`;
    if (existing.token_secret_id) await deleteSecret(tx, existing.token_secret_id);
    await tx`update public.ad_accounts set sync_status = 'pending', sync_error = null
      where connection_id = ${existing.id} and sync_status = 'needs_reauth'`;
    await auditMeta(tx, c.agencyId, c.actorUserId, "meta.reauth", {
      connectionId: existing.id,
      workspaceId: c.workspaceId,
      kind: c.kind,
      facebookUserId: c.info.userId,
    });
    return { connectionId: existing.id, reconnected: true };
  }
  const [row] = await tx<{ id: string }[]>`
    insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, facebook_user_name, token_secret_id, token_expires_at, scopes, created_by)
    values (${c.agencyId}, ${c.workspaceId}, ${c.kind}, ${c.info.userId}, ${c.facebookUserName}, ${secretId}, ${c.info.expiresAt}, ${c.info.scopes}, ${c.actorUserId})
    returning id`;
  await auditMeta(tx, c.agencyId, c.actorUserId, "meta.connect", {
    connectionId: row.id,
    workspaceId: c.workspaceId,
    kind: c.kind,
    facebookUserId: c.info.userId,
  });
  return { connectionId: row.id, reconnected: false };
}

async function workspaceAgency(tx: Tx, workspaceId: string): Promise<{ agencyId: string; archived: boolean }> {
  const [w] = await tx<{ agency_id: string; archived: boolean }[]>`
    select agency_id, archived_at is not null as archived from public.workspaces where id = ${workspaceId}`;
  if (!w) throw new NotFoundError();
  return { agencyId: w.agency_id, archived: w.archived };
}

async function facebookName(token: string): Promise<string | null> {
  try {
    const me = await graphClientFromEnv(token, { maxRetries: 1 }).get("me", { fields: "id,name" }, z.object({ id: z.string(), name: z.string().optional() }));
    return me.name ?? null;
  } catch (err) {
    // The name is cosmetic; never fail a connection over it.
    log.debug({ err }, "could not read the Meta user name");
    return null;
  }
}

/** Starts "Connect Meta" (or "Reconnect"): returns the URL of Meta's dialog. */
export async function startConnect(opts: { userId: string; sessionId: string; workspaceId: string; connectionId?: string; origin: string }): Promise<string> {
  // A retired or unknown API version would fail right after Meta's dialog: say so before (ADR 0070).
  const api = configuredVersionStatus();
  if (api.state === "expired" || api.state === "unknown" || api.state === "unreleased") throw new InputError(api.message!);
  return asService(async (tx) => {
    const ws = await workspaceAgency(tx, opts.workspaceId);
    if (ws.archived) throw new InputError("This client is archived; restore it before connecting Meta.");
    await assertWritable(tx, ws.agencyId);
    if (opts.connectionId) {
      const [c] =
        await tx`select 1 from public.meta_connections where id = ${opts.connectionId} and workspace_id = ${opts.workspaceId} and status <> 'disconnected'`;
      if (!c) throw new NotFoundError();
    }
    return createOAuthAttempt(tx, opts);
  });
}

export class MetaConnectDenied extends Error {
  constructor(readonly workspaceId: string | null) {
    super("You did not grant access on Meta, so nothing was connected.");
    this.name = "MetaConnectDenied";
  }
}

/**
 * The OAuth callback: checks state against this user and session, exchanges the code, upgrades to a
 * long-lived token, checks it with debug_token, stores it and creates (or re-activates) the connection.
 */
export async function completeConnect(opts: {
  userId: string;
  sessionId: string;
  state: string | null;
  code: string | null;
  error: string | null;
}): Promise<{ workspaceId: string; connectionId: string; reconnected: boolean }> {
  const attempt = await asService((tx) => consumeOAuthAttempt(tx, opts.state ?? "", opts));
  if (opts.error) throw new MetaConnectDenied(attempt.workspaceId);
  if (!opts.code) throw new InputError("Meta did not send an authorisation code. Start again from the connections page.");
  const app = metaApp();
  const short = await exchangeCode(opts.code, attempt.redirectUri, app);
  const probe = await inspectToken(short.access_token, "ANY", app);
  // System-user tokens (Login for Business system-user configs) never expire: nothing to upgrade.
  const token = probe.type === "SYSTEM_USER" ? short.access_token : (await exchangeLongLived(short.access_token, app)).access_token;
  const info = token === short.access_token ? probe : await inspectToken(token, "ANY", app);
  const name = await facebookName(token);
  return asService(async (tx) => {
    const ws = await workspaceAgency(tx, attempt.workspaceId);
    const saved = await saveConnection(tx, {
      agencyId: ws.agencyId,
      workspaceId: attempt.workspaceId,
      actorUserId: opts.userId,
      kind: info.type === "SYSTEM_USER" ? "system_user" : "oauth",
      token,
      info,
      facebookUserName: name,
      connectionId: attempt.connectionId,
    });
    log.info({ connectionId: saved.connectionId, workspaceId: attempt.workspaceId, reconnected: saved.reconnected }, "Meta connection saved");
    return { workspaceId: attempt.workspaceId, ...saved };
  });
}

/**
 * Connects a workspace with a pasted token: checked with debug_token (valid, our app, ads_read),
 * stored in the vault, and its ad accounts listed. The connections page accepts only Business
 * Manager system-user tokens (never expire); the CLI also takes user tokens (kind oauth then).
 */
export async function connectWithToken(opts: {
  workspaceId: string;
  actorUserId: string | null;
  token: string;
  expect?: "SYSTEM_USER" | "ANY";
}): Promise<{ connectionId: string; reconnected: boolean; adAccounts: MetaAdAccount[] }> {
  const parsed = tokenInputSchema.safeParse(opts.token);
  if (!parsed.success) throw new InputError(parsed.error.issues[0].message, { token: parsed.error.issues[0].message });
  const token = parsed.data;
  const ws = await asService(async (tx) => {
    const w = await workspaceAgency(tx, opts.workspaceId);
    // a read-only agency (billing) keeps its data but connects nothing new
    await assertWritable(tx, w.agencyId);
    return w;
  });
  if (ws.archived) throw new InputError("This client is archived; restore it before connecting Meta.");
  const info = await inspectToken(token, opts.expect ?? "SYSTEM_USER");
  const adAccounts = await listMetaAdAccounts(graphClientFromEnv(token));
  const name = await facebookName(token);
  const kind: ConnectionKind = info.type === "SYSTEM_USER" ? "system_user" : "oauth";
  const saved = await asService((tx) =>
    saveConnection(tx, { agencyId: ws.agencyId, workspaceId: opts.workspaceId, actorUserId: opts.actorUserId, kind, token, info, facebookUserName: name }),
  );
  log.info({ connectionId: saved.connectionId, workspaceId: opts.workspaceId, kind, adAccounts: adAccounts.length }, "Meta connection saved");
  return { ...saved, adAccounts };
}

/** An owner/admin pasted a Business Manager system-user token (never expires). */
export function connectSystemUser(opts: { workspaceId: string; actorUserId: string | null; token: string }) {
  return connectWithToken({ ...opts, expect: "SYSTEM_USER" });
}
