/** Tokens and OAuth: issuing and checking tokens, the login dialog and consent, code exchange, debug_token. */
import type { Emulator } from "./emulator";
import { DEFAULT_LOGIN_CONFIGS, DEFAULT_SCOPES, DialogReq, GReq, GRes, LoginConfig, TokenRec, appsecretProof, esc, fbDate, json, page } from "./common";
import { GraphError, paramError, tokenError, wwwAuthenticate } from "./errors";
import { parseList } from "./insights";
import { randomId } from "./util";
import { Buffer } from "node:buffer";

export function issueToken(emu: Emulator, userId: string, type: "USER" | "SYSTEM_USER", expiresInSeconds: number | null, scopes = DEFAULT_SCOPES): TokenRec {
  const now = Math.floor(emu.nowMs() / 1000);
  const token = `EAA${randomId(6).replace(/[-_]/g, "B")}${randomId(48).replace(/[-_]/g, "Z")}`;
  const rec: TokenRec = {
    token,
    userId,
    type,
    scopes,
    issuedAt: now,
    expiresAt: type === "SYSTEM_USER" || expiresInSeconds == null ? 0 : now + expiresInSeconds,
    state: "valid",
  };
  emu.tokens.set(token, rec);
  return rec;
}

export function tokenOf(emu: Emulator, g: GReq): string | undefined {
  if (g.params.access_token) return g.params.access_token;
  const h = g.headers.authorization;
  const m = h ? /^(?:OAuth|Bearer)\s+(.+)$/i.exec(h.trim()) : null;
  return m ? m[1] : undefined;
}

