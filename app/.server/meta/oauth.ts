/**
 * Meta login for connecting ad accounts ("Connect Meta" on a workspace's connections page):
 * the dialog URL with a state bound to user + session + workspace, the code exchange, the long-lived
 * token exchange and the `debug_token` check. Everything that touches tokens runs server-side; the
 * browser only ever sees Meta's dialog and our callback URL.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Tx } from "../db/connection";
import { env } from "../env";
import { InputError } from "../errors";
import { GraphClient, processGovernor } from "./graph";
import { MetaApiError } from "./errors";

export const META_CALLBACK_PATH = "/meta/callback";
export const OAUTH_STATE_TTL_MS = 10 * 60_000;
export const REQUIRED_SCOPE = "ads_read";
export const REQUESTED_SCOPES = ["ads_read", "business_management"];

export interface MetaAppConfig {
  appId: string;
  appSecret: string;
  graphUrl: string;
  webUrl: string;
  version: string;
  loginConfigId?: string;
}

/** The Meta app from the environment, or a clear error when it is not configured. */
export function metaApp(): MetaAppConfig {
  const e = env();
  if (!e.META_APP_ID || !e.META_APP_SECRET) {
    throw new InputError("Meta is not configured on this server: set META_APP_ID and META_APP_SECRET (see docs/meta-app-setup.md)");
  }
  return {
    appId: e.META_APP_ID,
    appSecret: e.META_APP_SECRET,
    graphUrl: e.META_GRAPH_URL,
    webUrl: e.META_WEB_URL,
    version: e.META_API_VERSION,
    loginConfigId: e.META_LOGIN_CONFIG_ID,
  };
}

export function metaConfigured(): boolean {
  const e = env();
  return !!(e.META_APP_ID && e.META_APP_SECRET);
}

/** `${APP_URL or the request's origin}/meta/callback`: must be byte-identical at dialog and exchange. */
export function metaRedirectUri(origin: string): string {
  const base = env().APP_URL ?? origin;
  return new URL(META_CALLBACK_PATH, base.endsWith("/") ? base : base + "/").toString();
}

export function hashState(state: string): string {
  return createHash("sha256").update(state).digest("hex");
}

/**
 * Records a new OAuth attempt and returns Meta's dialog URL. `config_id` (Facebook Login for
 * Business) replaces `scope` when META_LOGIN_CONFIG_ID is set; Meta refuses both together.
 */
export async function createOAuthAttempt(
  tx: Tx,
  opts: { userId: string; sessionId: string; workspaceId: string; connectionId?: string; origin: string },
): Promise<string> {
  const app = metaApp();
  const state = randomBytes(32).toString("base64url");
  const redirectUri = metaRedirectUri(opts.origin);
  // Housekeeping: expired attempts are useless; drop them whenever a new one starts.
  await tx`delete from private.meta_oauth_states where expires_at < now()`;
  await tx`insert into private.meta_oauth_states (state_hash, user_id, session_id, workspace_id, connection_id, redirect_uri, expires_at)
    values (${hashState(state)}, ${opts.userId}, ${opts.sessionId}, ${opts.workspaceId}, ${opts.connectionId ?? null}, ${redirectUri},
      ${new Date(Date.now() + OAUTH_STATE_TTL_MS)})`;
  const url = new URL(`${app.webUrl.replace(/\/+$/, "")}/${app.version}/dialog/oauth`);
  url.searchParams.set("client_id", app.appId);
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("state", state);
  url.searchParams.set("response_type", "code");
  if (app.loginConfigId) url.searchParams.set("config_id", app.loginConfigId);
  else url.searchParams.set("scope", REQUESTED_SCOPES.join(","));
  return url.toString();
}

export interface OAuthAttempt {
  userId: string;
  workspaceId: string;
  connectionId: string | null;
  redirectUri: string;
}

/**
 * Consumes the attempt for `state` when it belongs to this user and session and has not expired.
 * Single use: a replayed state finds nothing. A state of someone else's session is refused and left
 * alone (it is theirs to finish).
 */
