/**
 * Meta connections of a client workspace: connecting (OAuth or a pasted system-user token),
 * attaching ad accounts, token health, re-authorisation and disconnecting.
 *
 * Who may do what is decided before we get here (route guards: owners and admins manage
 * connections) and again by RLS where the request path reads (`asUser`). Tokens are written and read
 * only on the service path (`asService`), because the vault is unreachable for `authenticated`.
 * Meta is called outside database transactions where the API allows it (the embedded engine
 * serialises transactions, so a slow Meta answer must not hold one open).
 */
import { env } from "../env";
import { z } from "zod";
import { asService, asUser, type Tx } from "../db/connection";
import { InputError, NotFoundError } from "../errors";
import { assertWritable } from "../billing/limits";
import { logger } from "../logger";
import { MetaApiError, isMetaApiError } from "./errors";
import { graphClientFromEnv, type GraphClient } from "./graph";
import { consumeOAuthAttempt, createOAuthAttempt, exchangeCode, exchangeLongLived, inspectToken, metaApp, type TokenInfo } from "./oauth";
import { deleteSecret, readSecret, storeSecret } from "./vault";
import { configuredVersionStatus } from "./version-health";

const log = logger.child({ module: "meta.connections" });

/** A token that expires within this window shows "needs re-authorisation" already. */
export const REAUTH_WARNING_MS = 7 * 24 * 60 * 60_000;

export type ConnectionKind = "oauth" | "system_user";
export type ConnectionStatus = "active" | "needs_reauth" | "disconnected";
export type ConnectionHealth = "ok" | "needs_reauth" | "disconnected";

export interface ConnectionView {
  id: string;
  kind: ConnectionKind;
  facebookUserId: string | null;
  facebookUserName: string | null;
  status: ConnectionStatus;
  statusReason: string | null;
  tokenExpiresAt: Date | null;
  scopes: string[];
  createdAt: Date;
  health: ConnectionHealth;
  /** why the health is what it is, for the UI */
  healthReason: string | null;
  adAccounts: { id: string; metaAccountId: string; name: string; currency: string; timezoneName: string; syncStatus: string }[];
}

export interface MetaAdAccount {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  accountStatus?: number;
}

export const metaAccountIdSchema = z
  .string()
  .trim()
  .transform((v) => (/^\d+$/.test(v) ? `act_${v}` : v))
  .pipe(z.string().regex(/^act_\d{1,32}$/, "Use an ad account id like act_123456789"));

export const tokenInputSchema = z
  .string({ error: "Paste the token" })
  .trim()
  .min(20, "That does not look like a Meta access token")
  .max(2048, "That does not look like a Meta access token")
  .regex(/^[A-Za-z0-9_|.-]+$/, "That does not look like a Meta access token");

/** ok / needs re-authorisation (status, or expiry within 7 days) / disconnected. */
export function connectionHealth(
  c: { status: ConnectionStatus; token_expires_at: Date | null; status_reason?: string | null },
  now = new Date(),
): { health: ConnectionHealth; reason: string | null } {
  if (c.status === "disconnected") return { health: "disconnected", reason: null };
  if (c.status === "needs_reauth") return { health: "needs_reauth", reason: c.status_reason ?? "Meta no longer accepts this connection's token" };
  if (c.token_expires_at && c.token_expires_at.getTime() - now.getTime() <= REAUTH_WARNING_MS) {
    const expired = c.token_expires_at.getTime() <= now.getTime();
    return { health: "needs_reauth", reason: expired ? "The Meta token has expired" : "The Meta token expires within 7 days" };
  }
  return { health: "ok", reason: null };
}

/** Appends an audit entry. `actor` is null for events the system notices (a token Meta refused). */
async function audit(tx: Tx, agencyId: string, actor: string | null, action: string, target: Record<string, unknown>) {
  await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
    values (${agencyId}, ${actor}, ${action}, ${tx.json(target as never)})`;
}

// ----------------------------------------------------------------------------- request path reads

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
    const accounts = await tx<{ id: string; connection_id: string | null; meta_account_id: string; name: string; currency: string; timezone_name: string; sync_status: string }[]>`
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
          .map((a) => ({ id: a.id, metaAccountId: a.meta_account_id, name: a.name, currency: a.currency, timezoneName: a.timezone_name, syncStatus: a.sync_status })),
      };
    });
  });
}

