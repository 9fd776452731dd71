/** The client limit end to end: the clients page (route action) and the CLI refuse a sixth client on Starter. */
import { describe, it, expect, inject } from "vitest";
import path from "node:path";
import { asService } from "../../app/.server/db/connection";
import { getAgencyUsage } from "../../app/.server/billing/limits";
import { action as clientsAction } from "../../app/routes/a.$agency.clients";
import { createAgencyFixture } from "../helpers/factories";
import { runProcess } from "../helpers/run-process";
import { requestAs } from "../helpers/session";

const setPlan = (agencyId: string, planId: string) => asService((tx) => tx`update public.agencies set plan_id = ${planId} where id = ${agencyId}`);

async function cli(args: string[]) {
  const r = await runProcess(process.execPath, [path.resolve("cli/bin.mjs"), ...args], {
    env: { ...process.env, DATABASE_URL: inject("databaseUrl"), LOG_LEVEL: "silent" },
    timeoutMs: 150_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("a sixth client on Starter", () => {
  it("is refused on the clients page with an upgrade prompt (402), and nothing is created", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 5 });
    await setPlan(agency.id, "starter");
    const request = await requestAs(owner.id, `/a/${agency.slug}/clients`, { method: "POST", body: new URLSearchParams({ name: "Sixth client" }) });
    const res = (await clientsAction({ request, params: { agency: agency.slug }, context: { nonce: "", requestId: "test", clientIp: "127.0.0.1" } })) as {
      data: { error: string };
      init: { status: number };
    };
    expect(res.init.status).toBe(402);
    expect(res.data.error).toMatch(/Starter plan includes 5 active clients.*Upgrade your plan on the Billing page/);
    expect((await asService((tx) => getAgencyUsage(tx, agency.id))).clients).toBe(5);
  });

  it("is refused by `spendlane workspace create` with exit code 2 and a clear message; Growth accepts it", async () => {
    const { agency } = await createAgencyFixture({ workspaces: 5 });
    const set = await cli(["billing", "set-plan", "--agency", agency.slug, "--plan", "starter"]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ planId: "starter", clients: 5, usage: { clients: 5, seats: 3 } });
    const refused = await cli(["workspace", "create", "--agency", agency.slug, "--name", "Sixth client"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^error: Your Starter plan includes 5 active clients and all are in use\. Upgrade your plan/);
    expect((await asService((tx) => getAgencyUsage(tx, agency.id))).clients).toBe(5);
    await setPlan(agency.id, "growth");
    const ok = await cli(["workspace", "create", "--agency", agency.slug, "--name", "Sixth client"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ slug: "sixth-client" });
    expect((await asService((tx) => getAgencyUsage(tx, agency.id))).clients).toBe(6);
  });
});

describe("operator plan changes", () => {
  it("refuses an unknown plan and agencies Stripe manages; keeps clients beyond a smaller plan", async () => {
    const { setPlanByOperator } = await import("../../app/.server/billing/admin");
    const { agency } = await createAgencyFixture({ workspaces: 7 });
    await expect(asService((tx) => setPlanByOperator(tx, agency.id, "platinum"))).rejects.toThrow('Unknown plan "platinum"');
    const status = await asService((tx) => setPlanByOperator(tx, agency.id, "starter"));
    expect(status).toMatchObject({ planId: "starter", status: "active", usage: { clients: 7 } });
    await asService((tx) => tx`update public.agencies set stripe_subscription_id = ${"sub_" + agency.id} where id = ${agency.id}`);
    await expect(asService((tx) => setPlanByOperator(tx, agency.id, "scale"))).rejects.toThrow(/pays through Stripe/);
    const [row] = await asService((tx) => tx`select plan_id from public.agencies where id = ${agency.id}`);
    expect(row.plan_id).toBe("starter");
  });
});

// Security review, extra item: a read-only agency (billing) could still rename clients, invite
// viewers, resend invitations and archive/restore clients.
describe("a read-only agency (billing on, subscription canceled)", () => {
  it("renames, archives, restores, invites viewers and resends invitations nothing, with the billing reason (402)", async () => {
    const { resetEnvForTests } = await import("../../app/.server/env");
    const { renameClient, setClientArchived } = await import("../../app/.server/tenancy/clients");
    const { inviteViewer, inviteMember, resendInvitation } = await import("../../app/.server/tenancy/invitations");
    const { agency, owner, workspaces } = await createAgencyFixture({ workspaces: 2 });
    // an open invitation made while the agency could still write
    const pending = await inviteMember(
      owner.id,
      agency.id,
      { email: `pending-${agency.slug}@example.test`, role: "member" },
      { baseUrl: "http://localhost:3000" },
    );
    await asService((tx) => tx`update public.workspaces set archived_at = now() where id = ${workspaces[1].id}`);
    const saved = { key: process.env.STRIPE_SECRET_KEY, hook: process.env.STRIPE_WEBHOOK_SECRET };
    Object.assign(process.env, { STRIPE_SECRET_KEY: "sk_test_read_only", STRIPE_WEBHOOK_SECRET: "whsec_read_only" });
    resetEnvForTests();
    try {
      await asService((tx) => tx`update public.agencies set subscription_status = 'canceled' where id = ${agency.id}`);
      const attempts: [string, () => Promise<unknown>][] = [
        ["rename", () => renameClient(owner.id, agency.id, workspaces[0].id, { name: "Renamed while read-only" })],
        ["archive", () => setClientArchived(owner.id, agency.id, workspaces[0].id, true)],
        ["restore", () => setClientArchived(owner.id, agency.id, workspaces[1].id, false)],
        [
          "invite viewer",
          () => inviteViewer(owner.id, agency.id, workspaces[0].id, { email: `viewer-${agency.slug}@example.test` }, { baseUrl: "http://localhost:3000" }),
        ],
        ["resend", () => resendInvitation(owner.id, agency.id, pending.id, { baseUrl: "http://localhost:3000" })],
      ];
      for (const [what, attempt] of attempts) {
        await expect(attempt(), what).rejects.toMatchObject({ status: 402, message: expect.stringMatching(/read-only because the subscription is canceled/) });
      }
      const [ws0] = await asService((tx) => tx`select name, archived_at from public.workspaces where id = ${workspaces[0].id}`);
      expect(ws0).toMatchObject({ name: "Client 1", archived_at: null });
      const [ws1] = await asService((tx) => tx`select archived_at from public.workspaces where id = ${workspaces[1].id}`);
      expect(ws1.archived_at).not.toBeNull();
      const invites = await asService((tx) => tx`select 1 from public.invitations where agency_id = ${agency.id} and role = 'viewer'`);
      expect(invites).toHaveLength(0);
    } finally {
      for (const [k, v] of [
        ["STRIPE_SECRET_KEY", saved.key],
        ["STRIPE_WEBHOOK_SECRET", saved.hook],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetEnvForTests();
    }
  });
});
