import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const APP_SECRET = vi.hoisted(() => {
  const secret = "meta-callback-test-secret";
  process.env.META_APP_SECRET = secret;
  return secret;
});

import { asService, sql } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { storeSecret } from "../../app/.server/meta/vault";
import { parseSignedRequest, signRequest } from "../../app/.server/security/signed-request";
import { startEmulator, type RunningEmulator } from "../../emulator/meta-graph";
import { createAgencyFixture, uniq } from "../helpers/factories";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
let emulator: RunningEmulator;
beforeAll(async () => {
  resetEnvForTests();
  emulator = await startEmulator({ appSecret: APP_SECRET });
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
  await closeVite();
});

/** A signed_request made by the Meta emulator (the same construction Meta uses). */
async function signedBy(kind: "deauthorize" | "data_deletion", userId: string): Promise<string> {
  const res = await fetch(`${emulator.url}/__emulator/signed-request`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind, user_id: userId }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).signed_request;
}

/** Two connections of one Facebook user in one agency, one of another user, each with a vault token. */
async function connectionsFixture() {
  const fx = await createAgencyFixture();
  const fbUser = String(10_000_000 + Math.floor(Math.random() * 1e9));
  const otherFbUser = `${fbUser}9`;
  const ids = await asService(async (tx) => {
    const out: { id: string; secret: string; fb: string }[] = [];
    for (const [ws, fb] of [
      [fx.workspaces[0], fbUser],
      [fx.workspaces[1], fbUser],
      [fx.workspaces[0], otherFbUser],
    ] as const) {
      const secret = await storeSecret(tx, `EAA${uniq("token")}${uniq()}`);
      const [row] = await tx<{ id: string }[]>`
        insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, facebook_user_name, token_secret_id, scopes, created_by)
        values (${fx.agency.id}, ${ws.id}, 'oauth', ${fb}, 'Pat Example', ${secret}, '{ads_read}', ${fx.owner.id}) returning id`;
      await tx`insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, sync_status)
        values (${fx.agency.id}, ${ws.id}, ${row.id}, ${`act_${Math.floor(Math.random() * 1e12)}`}, 'Account', 'EUR', 'Europe/Berlin', 'ok')`;
      out.push({ id: row.id, secret, fb });
    }
    await tx`update public.users set facebook_user_id = ${fbUser} where id = ${fx.member.id}`;
    return out;
  });
  return { fx, fbUser, otherFbUser, mine: ids.slice(0, 2), other: ids[2] };
}

async function state(ids: string[]) {
  return sql()<{ id: string; status: string; token_secret_id: string | null }[]>`
    select id, status, token_secret_id from public.meta_connections where id = any(${ids}::uuid[]) order by id`;
}
async function secretExists(id: string) {
  const [{ n }] = await sql()<{ n: number }[]>`select count(*)::int as n from private.token_vault where id = ${id}`;
  return n === 1;
}
const post = (path: string, signed_request: string) =>
  fetch(server.url + path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ signed_request }).toString(),
  });

describe("signed_request", () => {
  it("accepts Meta's construction and rejects tampering, other secrets, other algorithms and garbage", async () => {
    const good = await signedBy("deauthorize", "12345");
    expect(parseSignedRequest(good, APP_SECRET).user_id).toBe("12345");
    // algorithm names compare case-insensitively
    expect(parseSignedRequest(signRequest({ algorithm: "hmac-sha256", user_id: "7" }, APP_SECRET), APP_SECRET).user_id).toBe("7");
    const [sig, payload] = good.split(".");
    const forged = Buffer.from(JSON.stringify({ algorithm: "HMAC-SHA256", user_id: "99999" })).toString("base64url");
    for (const bad of [
      `${sig}.${forged}`,
      `${sig.slice(0, -2)}AA.${payload}`,
      signRequest({ user_id: "12345" }, "another-secret"),
      signRequest({ algorithm: "HMAC-SHA1", user_id: "12345" }, APP_SECRET),
      signRequest({ algorithm: "HMAC-SHA256" }, APP_SECRET),
      `${sig}.${payload}.x`,
      "",
      "not-a-signed-request",
      `${sig}==.${payload}`,
    ]) {
      expect(() => parseSignedRequest(bad, APP_SECRET), bad).toThrow(/signed_request/);
    }
  });

  // Review finding 8: a signed_request with issued_at 1 (or none) was accepted, so a captured one replays forever.
  it("refuses a stale, future-dated, expired or undated signed_request", () => {
    const now = Math.floor(Date.now() / 1000);
    expect(parseSignedRequest(signRequest({ user_id: "5", issued_at: now - 60 }, APP_SECRET), APP_SECRET).user_id).toBe("5");
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ user_id: "5", issued_at: 1 }, /too old/],
      [{ user_id: "5", issued_at: now - 2 * 3600 }, /too old/],
      [{ user_id: "5", issued_at: now + 3600 }, /future/],
      [{ user_id: "5", issued_at: now - 60, expires: now - 3600 }, /expired/],
      [{ user_id: "5", issued_at: undefined }, /incomplete/],
    ];
    for (const [payload, why] of cases) expect(() => parseSignedRequest(signRequest(payload, APP_SECRET), APP_SECRET), JSON.stringify(payload)).toThrow(why);
  });
});