// ----------------------------------------------------------------------------- tokens (service)

/**
 * The token of an active connection, for sync. Throws MetaApiError token_invalid when the
 * connection needs re-authorisation, was disconnected or has no token: sync must not call Meta then.
 */
export async function getConnectionToken(tx: Tx, connectionId: string): Promise<string> {
  const [c] = await tx<{ status: ConnectionStatus; token_secret_id: string | null; token_expires_at: Date | null }[]>`
    select status, token_secret_id, token_expires_at from public.meta_connections where id = ${connectionId}`;
  if (!c) throw new MetaApiError("token_invalid", "Meta connection not found");
  if (c.status !== "active" || !c.token_secret_id) {
    throw new MetaApiError("token_invalid", c.status === "needs_reauth" ? "The Meta connection needs re-authorisation" : "The Meta connection is disconnected");
  }
  if (c.token_expires_at && c.token_expires_at.getTime() <= Date.now()) {
    throw new MetaApiError("token_invalid", "The Meta token has expired", { code: 190, subcode: 463 });
  }
  return readSecret(tx, c.token_secret_id);
}

/**
 * Meta refused the connection's token (190, revoked, expired): the connection and its accounts show
 * "needs re-authorisation" and sync stops using it until someone reconnects. Idempotent.
 */
export async function markNeedsReauth(tx: Tx, connectionId: string, reason: string): Promise<void> {
  const safeReason = reason.slice(0, 300);
  const [c] = await tx<{ agency_id: string; workspace_id: string; was: ConnectionStatus }[]>`
    update public.meta_connections m set status = 'needs_reauth', status_reason = ${safeReason}, updated_at = now()
    from (select id, status from public.meta_connections where id = ${connectionId} for update) old
    where m.id = old.id and old.status = 'active'
    returning m.agency_id, m.workspace_id, old.status as was`;
  await tx`update public.ad_accounts set sync_status = 'needs_reauth', sync_error = ${safeReason}
    where connection_id = ${connectionId} and sync_status <> 'needs_reauth'`;
  if (c) {
    await audit(tx, c.agency_id, null, "meta.needs_reauth", { connectionId, workspaceId: c.workspace_id, reason: safeReason });
    log.warn({ connectionId, workspaceId: c.workspace_id }, "Meta connection needs re-authorisation");
  }
}

/** A Graph client for a connection's token; a 190 on any call flips the connection to needs_reauth. */
export async function withConnectionClient<T>(connectionId: string, fn: (graph: GraphClient) => Promise<T>): Promise<T> {
  const token = await asService((tx) => getConnectionToken(tx, connectionId));
  try {
    return await fn(graphClientFromEnv(token));
  } catch (err) {
    if (isMetaApiError(err, "token_invalid")) await asService((tx) => markNeedsReauth(tx, connectionId, err.metaMessage ?? err.message));
    throw err;
  }
}

// ----------------------------------------------------------------------------- connecting

const adAccountSchema = z.object({
  id: z.string(),
  name: z.string().default(""),
  currency: z.string(),
  timezone_name: z.string(),
  account_status: z.number().optional(),
});

const AD_ACCOUNT_FIELDS = "id,name,currency,timezone_name,account_status";

/** Every ad account the token can read (paged). */
export async function listMetaAdAccounts(graph: GraphClient): Promise<MetaAdAccount[]> {
  const out: MetaAdAccount[] = [];
  for await (const page of graph.pages("me/adaccounts", { fields: AD_ACCOUNT_FIELDS, limit: 100 }, adAccountSchema)) {
    for (const a of page) out.push({ id: a.id, name: a.name, currency: a.currency, timezone: a.timezone_name, accountStatus: a.account_status });
  }
  return out;
}

