/**
 * "Continue with Facebook": the OAuth 2 code flow through remix-auth-oauth2 (state and PKCE kept in
 * a short-lived httpOnly cookie by the library), against Facebook's versioned dialog and token
 * endpoints (or the local Meta emulator, which serves both sides). See docs/decisions/0002.
 *
 * Facebook's token endpoint takes the client id and secret as query parameters on a GET, not HTTP
 * Basic auth as arctic (inside remix-auth-oauth2) sends, so the code exchange is overridden here.
 * The identity comes from GET /me with appsecret_proof; the access token is used once and dropped
 * (this login token is not a Meta connection: connecting ad accounts is a separate consent).
 */
import { createHmac } from "node:crypto";
import { OAuth2Strategy } from "remix-auth-oauth2";
import { OAuth2Tokens } from "arctic";
import { env } from "../env";
import { logger } from "../logger";
import { publicOrigin } from "../security/origin";

export interface FacebookIdentity {
  facebookUserId: string;
  name: string | null;
  email: string | null;
}

export const FACEBOOK_CALLBACK_PATH = "/auth/facebook/callback";
export const FACEBOOK_STATE_COOKIE = "__spendlane_fb_oauth";

/** Facebook login is offered when a Meta app is configured (a real one, or the demo emulator's). */
export function facebookLoginEnabled(): boolean {
  const e = env();
  return !!(e.META_APP_ID && e.META_APP_SECRET);
}

export class FacebookLoginError extends Error {
  constructor(
    message: string,
    readonly reason: "denied" | "failed",
  ) {
    super(message);
    this.name = "FacebookLoginError";
  }
}

function appsecretProof(token: string, secret: string) {
  return createHmac("sha256", secret).update(token).digest("hex");
}

export type FacebookResult = { method: "facebook"; identity: FacebookIdentity };

export class FacebookStrategy extends OAuth2Strategy<FacebookResult> {
  name = "facebook";
  constructor(private readonly fb: { appId: string; appSecret: string; graphBase: string; redirectURI: string; webBase: string; secure: boolean }) {
    super(
      {
        clientId: fb.appId,
        clientSecret: fb.appSecret,
        authorizationEndpoint: `${fb.webBase}/dialog/oauth`,
        tokenEndpoint: `${fb.graphBase}/oauth/access_token`,
        redirectURI: fb.redirectURI,
        // Logging in needs only the public profile and email; ad-account permissions are asked for
        // when an agency connects a client's Meta account.
        scopes: ["public_profile", "email"],
        cookie: { name: FACEBOOK_STATE_COOKIE, httpOnly: true, sameSite: "Lax", path: "/", maxAge: 600, ...(fb.secure ? { secure: true as const } : {}) },
      },
      async (params) => ({ method: "facebook", identity: await this.identify(params.tokens) }),
    );
  }

  protected authorizationParams(params: URLSearchParams): URLSearchParams {
    // Facebook separates scopes with commas.
    const scope = params.get("scope");
    if (scope) params.set("scope", scope.split(" ").join(","));
    return params;
  }

  protected async validateAuthorizationCode(code: string, codeVerifier: string): Promise<OAuth2Tokens> {
    const url = new URL(`${this.fb.graphBase}/oauth/access_token`);
    url.search = new URLSearchParams({
      client_id: this.fb.appId,
      client_secret: this.fb.appSecret,
      redirect_uri: this.fb.redirectURI,
      code,
      code_verifier: codeVerifier,
    }).toString();
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: { message?: string; code?: number } };
    if (!res.ok || !body.access_token) {
      // Facebook's message never contains the code or secret, but mask it anyway on the way to the log.
      logger.warn({ status: res.status, fbCode: body.error?.code, fbMessage: body.error?.message }, "facebook code exchange failed");
      throw new FacebookLoginError("Facebook did not accept the login. Try again.", "failed");
    }
    return new OAuth2Tokens(body);
  }

  private async identify(tokens: OAuth2Tokens): Promise<FacebookIdentity> {
    const token = tokens.accessToken();
    const url = new URL(`${this.fb.graphBase}/me`);
    url.search = new URLSearchParams({ fields: "id,name,email", access_token: token, appsecret_proof: appsecretProof(token, this.fb.appSecret) }).toString();
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    const me = (await res.json().catch(() => ({}))) as { id?: string; name?: string; email?: string; error?: { message?: string; code?: number } };
    if (!res.ok || !me.id || !/^\d{1,64}$/.test(me.id)) {
      logger.warn({ status: res.status, fbCode: me.error?.code, fbMessage: me.error?.message }, "facebook /me failed");
      throw new FacebookLoginError("Could not read your Facebook profile. Try again.", "failed");
    }
    return { facebookUserId: me.id, name: me.name?.slice(0, 120) || null, email: me.email?.toLowerCase() || null };
  }
}

/** The strategy for this deployment (APP_URL, or the request's origin, fixes the redirect URI). */
export function facebookStrategy(request: Request): FacebookStrategy | null {
  const e = env();
  if (!e.META_APP_ID || !e.META_APP_SECRET) return null;
  // APP_URL, or a loopback origin in development and the local demo: never a client-chosen Host.
  const origin = publicOrigin(request);
  return new FacebookStrategy({
    appId: e.META_APP_ID,
    appSecret: e.META_APP_SECRET,
    webBase: `${e.META_WEB_URL}/${e.META_API_VERSION}`,
    graphBase: `${e.META_GRAPH_URL}/${e.META_API_VERSION}`,
    redirectURI: new URL(FACEBOOK_CALLBACK_PATH, origin).toString(),
    secure: origin.startsWith("https://"),
  });
}
