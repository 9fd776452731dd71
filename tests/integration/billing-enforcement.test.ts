/** The client limit end to end: the clients page (route action) and the CLI refuse a sixth client on Starter. */
import { describe, it, expect, inject } from "vitest";
import { execFile } from "node:child_process";
import path from "node:path";
import { asService } from "../../app/.server/db/connection";
import { getAgencyUsage } from "../../app/.server/billing/limits";
import { action as clientsAction } from "../../app/routes/a.$agency.clients";
import { createAgencyFixture } from "../helpers/factories";
import { requestAs } from "../helpers/session";

const setPlan = (agencyId: string, planId: string) => asService((tx) => tx`update public.agencies set plan_id = ${planId} where id = ${agencyId}`);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve("cli/bin.mjs"), ...args],
      { env: { ...process.env, DATABASE_URL: inject("databaseUrl"), LOG_LEVEL: "silent" }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("a sixth client on Starter", () => {
  it("is refused on the clients page with an upgrade prompt (402), and nothing is created", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 5 });
    await setPlan(agency.id, "starter");
    const request = await requestAs(owner.id, `/a/${agency.slug}/clients`, { method: "POST", body: new URLSearchParams({ name: "Sixth client" }) });
    const res = (await clientsAction({ request, params: { agency: agency.slug }, context: { nonce: "", requestId: "test", clientIp: "127.0.0.1" } })) as { data: { error: string }; init: { status: number } };
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