/** Ad accounts a connection can read, for the picker (workspace checked so ids cannot be mixed). */
export async function listAvailableAdAccounts(workspaceId: string, connectionId: string): Promise<MetaAdAccount[]> {
  const [c] = await asService((tx) => tx<{ id: string }[]>`
    select id from public.meta_connections where id = ${connectionId} and workspace_id = ${workspaceId}`);
  if (!c) throw new NotFoundError();
  return withConnectionClient(connectionId, listMetaAdAccounts);
}

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
    throw new InputError(
      "You signed in to Meta as a different person than the one this connection belongs to. Sign in as them, or add a new connection.",
    );
  }
  const secretId = await storeSecret(tx, c.token);
  if (existing) {
    await tx`update public.meta_connections set token_secret_id = ${secretId}, token_expires_at = ${c.info.expiresAt}, scopes = ${c.info.scopes},
      facebook_user_name = coalesce(${c.facebookUserName}, facebook_user_name), status = 'active', status_reason = null, updated_at = now()
      where id = ${existing.id}`;
    if (existing.token_secret_id) await deleteSecret(tx, existing.token_secret_id);
    await tx`update public.ad_accounts set sync_status = 'pending', sync_error = null
      where connection_id = ${existing.id} and sync_status = 'needs_reauth'`;
    await audit(tx, c.agencyId, c.actorUserId, "meta.reauth", { connectionId: existing.id, workspaceId: c.workspaceId, kind: c.kind, facebookUserId: c.info.userId });
    return { connectionId: existing.id, reconnected: true };
  }
  const [row] = await tx<{ id: string }[]>`
    insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, facebook_user_name, token_secret_id, token_expires_at, scopes, created_by)
    values (${c.agencyId}, ${c.workspaceId}, ${c.kind}, ${c.info.userId}, ${c.facebookUserName}, ${secretId}, ${c.info.expiresAt}, ${c.info.scopes}, ${c.actorUserId})
    returning id`;
  await audit(tx, c.agencyId, c.actorUserId, "meta.connect", { connectionId: row.id, workspaceId: c.workspaceId, kind: c.kind, facebookUserId: c.info.userId });
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
      const [c] = await tx`select 1 from public.meta_connections where id = ${opts.connectionId} and workspace_id = ${opts.workspaceId} and status <> 'disconnected'`;
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

// ----------------------------------------------------------------------------- ad accounts

/**
 * Reads the ad account from Meta with the connection's token and adds it to the workspace (unique
 * per workspace). An account left behind by a disconnected or expired connection is moved over to
 * this one instead. Service path (reads the token); the caller has checked that the actor may manage
 * the workspace. Does not queue the backfill: see attachAndBackfill.
 *
 * `details` lets the caller read the account from Meta before opening the transaction (what
 * attachAndBackfill does). When Meta refuses the token here, a MetaApiError token_invalid is thrown
 * and the caller marks the connection after its transaction rolled back (markNeedsReauth).
 */