/** The token error a call would get, if its token is missing or invalid (null: token fine or absent). */
export function tokenErrorFirst(emu: Emulator, g: GReq): GraphError | null {
  const t = emu.tokenOf(g);
  if (!t || emu.isAppToken(t)) return null;
  try {
    emu.checkToken(t);
    return null;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
}

export function isAppToken(emu: Emulator, t: string): boolean {
  return t === `${emu.appId}|${emu.appSecret}`;
}

export function checkToken(emu: Emulator, t: string): TokenRec {
  const rec = emu.tokens.get(t);
  if (!rec) throw tokenError("Invalid OAuth access token - Cannot parse access token");
  const invalid = emu.tokenInvalidity(rec);
  if (invalid) throw tokenError(invalid.message, invalid.subcode);
  return rec;
}

export function tokenInvalidity(emu: Emulator, rec: TokenRec): { message: string; subcode: number } | null {
  const now = emu.nowMs();
  if (rec.state === "revoked")
    return {
      message:
        "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
      subcode: 460,
    };
  const expiredAt = rec.state === "expired" ? rec.expiredAtMs! : rec.expiresAt && rec.expiresAt * 1000 <= now ? rec.expiresAt * 1000 : null;
  if (expiredAt != null)
    return { message: `Error validating access token: Session has expired on ${fbDate(expiredAt)}. The current time is ${fbDate(now)}.`, subcode: 463 };
  return null;
}

/** Authenticates a Graph call. Returns the token record, or "app" for the app access token. */
export function auth(emu: Emulator, g: GReq, allowApp: boolean): TokenRec | "app" {
  const t = emu.tokenOf(g);
  if (!t) throw new GraphError(400, { message: "An access token is required to request emu resource.", type: "OAuthException", code: 104 });
  if (emu.isAppToken(t)) {
    if (allowApp) return "app";
    throw new GraphError(400, {
      message: "An active access token must be used to query information about the current user.",
      type: "OAuthException",
      code: 2500,
    });
  }
  const rec = emu.checkToken(t);
  if (emu.requireProof) {
    const proof = g.params.appsecret_proof;
    if (!proof)
      throw new GraphError(400, { message: "API calls from the server require an appsecret_proof argument", type: "GraphMethodException", code: 100 });
    if (proof !== appsecretProof(t, emu.appSecret))
      throw new GraphError(400, { message: "Invalid appsecret_proof provided in the API argument", type: "GraphMethodException", code: 100 });
  }
  return rec;
}

export function dialog(emu: Emulator, g: GReq): GRes {
  const p = g.params;
  const html = (status: number, body: string): GRes => ({
    status,
    headers: { "Content-Type": "text/html; charset=utf-8" },
    html: page("Log in with Facebook (emulator)", body),
  });
  if (p.client_id !== emu.appId) return html(400, `<p id="error">Invalid App ID: ${esc(p.client_id ?? "")}</p>`);
  if (!p.redirect_uri) return html(400, `<p id="error">redirect_uri is required</p>`);
  if (p.config_id && !emu.loginConfigs()[p.config_id]) return html(400, `<p id="error">Invalid config_id ${esc(p.config_id)}</p>`);
  const reqId = randomId(12);
  emu.dialogs.set(reqId, {
    clientId: p.client_id,
    redirectUri: p.redirect_uri,
    state: p.state,
    scope: p.scope,
    configId: p.config_id,
    responseType: p.response_type ?? "code",
  });
  const action = `/${g.version ?? "v26.0"}/dialog/oauth/decide`;
  const rows = emu.world.users
    .map(
      (u) => `<li class="user" data-user-id="${u.id}"><form method="post" action="${action}">
<input type="hidden" name="request_id" value="${reqId}"><input type="hidden" name="user_id" value="${u.id}">
<span class="name">${esc(u.name)}</span> <small>(${u.id}, ${u.accountIds.length} ad accounts)</small>
<button type="submit" name="decision" value="approve" data-testid="approve-${u.id}" id="approve-${u.id}">Approve as ${esc(u.name)}</button>
<button type="submit" name="decision" value="deny" data-testid="deny-${u.id}" id="deny-${u.id}">Deny</button>
</form></li>`,
    )
    .join("\n");
  const what = p.config_id
    ? `configuration ${esc(p.config_id)} (${emu.loginConfigs()[p.config_id]!.type})`
    : `permissions: ${esc(p.scope ?? "public_profile")}`;
  return html(
    200,
    `<h1>${esc(emu.appName)} wants access</h1><p>Requested ${what}</p><p>Choose a Facebook user:</p><ul id="users" data-request-id="${reqId}">${rows}</ul>`,
  );
}

export function loginConfigs(emu: Emulator): Record<string, LoginConfig> {
  return emu.opts.loginConfigs ?? DEFAULT_LOGIN_CONFIGS;
}

export function decide(emu: Emulator, g: GReq): GRes {
  const p = g.params;
  let d: DialogReq | undefined = p.request_id ? emu.dialogs.get(p.request_id) : undefined;
  if (!d && p.client_id && p.redirect_uri)
    d = { clientId: p.client_id, redirectUri: p.redirect_uri, state: p.state, scope: p.scope, configId: p.config_id, responseType: p.response_type ?? "code" };
  const bad = (m: string): GRes => ({
    status: 400,
    headers: { "Content-Type": "text/html; charset=utf-8" },
    html: page("Error", `<p id="error">${esc(m)}</p>`),
  });
  if (!d) return bad("Unknown or expired login request");
  if (d.clientId !== emu.appId) return bad("Invalid App ID");
  if (p.request_id) emu.dialogs.delete(p.request_id);
  const target = new URL(d.redirectUri);
  const decision = (p.decision ?? "").toLowerCase();
  if (decision !== "approve") {
    target.searchParams.set("error", "access_denied");
    target.searchParams.set("error_code", "200");
    target.searchParams.set("error_description", "Permissions error");
    target.searchParams.set("error_reason", "user_denied");
    if (d.state != null) target.searchParams.set("state", d.state);
    return { status: 302, headers: {}, location: target.toString().replace(/%20/g, "+") };
  }
  const user = emu.world.users.find((u) => u.id === p.user_id);
  if (!user) return bad(`Unknown user ${p.user_id ?? ""}`);
  const cfg = d.configId ? emu.loginConfigs()[d.configId] : undefined;
  const scopes = cfg ? [...cfg.scopes, "public_profile"] : [...new Set([...(d.scope ? parseList(d.scope) : []), "public_profile"])];
  const type = cfg?.type ?? "USER";
  if (d.responseType.includes("token")) {
    const tok = emu.issueToken(type === "SYSTEM_USER" ? user.systemUserId : user.id, type, 7200, scopes);
    const frag = new URLSearchParams({ access_token: tok.token, expires_in: "7200", ...(d.state != null ? { state: d.state } : {}) });
    target.hash = frag.toString();
    return { status: 302, headers: {}, location: target.toString() };
  }
  const code = `AQ${randomId(48)}`;
  emu.codes.set(code, {
    userId: type === "SYSTEM_USER" ? user.systemUserId : user.id,
    redirectUri: d.redirectUri,
    scopes,
    type,
    used: false,
    expiresAtMs: Date.now() + 10 * 60_000,
  });
  target.searchParams.set("code", code);
  if (d.state != null) target.searchParams.set("state", d.state);
  return { status: 302, headers: {}, location: target.toString() };
}

export function accessToken(emu: Emulator, g: GReq): GRes {
  const p = { ...g.params };
  const basic = g.headers.authorization && /^Basic\s+(.+)$/i.exec(g.headers.authorization);
  if (basic) {
    const [id, secret] = Buffer.from(basic[1]!, "base64").toString().split(":");
    if (!p.client_id && id) p.client_id = decodeURIComponent(id);
    if (!p.client_secret && secret != null) p.client_secret = decodeURIComponent(secret);
  }
  if (!p.client_id) throw paramError("Missing client_id parameter.", 0);
  if (p.client_id !== emu.appId)
    throw new GraphError(400, { message: "Error validating application. Invalid application ID.", type: "OAuthException", code: 101 });
  if (!p.client_secret) throw paramError("Missing client_secret parameter.");
  if (p.client_secret !== emu.appSecret) throw new GraphError(400, { message: "Error validating client secret.", type: "OAuthException", code: 1 });
  const lifetimes = emu.opts.tokenLifetimes ?? {};
  if (p.grant_type === "client_credentials") return json(200, { access_token: `${emu.appId}|${emu.appSecret}`, token_type: "bearer" });
  if (p.grant_type === "fb_exchange_token") {
    const old = p.fb_exchange_token;
    if (!old) throw paramError("Missing fb_exchange_token parameter");
    const rec = emu.checkToken(old);
    if (rec.type === "SYSTEM_USER") {
      const t = emu.issueToken(rec.userId, "SYSTEM_USER", null, rec.scopes);
      return json(200, { access_token: t.token, token_type: "bearer" });
    }
    const secs = lifetimes.longLivedSeconds ?? 5183944;
    const t = emu.issueToken(rec.userId, "USER", secs, rec.scopes);
    return json(200, { access_token: t.token, token_type: "bearer", expires_in: secs });
  }
  if (!p.code) throw paramError("Missing authorization code");
  const c = emu.codes.get(p.code);
  if (!c) throw new GraphError(400, { message: "Invalid verification code format.", type: "OAuthException", code: 100, error_subcode: 36007 });
  if (c.used) {
    const m = "This authorization code has been used.";
    throw new GraphError(
      400,
      { message: m, type: "OAuthException", code: 100, error_subcode: 36009 },
      { "WWW-Authenticate": wwwAuthenticate("invalid_code", m) },
    );
  }
  if ((p.redirect_uri ?? "") !== c.redirectUri)
    throw new GraphError(400, {
      message: "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
      type: "OAuthException",
      code: 100,
      error_subcode: 36008,
    });
  if (c.expiresAtMs < Date.now())
    throw new GraphError(400, { message: "This authorization code has expired.", type: "OAuthException", code: 100, error_subcode: 36007 });
  c.used = true;
  if (c.type === "SYSTEM_USER") {
    const t = emu.issueToken(c.userId, "SYSTEM_USER", null, c.scopes);
    return json(200, { access_token: t.token, token_type: "bearer" });
  }
  const secs = lifetimes.codeExchangeSeconds ?? 7200;
  const t = emu.issueToken(c.userId, "USER", secs, c.scopes);
  return json(200, { access_token: t.token, token_type: "bearer", expires_in: secs });
}

export function debugToken(emu: Emulator, g: GReq): GRes {
  const input = g.params.input_token;
  if (!input) throw paramError("The parameter input_token is required");
  const rec = emu.tokens.get(input);
  if (emu.isAppToken(input)) return json(200, { data: { app_id: emu.appId, type: "APP", application: emu.appName, is_valid: true, scopes: [] } });
  if (!rec)
    return json(200, { data: { error: { code: 190, message: "Invalid OAuth access token - Cannot parse access token" }, is_valid: false, scopes: [] } });
  const user = emu.world.usersById.get(rec.userId)!;
  const bizIds = [...new Set(user.accountIds.map((id) => emu.world.accountsById.get(id)!.businessId).filter(Boolean))] as string[];
  const data: Record<string, unknown> = {
    app_id: emu.appId,
    type: rec.type,
    application: emu.appName,
    data_access_expires_at: rec.type === "SYSTEM_USER" ? 0 : rec.issuedAt + (emu.opts.dataAccessExpiryDays ?? 90) * 86400,
    expires_at: rec.expiresAt,
    is_valid: true,
    issued_at: rec.issuedAt,
    scopes: rec.scopes,
    granular_scopes: rec.scopes
      .filter((s) => s !== "public_profile")
      .map((s) =>
        s === "business_management" ? { scope: s, target_ids: bizIds } : s.startsWith("ads_") ? { scope: s, target_ids: user.accountIds } : { scope: s },
      ),
    user_id: rec.userId,
  };
  const invalid = emu.tokenInvalidity(rec);
  if (invalid) {
    data.is_valid = false;
    data.error = { code: 190, message: invalid.message, subcode: invalid.subcode };
  }
  return json(200, { data });
}
