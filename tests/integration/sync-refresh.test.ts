/**
 * The Refresh action: members and above queue a manual sync per ad account (deduplicated), viewers
 * and outsiders get 404, and a rate-limited account answers when its sync will run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action } from "../../app/routes/a.$agency.w.$workspace.refresh";
import { processGovernor } from "../../app/.server/meta/graph";
import { pendingSync, stopWorker } from "../../app/.server/sync/scheduler";
import { sql } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { createUser } from "../helpers/factories";
import { requestAs } from "../helpers/session";
import { emulator, connectTenant } from "../helpers/sync-helpers";
import type { RunningEmulator } from "../../emulator/meta-graph/index";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulator({ world: { accounts: 2, campaignsPerAccount: 2 } });
});
afterAll(async () => {
  await stopWorker();
  await emu?.close();
});

async function post(userId: string, agency: string, workspace: string) {
  const request = await requestAs(userId, `/a/${agency}/w/${workspace}/refresh`, { method: "POST" });
  try {
    const res = (await action({ request, params: { agency, workspace }, context: {} as never })) as unknown as { data: any; init: ResponseInit | null };
    return { status: res.init?.status ?? 200, body: res.data };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, body: null };
    throw thrown;
  }
}

describe("refresh route", () => {
  it("queues one manual sync per account for a member, deduplicates, and says when a rate-limited one runs", async () => {
    const t = await connectTenant(emu, { n: 2 });
    const [a1, a2] = t.accounts;
    processGovernor().penalize(a2!.metaAccountId, 120_000);
    const first = await post(t.users.member, t.agencySlug, t.workspaceSlug);
    expect(first.status).toBe(200);
    const states = Object.fromEntries(first.body.accounts.map((x: any) => [x.adAccountId, x.state]));
    expect(states[a1!.id]).toBe("queued");
    expect(states[a2!.id]).toBe("rate_limited");
    const later = first.body.accounts.find((x: any) => x.adAccountId === a2!.id);
    expect(Date.parse(later.runsAt) - Date.now()).toBeGreaterThan(60_000);
    const second = await post(t.users.owner, t.agencySlug, t.workspaceSlug);
    expect(second.body.accounts.map((x: any) => x.state)).toEqual(["already_queued", "already_queued"]);
  });

  it("answers 404 to client viewers and outsiders", async () => {
    const t = await connectTenant(emu, { n: 1 });
    expect((await post(t.users.viewer, t.agencySlug, t.workspaceSlug)).status).toBe(404);
    const outsider = await createUser();
    expect((await post(outsider.id, t.agencySlug, t.workspaceSlug)).status).toBe(404);
  });

  it("is refused with the billing reason while the agency is read-only (billing on), and works again after", async () => {
    const t = await connectTenant(emu, { n: 1 });
    const saved = { key: process.env.STRIPE_SECRET_KEY, hook: process.env.STRIPE_WEBHOOK_SECRET };
    process.env.STRIPE_SECRET_KEY = "sk_test_read_only_check";
    process.env.STRIPE_WEBHOOK_SECRET = "whsec_read_only_check";
    resetEnvForTests();
    try {
      await sql()`update public.agencies set subscription_status = 'canceled' where id = ${t.agencyId}`;
      const refused = await post(t.users.member, t.agencySlug, t.workspaceSlug);
      expect(refused.status).toBe(402);
      expect(refused.body.error).toMatch(/canceled/);
      expect(await pendingSync(t.accounts[0]!.id)).toBeNull();
      await sql()`update public.agencies set subscription_status = 'active' where id = ${t.agencyId}`;
      expect((await post(t.users.member, t.agencySlug, t.workspaceSlug)).status).toBe(200);
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