export async function attachAdAccount(
  tx: Tx,
  input: { workspaceId: string; connectionId: string; metaAccountId: string; actorUserId?: string | null },
  details?: AccountDetails,
): Promise<AttachedAccount> {
  const metaAccountId = parseMetaAccountId(input.metaAccountId);
  const [c] = await tx<{ agency_id: string; status: ConnectionStatus }[]>`
    select agency_id, status from public.meta_connections where id = ${input.connectionId} and workspace_id = ${input.workspaceId}`;
  if (!c) throw new NotFoundError();
  if (c.status !== "active") throw new InputError("Reconnect Meta first: this connection is not active.");
  await assertWritable(tx, c.agency_id);
  const acct = details ?? (await readAccountDetails(graphClientFromEnv(await getConnectionToken(tx, input.connectionId)), metaAccountId));
  if (acct.id !== metaAccountId) throw new InputError("Meta answered with a different ad account; nothing was attached.");
  const attribution = acct.attribution_spec?.length ? JSON.stringify(acct.attribution_spec) : null;
  const [existing] = await tx<{ id: string; connection_id: string | null; connection_status: ConnectionStatus | null }[]>`
    select a.id, a.connection_id, m.status as connection_status from public.ad_accounts a
    left join public.meta_connections m on m.id = a.connection_id
    where a.workspace_id = ${input.workspaceId} and a.meta_account_id = ${acct.id} for update of a`;
  let adAccountId: string;
  if (existing) {
    if (existing.connection_id === input.connectionId || existing.connection_status === "active") {
      throw new InputError(`${acct.id} is already attached to this client.`, { account: "Already attached" });
    }
    // Same account, new login: keep its history and continue syncing with the new connection.
    await tx`update public.ad_accounts set connection_id = ${input.connectionId}, name = ${acct.name}, account_status = ${acct.account_status ?? null},
      attribution_setting = ${attribution}, sync_status = 'pending', sync_error = null where id = ${existing.id}`;
    adAccountId = existing.id;
  } else {
    const [row] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, account_status,
        attribution_setting, backfill_months)
      values (${c.agency_id}, ${input.workspaceId}, ${input.connectionId}, ${acct.id}, ${acct.name}, ${acct.currency}, ${acct.timezone_name},
        ${acct.account_status ?? null}, ${attribution}, ${env().BACKFILL_MONTHS})
      returning id`;
    adAccountId = row.id;
  }
  await audit(tx, c.agency_id, input.actorUserId ?? null, "meta.attach", {
    adAccountId,
    metaAccountId: acct.id,
    name: acct.name,
    workspaceId: input.workspaceId,
    connectionId: input.connectionId,
    ...(existing ? { reattached: true } : {}),
  });
  return { adAccountId, metaAccountId: acct.id, name: acct.name, currency: acct.currency, timezone: acct.timezone_name };
}

function parseMetaAccountId(v: string): string {
  const parsed = metaAccountIdSchema.safeParse(v);
  if (!parsed.success) throw new InputError(parsed.error.issues[0].message, { account: parsed.error.issues[0].message });
  return parsed.data;
}

export interface AttachedAccount {
  adAccountId: string;
  metaAccountId: string;
  name: string;
  currency: string;
  timezone: string;
}

/**
 * attachAdAccount in its own transaction, then queues the account's backfill with the sync
 * scheduler. The queueing happens after the commit on purpose: a job must not point at a row that
 * could still roll back, and on the embedded engine (which serialises transactions) the queue's
 * insert would wait for our open transaction forever.
 */
export async function attachAndBackfill(input: { workspaceId: string; connectionId: string; metaAccountId: string; actorUserId?: string | null }): Promise<AttachedAccount> {
  const metaAccountId = parseMetaAccountId(input.metaAccountId);
  const [c] = await asService((tx) => tx<{ status: ConnectionStatus }[]>`
    select status from public.meta_connections where id = ${input.connectionId} and workspace_id = ${input.workspaceId}`);
  if (!c) throw new NotFoundError();
  if (c.status !== "active") throw new InputError("Reconnect Meta first: this connection is not active.");
  let details: AccountDetails;
  try {
    // withConnectionClient marks the connection needs_reauth (in its own transaction) on a 190.
    details = await withConnectionClient(input.connectionId, (graph) => readAccountDetails(graph, metaAccountId));
  } catch (err) {
    if (isMetaApiError(err, "token_invalid")) throw new InputError("Meta no longer accepts this connection's token. Reconnect Meta and try again.");
    if (isMetaApiError(err) && (err.kind === "invalid_request" || err.kind === "permission")) {
      throw new InputError(`This Meta login cannot read ${metaAccountId}. Check the id, or connect a login that has access to it.`, { account: "No access to this ad account" });
    }
    throw err;
  }
  const attached = await asService((tx) => attachAdAccount(tx, { ...input, metaAccountId }, details));
  // Imported lazily: the scheduler imports the sync service, which imports this module.
  const { requestSync } = await import("../sync/scheduler");
  await requestSync(attached.adAccountId, "backfill");
  return attached;
}

const ACCOUNT_DETAIL_FIELDS = "id,name,currency,timezone_name,account_status";

/**
 * The ad account's details including its attribution_spec when the API offers that field; some API
 * versions (and the local emulator) answer "nonexisting field", then we read without it.
 */
async function readAccountDetails(graph: GraphClient, metaAccountId: string) {
  try {
    return await graph.get(metaAccountId, { fields: `${ACCOUNT_DETAIL_FIELDS},attribution_spec` }, accountDetailSchema);
  } catch (err) {
    if (!(isMetaApiError(err, "invalid_request") && /nonexisting field \(attribution_spec\)/.test(err.message))) throw err;
    return graph.get(metaAccountId, { fields: ACCOUNT_DETAIL_FIELDS }, accountDetailSchema);
  }
}
type AccountDetails = z.infer<typeof accountDetailSchema>;
const accountDetailSchema = z.object({
  id: z.string().regex(/^act_\d+$/),
  name: z.string(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  timezone_name: z.string().min(1),
  account_status: z.number().optional(),
  attribution_spec: z.array(z.object({ event_type: z.string(), window_days: z.number() }).passthrough()).optional(),
});

/** Removes an ad account from the workspace together with its stored numbers (cascade). */
export async function detachAdAccount(tx: Tx, input: { workspaceId: string; adAccountId: string; actorUserId: string | null }): Promise<void> {
  const [row] = await tx<{ agency_id: string; meta_account_id: string; name: string }[]>`
    delete from public.ad_accounts where id = ${input.adAccountId} and workspace_id = ${input.workspaceId}
    returning agency_id, meta_account_id, name`;
  if (!row) throw new NotFoundError();
  await audit(tx, row.agency_id, input.actorUserId, "meta.detach", { adAccountId: input.adAccountId, metaAccountId: row.meta_account_id, name: row.name, workspaceId: input.workspaceId });
}

/**
 * Disconnect: our copy of the token is deleted and the connection marked disconnected. The stored
 * numbers stay (the accounts stop syncing) unless `deleteData`, which deletes the workspace's ad
 * accounts and, by cascade, everything synced for them.
 */
export async function disconnect(tx: Tx, input: { workspaceId: string; connectionId: string; deleteData: boolean; actorUserId: string | null }): Promise<{ deletedAccounts: number }> {
  const [c] = await tx<{ agency_id: string; token_secret_id: string | null; status: ConnectionStatus }[]>`
    select agency_id, token_secret_id, status from public.meta_connections
    where id = ${input.connectionId} and workspace_id = ${input.workspaceId} for update`;
  if (!c) throw new NotFoundError();
  await tx`update public.meta_connections set status = 'disconnected', token_secret_id = null, status_reason = null, updated_at = now()
    where id = ${input.connectionId}`;
  if (c.token_secret_id) await deleteSecret(tx, c.token_secret_id);
  let deletedAccounts = 0;
  if (input.deleteData) {
    const rows = await tx`delete from public.ad_accounts where workspace_id = ${input.workspaceId} returning id`;
    deletedAccounts = rows.length;
  } else {
    await tx`update public.ad_accounts set sync_status = 'paused', sync_error = 'Meta connection removed'
      where connection_id = ${input.connectionId}`;
  }
  await audit(tx, c.agency_id, input.actorUserId, "meta.disconnect", { connectionId: input.connectionId, workspaceId: input.workspaceId, deleteData: input.deleteData, deletedAccounts });
  return { deletedAccounts };
}

/** `/a/<agency>/w/<workspace>/connections` for a workspace this user can see (RLS), else 404. */
export async function connectionsPath(userId: string, workspaceId: string): Promise<string> {
  const [w] = await asUser(userId, (tx) => tx<{ agency_slug: string; slug: string }[]>`
    select a.slug as agency_slug, w.slug from public.workspaces w join private.my_agencies() a on a.id = w.agency_id where w.id = ${workspaceId}`);
  if (!w) throw new NotFoundError();
  return `/a/${w.agency_slug}/w/${w.slug}/connections`;
}
