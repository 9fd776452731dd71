/**
 * The overview's first-run checklist is read from the agency's real rows under RLS: each step turns
 * done when its rows exist, its link leads to the first client lacking it, another agency's rows
 * never count, and the checklist is complete (and the overview hides it) once all six are done.
 */
import { describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { setupChecklist } from "../../app/.server/tenancy/setup";
import { insertAgencyWithOwner, insertWorkspace } from "../../app/.server/tenancy";
import { addMember, createAgencyFixture, createUser, uniq } from "../helpers/factories";

const done = (c: Awaited<ReturnType<typeof setupChecklist>>) => Object.fromEntries(c.steps.map((s) => [s.key, s.done]));
const href = (c: Awaited<ReturnType<typeof setupChecklist>>, key: string) => c.steps.find((s) => s.key === key)!.href;

describe("setup checklist", () => {
  it("follows the agency's real state step by step, and only its own", async () => {
    const owner = await createUser();
    const admin = await createUser();
    const slug = uniq("setup-");
    const agency = await asService((tx) => insertAgencyWithOwner(tx, { name: `Setup ${slug}`, slug }, owner.id));
    await addMember(agency.id, admin.id, "admin");
    // another agency with everything done must not leak into this one's checklist
    await createAgencyFixture();

    let c = await setupChecklist(owner.id, agency);
    expect(done(c)).toEqual({ client: false, meta: false, accounts: false, numbers: false, invite: false, report: false });
    expect(href(c, "client")).toBe(`/a/${slug}/clients`);
    expect(href(c, "meta")).toBeUndefined();

    const ws = await asService((tx) => insertWorkspace(tx, agency.id, { name: "Harbor Bikes", slug: "harbor-bikes" }));
    c = await setupChecklist(admin.id, agency);
    expect(done(c)).toMatchObject({ client: true, meta: false });
    expect(href(c, "client")).toBeUndefined();
    expect(href(c, "meta")).toBe(`/a/${slug}/w/harbor-bikes/connections`);
    expect(href(c, "invite")).toBe(`/a/${slug}/w/harbor-bikes/settings`);
    // a report is offered only once there are numbers to report
    expect(href(c, "report")).toBeUndefined();

    const [conn] = await asService(
      (tx) => tx<{ id: string }[]>`
      insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, scopes)
      values (${agency.id}, ${ws.id}, 'system_user', '615500000000001', '{ads_read}') returning id`,
    );
    c = await setupChecklist(owner.id, agency);
    expect(done(c)).toMatchObject({ meta: true, accounts: false });
    expect(href(c, "accounts")).toBe(`/a/${slug}/w/harbor-bikes/connections`);

    const [acct] = await asService(
      (tx) => tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name)
      values (${agency.id}, ${ws.id}, ${conn!.id}, 'act_101000000000001', 'Acme Outdoor US', 'USD', 'America/Los_Angeles') returning id`,
    );
    c = await setupChecklist(owner.id, agency);
    expect(done(c)).toMatchObject({ accounts: true, numbers: false });
    expect(href(c, "numbers")).toBe(`/a/${slug}/w/harbor-bikes`);

    await asService(
      (tx) => tx`
      insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend)
      values (${acct!.id}, '120200001000000001', '2026-11-01', 'facebook', ${ws.id}, 12.34)`,
    );
    c = await setupChecklist(owner.id, agency);
    expect(done(c)).toMatchObject({ numbers: true, invite: false, report: false });
    expect(href(c, "report")).toBe(`/a/${slug}/w/harbor-bikes/reports`);

    await asService(
      (tx) => tx`
      insert into public.invitations (agency_id, workspace_id, email, role, token_hash)
      values (${agency.id}, ${ws.id}, 'client@harbor.example', 'viewer', ${uniq("hash-")})`,
    );
    c = await setupChecklist(owner.id, agency);
    expect(done(c)).toMatchObject({ invite: true, report: false });
    expect(c.complete).toBe(false);

    await asService(async (tx) => {
      const [t] = await tx<{ id: string }[]>`
        insert into public.report_templates (agency_id, workspace_id, name, sections, range_preset) values (${agency.id}, ${ws.id}, 'Monthly', '["kpis"]'::jsonb, 'last_month') returning id`;
      await tx`insert into public.report_schedules (agency_id, workspace_id, template_id, name, frequency, day_of_month, hour)
        values (${agency.id}, ${ws.id}, ${t!.id}, 'Monthly report', 'monthly', 1, 9)`;
    });
    c = await setupChecklist(owner.id, agency);
    expect(c.complete).toBe(true);
    expect(c.done).toBe(6);
  });
});