describe("Meta deauthorize callback", () => {
  it("answers GET probes with 200", async () => {
    for (const path of ["/webhooks/meta/deauthorize", "/webhooks/meta/data-deletion"]) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(200);
    }
  });

  it("marks that person's connections needs_reauth and deletes their tokens, nobody else's", async () => {
    const { fbUser, mine, other } = await connectionsFixture();
    const res = await post("/webhooks/meta/deauthorize", await signedBy("deauthorize", fbUser));
    expect(res.status).toBe(200);
    const rows = await state(mine.map((c) => c.id));
    expect(rows.map((r) => [r.status, r.token_secret_id])).toEqual([
      ["needs_reauth", null],
      ["needs_reauth", null],
    ]);
    for (const c of mine) expect(await secretExists(c.secret)).toBe(false);
    const accounts = await sql()<{ sync_status: string }[]>`
      select sync_status from public.ad_accounts where connection_id = any(${mine.map((c) => c.id)}::uuid[])`;
    expect(accounts.map((a) => a.sync_status)).toEqual(["needs_reauth", "needs_reauth"]);
    expect((await state([other.id]))[0]).toMatchObject({ status: "active", token_secret_id: other.secret });
    expect(await secretExists(other.secret)).toBe(true);
  });

  it("refuses a bad signature with 400 and changes nothing", async () => {
    const { fbUser, mine } = await connectionsFixture();
    const forged = signRequest({ user_id: fbUser }, "not-the-app-secret");
    const res = await post("/webhooks/meta/deauthorize", forged);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/signature/);
    const rows = await state(mine.map((c) => c.id));
    expect(rows.every((r) => r.status === "active" && r.token_secret_id)).toBe(true);
    for (const c of mine) expect(await secretExists(c.secret)).toBe(true);
    expect((await post("/webhooks/meta/deauthorize", "")).status).toBe(400);
  });
});

describe("Meta data-deletion callback", () => {
  it("deletes the person's connections, tokens and login link, and answers a status URL and code", async () => {
    const { fx, fbUser, mine, other } = await connectionsFixture();
    const res = await post("/webhooks/meta/data-deletion", await signedBy("data_deletion", fbUser));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { url: string; confirmation_code: string };
    expect(body.confirmation_code).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(body.url).toBe(`${server.url}/meta/deletion/${body.confirmation_code}`);

    expect(await state(mine.map((c) => c.id))).toEqual([]);
    for (const c of mine) expect(await secretExists(c.secret)).toBe(false);
    const [member] = await sql()<{ facebook_user_id: string | null }[]>`select facebook_user_id from public.users where id = ${fx.member.id}`;
    expect(member.facebook_user_id).toBeNull();
    // ad accounts (the agency's records) stay, detached from the deleted connection
    const [{ n }] = await sql()<{ n: number }[]>`select count(*)::int as n from public.ad_accounts where agency_id = ${fx.agency.id} and connection_id is null`;
    expect(n).toBe(2);
    expect(await secretExists(other.secret)).toBe(true);

    const page = await fetch(body.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Your Facebook data has been deleted");
    expect(html).toContain(body.confirmation_code);
    expect(html).not.toContain(fbUser);
    // the table keeps a hash, not the Facebook id
    const [row] = await sql()<{ facebook_user_hash: string; status: string; connections_removed: number }[]>`
      select facebook_user_hash, status, connections_removed from public.meta_deletion_requests where confirmation_code = ${body.confirmation_code}`;
    expect(row).toMatchObject({ status: "completed", connections_removed: 2 });
    expect(row.facebook_user_hash).not.toContain(fbUser);
  });

  it("refuses a bad signature with 400 and deletes nothing; unknown codes are 404", async () => {
    const { fbUser, mine } = await connectionsFixture();
    const res = await post("/webhooks/meta/data-deletion", signRequest({ user_id: fbUser }, "wrong"));
    expect(res.status).toBe(400);
    expect(await state(mine.map((c) => c.id))).toHaveLength(2);
    expect((await fetch(`${server.url}/meta/deletion/${"x".repeat(24)}`)).status).toBe(404);
    expect((await fetch(`${server.url}/meta/deletion/short`)).status).toBe(404);
  });

  it("uses APP_URL for the status URL when set", async () => {
    process.env.APP_URL = "https://app.spendlane.test";
    resetEnvForTests();
    try {
      const { handleDataDeletion } = await import("../../app/.server/security/meta-callbacks");
      const answer = await handleDataDeletion(signRequest({ user_id: "424242" }, APP_SECRET), "http://127.0.0.1:1/webhooks/meta/data-deletion");
      expect(answer.url).toBe(`https://app.spendlane.test/meta/deletion/${answer.confirmation_code}`);
    } finally {
      delete process.env.APP_URL;
      resetEnvForTests();
    }
  });
});
