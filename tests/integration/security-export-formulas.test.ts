/**
 * Review finding 3 (and the fuzz walk it asked for): CSV formula payloads in every string that reaches
 * an export, from users (agency, client and person names, invitation emails) and from Meta (account
 * and campaign names, statuses, objectives, Facebook user names, sync errors). Every export is read
 * back through the real server (the owner's ZIP, the workspace CSVs as a client viewer and a member)
 * and no cell may start a formula; the payload itself survives, behind a leading apostrophe.
 */
import fc from "fast-check";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { createAgencyFixture } from "../helpers/factories";
import { FORMULA_STARTS, isFormulaCell, parseCsvRows } from "../helpers/csv";
import { sessionCookieFor } from "../helpers/session";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await closeVite();
});

const payload = fc
  .tuple(
    fc.constantFrom(...FORMULA_STARTS),
    fc.constantFrom("cmd|' /C calc'!A0", 'HYPERLINK("http://evil.example","x")', "1+1", "SUM(A1:A9)", "2", ""),
    fc.string({ maxLength: 12 }),
  )
  .map(([start, body, tail]) => `${start}${body}${tail}`.replaceAll("\u0000", "").slice(0, 100) || "=1");

async function seed(p: string[]) {
  const fx = await createAgencyFixture({ workspaces: 1 });
  const ws = fx.workspaces[0];
  const at = (i: number) => p[i % p.length];
  await asService(async (tx) => {
    await tx`update public.agencies set name = ${at(0)} where id = ${fx.agency.id}`;
    await tx`update public.workspaces set name = ${at(1)} where id = ${ws.id}`;
    await tx`update public.users set name = ${at(2)} where id in ${tx([fx.owner.id, fx.member.id, fx.viewer.id])}`;
    await tx`insert into public.invitations (agency_id, email, role, token_hash, expires_at)
      values (${fx.agency.id}, ${`${
        at(3)
          .toLowerCase()
          .replace(/[^a-z0-9=+@-]/g, "") || "x"
      }x@example.test`.replace(/^@/, "=")}, 'member', md5(random()::text), now() + interval '1 day')`;
    await tx`insert into public.audit_log (agency_id, actor_user_id, action, target) values (${fx.agency.id}, ${fx.owner.id}, 'client.rename', ${tx.json({ to: at(4) })})`;
    const [conn] = await tx<{ id: string }[]>`
      insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, facebook_user_name, token_secret_id, status_reason)
      values (${fx.agency.id}, ${ws.id}, 'oauth', '5550009', ${at(5)}, gen_random_uuid(), ${at(6)}) returning id`;
    const [acct] = await tx<{ id: string; meta_account_id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, sync_status, sync_error, last_synced_at)
      values (${fx.agency.id}, ${ws.id}, ${conn.id}, ${`act_${Math.floor(Math.random() * 1e12)}`}, ${at(7)}, 'USD', 'UTC', 'ok', ${at(8)}, now())
      returning id, meta_account_id`;
    await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name, objective, status, effective_status)
      values (${acct.id}, '120001', ${ws.id}, ${at(9)}, ${at(10)}, ${at(11)}, ${at(12)})`;
    await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
      values (${acct.id}, '120001', current_date - 2, 'facebook', ${ws.id}, '12.3400', 1000, 10)`;
  });
  return fx;
}

function formulaCells(name: string, text: string): string[] {
  return parseCsvRows(text).flatMap((row, r) => row.flatMap((cell, c) => (isFormulaCell(cell) ? [`${name} r${r} c${c}: ${JSON.stringify(cell)}`] : [])));
}

describe("CSV formula payloads in every exported string", () => {
  it("never reach a spreadsheet as formulas, in the owner's ZIP or the workspace CSVs, for any role", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 13, maxLength: 13 }), async (p) => {
        const fx = await seed(p);
        const owner = await sessionCookieFor(fx.owner.id);
        const zipRes = await server.fetch(`/a/${fx.agency.slug}/export`, { headers: { cookie: owner } });
        expect(zipRes.status).toBe(200);
        const files = unzipSync(new Uint8Array(await zipRes.arrayBuffer()));
        const found: string[] = [];
        for (const [name, bytes] of Object.entries(files)) found.push(...formulaCells(name, strFromU8(bytes)));
        const ws = fx.workspaces[0].slug;
        for (const [who, kind] of [
          [fx.viewer.id, "campaigns"],
          [fx.member.id, "daily"],
          [fx.viewer.id, "daily"],
        ] as const) {
          const res = await server.fetch(`/a/${fx.agency.slug}/w/${ws}/export/${kind}`, { headers: { cookie: await sessionCookieFor(who) } });
          expect(res.status).toBe(200);
          found.push(...formulaCells(`${kind}.csv`, await res.text()));
        }
        expect(found).toEqual([]);
        // the payload is kept, as text: the campaign name reads back behind one apostrophe (a plain
        // number such as "-2" is no formula and stays as it is)
        const name = p[9].split('"')[0].slice(0, 4);
        expect(strFromU8(files["campaigns.csv"])).toContain(isFormulaCell(p[9]) ? `'${name}` : name);
      }),
      { numRuns: 5 },
    );
  });

  it("keeps plain negative numbers exact (they are not formulas)", async () => {
    const { stringify } = await import("csv-stringify/sync");
    const { SPREADSHEET_SAFE } = await import("../../app/.server/security/spreadsheet-safe");
    expect(stringify([["-12.5000", "-1+2", "=A1", "@SUM(1)", "+1", "ok", "\tx"]], SPREADSHEET_SAFE)).toBe("-12.5000,'-1+2,'=A1,'@SUM(1),'+1,ok,'\tx\n");
  });
});
