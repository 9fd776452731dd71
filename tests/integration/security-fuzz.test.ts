/**
 * Input fuzzing through the real server: random query strings and form bodies (odd keys, huge,
 * empty, unicode, control characters, numbers where ids belong, repeated fields) against every
 * page as owner, member, client viewer and anonymous, behind forged X-Forwarded-For chains. Bad input
 * may be refused (4xx) or ignored, but
 * it must never be a 500. A failure prints the shrunk counterexample.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { createAgencyFixture } from "../helpers/factories";
import { sessionCookieFor } from "../helpers/session";
import { TENANT_URLS, type TenantIds } from "../helpers/urls";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
let ids: TenantIds;
const cookies: Record<string, string | null> = {};

beforeAll(async () => {
  server = await startTestServer();
  const fx = await createAgencyFixture();
  // a client with an ad account and a day of facts, so the dashboards render numbers, not empty states
  await asService(async (tx) => {
    const [acct] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, meta_account_id, name, currency, timezone_name, sync_status, last_synced_at)
      values (${fx.agency.id}, ${fx.workspaces[0].id}, ${`act_${Date.now()}`}, 'Main', 'EUR', 'Europe/Berlin', 'ok', now()) returning id`;
    await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
      values (${acct.id}, '1201', current_date - 1, 'facebook', ${fx.workspaces[0].id}, '12.3400', 1000, 10)`;
  });
  ids = { agency: fx.agency.slug, workspace: fx.workspaces[0].slug, workspace2: fx.workspaces[1].slug, workspaceId: fx.workspaces[0].id };
  cookies.owner = await sessionCookieFor(fx.owner.id);
  cookies.member = await sessionCookieFor(fx.member.id);
  cookies.viewer = await sessionCookieFor(fx.viewer.id);
  cookies.anon = null;
});
afterAll(async () => {
  const { stopWorker } = await import("../../app/.server/sync/scheduler");
  await stopWorker();
  await server?.close();
  await closeVite();
});

const PUBLIC_PATHS = [
  "/",
  "/login",
  "/signup",
  "/forgot-password",
  "/invite/abc",
  "/reset-password/abc",
  "/confirm-email/abc",
  "/account",
  "/meta/deletion/abcdefghijklmnopqrstuv",
  "/meta/callback",
  "/a",
];

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "null",
    "undefined",
    "true",
    "[]",
    "{}",
    "%",
    "%00",
    "\u0000",
    "../../etc/passwd",
    "<script>",
    "' or 1=1 --",
    "00000000-0000-0000-0000-000000000000",
    "act_1",
    "a".repeat(5000),
    "2026-02-30",
    "9999-12-31",
  ),
);
const KEYS = [
  "intent",
  "email",
  "password",
  "name",
  "role",
  "token",
  "since",
  "until",
  "range",
  "preset",
  "compare",
  "platform",
  "campaign",
  "accounts",
  "connectionId",
  "adAccountId",
  "workspaceId",
  "userId",
  "redirectTo",
  "code",
  "state",
  "slug",
  "agencySlug",
  "agencyName",
  "page",
  "sort",
  "q",
  "kind",
  "plan",
  "deleteData",
];
const fields = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 })), nasty), { maxLength: 8 });

/** Client-supplied X-Forwarded-For values: addresses, garbage, spoofed loopback, huge lists. */
const forwarded = fc.option(
  fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.constantFrom("127.0.0.1", "::1", "unknown", "", " , ,", "999.1.1.1", "1.2.3.4:80", "[::1]:443", "evil.example", "1.1.1.1,".repeat(200)),
    // printable ASCII only: anything else is not a valid header value, and fetch refuses to send it
    fc.string({ maxLength: 30 }).map((v) => v.replace(/[^\x20-\x7e]/g, "")),
  ),
  { nil: null },
);

function encode(pairs: [string, string][]) {
  const p = new URLSearchParams();
  for (const [k, v] of pairs) p.append(k, v);
  return p.toString();
}

describe("input fuzzing", () => {
  it("never answers 500 to random query and form input, for any role", async () => {
    const targets = [
      ...TENANT_URLS.map((u) => ({ path: u.path(ids), method: u.method ?? "GET", form: u.form })),
      ...PUBLIC_PATHS.map((path) => ({ path, method: "GET" as const, form: undefined })),
      ...["/login", "/signup", "/forgot-password", "/invite/abc", "/reset-password/abc", "/confirm-email/abc", "/account"].map((path) => ({
        path,
        method: "POST" as const,
        form: undefined,
      })),
    ];
    const seen: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.constantFrom("owner", "member", "viewer", "anon"),
        fields,
        fields,
        forwarded,
        async (target, role, query, body, forgedFor) => {
          // a forged X-Forwarded-For on top of the trusted hop's own (review, finding 6): never a 500,
          // and only the last, proxy-appended address can count (security-rate-limit.test.ts)
          const own = `10.99.${seen.length % 250}.${(seen.length >> 8) % 250}`;
          const headers: Record<string, string> = { "x-forwarded-for": forgedFor === null ? own : `${forgedFor}, ${own}` };
          if (cookies[role]) headers.cookie = cookies[role]!;
          const qs = encode(query);
          const url = `${target.path}${qs ? `${target.path.includes("?") ? "&" : "?"}${qs}` : ""}`;
          let init: RequestInit = { headers };
          if (target.method === "POST") {
            headers["content-type"] = "application/x-www-form-urlencoded";
            init = { method: "POST", headers, body: encode([...Object.entries(target.form ?? {}), ...body]) };
          }
          const res = await server.fetch(url, init);
          await res.arrayBuffer();
          seen.push(`${role} ${target.method} ${url.slice(0, 120)} -> ${res.status}`);
          expect(res.status, `${role} ${target.method} ${url.slice(0, 300)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 250, seed: Number(process.env.FUZZ_SEED ?? 20261126), endOnFailure: true },
    );
    // the walk really exercised pages (not only redirects and refusals)
    expect(seen.filter((s) => s.endsWith("-> 200")).length).toBeGreaterThan(20);
  }, 180_000);
});
