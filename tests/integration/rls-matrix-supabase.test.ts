/**
 * The RLS matrix (rls-matrix.test.ts, unchanged) on a Supabase-shaped database: Supabase's roles and
 * its auth, realtime, vault and extensions schemas (tests/fixtures/supabase/shape.sql), our migrations
 * applied on top, Meta tokens in Vault. Plus the realtime.messages policy of migration 0110, checked
 * the way Supabase Realtime checks a private-channel join.
 *
 * Always PostgreSQL (TEST_DATABASE_URL's server, else 127.0.0.1:5432), like ops-multiprocess: the
 * shape needs roles and extensions of a real server.
 */
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService, configureDatabase } from "../../app/.server/db/connection";
import { migrate } from "../../app/.server/db/migrate";
import { installRealtimePolicies } from "../../app/.server/realtime/supabase";
import { readPolicies } from "../../emulator/supabase-realtime/authorize";
import { createSupabaseShapedDatabase, dropSupabaseShapedDatabase } from "../../scripts/supabase-shaped-db.mjs";
import { createAgencyFixture } from "../helpers/factories";

const SERVER = (() => {
  const u = new URL(process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
  u.pathname = "/postgres";
  return u.toString();
})();
const NAME = `spendlane_supabase_rls_${process.pid}`;
let admin: postgres.Sql;

beforeAll(async () => {
  const url: string = await createSupabaseShapedDatabase(NAME, SERVER);
  admin = postgres(url, { max: 2, onnotice: () => {} });
  await migrate(admin);
  expect(await installRealtimePolicies(admin)).toBe(true);
  configureDatabase(url, { max: 4 });
});

afterAll(async () => {
  await admin?.end();
  await dropSupabaseShapedDatabase(NAME, SERVER);
});

describe("Supabase-shaped database", () => {
  it("stores Meta tokens in Vault, encrypted, out of reach of the API roles", async () => {
    const { storeSecret, readSecret } = await import("../../app/.server/meta/vault");
    const id = await asService((tx) => storeSecret(tx, "EAAB-token-for-vault-check"));
    expect(await asService((tx) => readSecret(tx, id))).toBe("EAAB-token-for-vault-check");
    const [row] = await admin<{ secret: string }[]>`select secret from vault.secrets where id = ${id}`;
    expect(row!.secret).not.toContain("EAAB");
    const [tv] = await admin<{ n: number }[]>`select count(*)::int as n from private.token_vault where id = ${id}`;
    expect(tv!.n).toBe(0);
  });

  it("Realtime's join check lets exactly staff of the agency and the workspace's viewers read workspace:<id>", async () => {
    const A = await createAgencyFixture();
    const B = await createAgencyFixture();
    const viewer = A.viewer;
    const topicA = `workspace:${A.workspaces[0]!.id}`;
    const topicA2 = `workspace:${A.workspaces[1]!.id}`;
    const topicB = `workspace:${B.workspaces[0]!.id}`;
    const claims = (sub: string) => ({ sub, role: "authenticated", exp: Math.floor(Date.now() / 1000) + 300 });
    const can = async (sub: string, topic: string) => (await readPolicies(admin, topic, claims(sub))).broadcast;
    for (const staff of [A.owner.id, A.admin.id, A.member.id]) {
      expect(await can(staff, topicA)).toBe(true);
      expect(await can(staff, topicA2)).toBe(true);
      expect(await can(staff, topicB)).toBe(false);
    }
    expect(await can(viewer.id, topicA)).toBe(true);
    expect(await can(viewer.id, topicA2)).toBe(false);
    expect(await can(viewer.id, topicB)).toBe(false);
    expect(await can(B.owner.id, topicA)).toBe(false);
    // presence is not granted; malformed or foreign topics are refused, not errors
    expect((await readPolicies(admin, topicA, claims(A.owner.id))).presence).toBe(false);
    for (const t of ["workspace:not-a-uuid", `workspace:${A.workspaces[0]!.id}:x`, `agency:${A.agency.id}`, ""]) {
      expect(await can(A.owner.id, t)).toBe(false);
    }
    // anon never reads
    expect((await readPolicies(admin, topicA, { role: "anon" })).broadcast).toBe(false);
    // the check leaves nothing behind
    const [{ n }] = await admin<{ n: number }[]>`select count(*)::int as n from realtime.messages where topic = ${topicA}`;
    expect(n).toBe(0);
  });
});

// The whole matrix, registered after the hooks above so it runs against the Supabase-shaped database.
await import("./rls-matrix.test");