export async function consumeOAuthAttempt(tx: Tx, state: string, who: { userId: string; sessionId: string }): Promise<OAuthAttempt> {
  const invalid = () => new InputError("This Meta connection attempt is invalid or has expired. Start again from the connections page.");
  if (!state || state.length > 200) throw invalid();
  const [row] = await tx<{ user_id: string; session_id: string; workspace_id: string; connection_id: string | null; redirect_uri: string; expired: boolean }[]>`
    select user_id, session_id, workspace_id, connection_id, redirect_uri, expires_at < now() as expired
    from private.meta_oauth_states where state_hash = ${hashState(state)} for update`;
  if (!row || row.user_id !== who.userId || row.session_id !== who.sessionId) throw invalid();
  await tx`delete from private.meta_oauth_states where state_hash = ${hashState(state)}`;
  if (row.expired) throw invalid();
  return { userId: row.user_id, workspaceId: row.workspace_id, connectionId: row.connection_id, redirectUri: row.redirect_uri };
}

/** A client that speaks as the app itself (`appId|appSecret`), for token exchange and inspection. */
function appClient(app: MetaAppConfig): GraphClient {
  return new GraphClient({
    accessToken: `${app.appId}|${app.appSecret}`,
    appSecret: app.appSecret,
    graphUrl: app.graphUrl,
    version: app.version,
    governor: processGovernor(),
    maxRetries: 2,
    timeoutMs: 15_000,
  });
}

const tokenResponse = z.object({
  access_token: z.string().min(10),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().optional(),
});

/** Code → short-lived user token (or a never-expiring system-user token for FLfB system-user configs). */
export async function exchangeCode(code: string, redirectUri: string, app = metaApp()) {
  return appClient(app).get("oauth/access_token", { client_id: app.appId, client_secret: app.appSecret, redirect_uri: redirectUri, code }, tokenResponse);
}

/** Short-lived → long-lived (~60 days) user token. */
export async function exchangeLongLived(token: string, app = metaApp()) {
  return appClient(app).get(
    "oauth/access_token",
    { grant_type: "fb_exchange_token", client_id: app.appId, client_secret: app.appSecret, fb_exchange_token: token },
    tokenResponse,
  );
}

const debugTokenResponse = z.object({
  data: z.object({
    app_id: z.coerce.string().optional(),
    type: z.string().optional(),
    is_valid: z.boolean(),
    expires_at: z.number().optional(),
    scopes: z.array(z.string()).default([]),
    user_id: z.coerce.string().optional(),
    error: z.object({ code: z.number().optional(), message: z.string().optional(), subcode: z.number().optional() }).optional(),
  }),
});

export interface TokenInfo {
  type: "USER" | "SYSTEM_USER" | string;
  userId: string;
  scopes: string[];
  /** null = never expires */
  expiresAt: Date | null;
}

/**
 * Inspects a token with the app token and insists on what we need: valid, issued to our app,
 * `ads_read` granted, of the expected type. Throws InputError with a message a person can act on.
 */
export async function inspectToken(token: string, expect: "USER" | "SYSTEM_USER" | "ANY", app = metaApp()): Promise<TokenInfo> {
  const { data } = await appClient(app).get("debug_token", { input_token: token }, debugTokenResponse);
  if (!data.is_valid) {
    throw new InputError("Meta says this token is not valid (expired, revoked or mistyped). Generate a new one and try again.", {
      token: "Token is not valid",
    });
  }
  if (data.app_id && data.app_id !== app.appId) {
    throw new InputError("This token was issued for a different Meta app. Generate it for this app.", { token: "Token belongs to another app" });
  }
  if (!data.scopes.includes(REQUIRED_SCOPE)) {
    throw new InputError("The token lacks the ads_read permission, which Spendlane needs to read ad performance.", { token: "Missing ads_read permission" });
  }
  if (!data.user_id) throw new MetaApiError("unknown", "Meta did not say whose token this is");
  const type = data.type ?? "USER";
  if (expect === "SYSTEM_USER" && (type !== "SYSTEM_USER" || (data.expires_at ?? 0) !== 0)) {
    throw new InputError("This is not a Business Manager system-user token (those never expire). Create one under Business Settings → System users.", {
      token: "Not a system-user token",
    });
  }
  if (expect === "USER" && type !== "USER" && type !== "SYSTEM_USER") {
    throw new InputError(`Unexpected token type ${type}`);
  }
  return {
    type,
    userId: data.user_id,
    scopes: data.scopes,
    expiresAt: data.expires_at && data.expires_at > 0 ? new Date(data.expires_at * 1000) : null,
  };
}
