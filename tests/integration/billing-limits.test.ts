import { describe, it, expect, afterEach } from "vitest";
import { asService, asUser } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { LimitError } from "../../app/.server/errors";
import { insertWorkspace } from "../../app/.server/tenancy";
import { assertCanAddClient, assertCanAddSeat, assertWritable, computeLimits, getAgencyLimits, getAgencyUsage } from "../../app/.server/billing/limits";
import { addMember, addViewer, createAgencyFixture, createUser } from "../helpers/factories";

async function setPlan(agencyId: string, planId: string, status = "active", extra: { pastDueSince?: Date; trialEndsAt?: Date } = {}) {
  await asService(
    (tx) => tx`update public.agencies set plan_id = ${planId}, subscription_status = ${status},
      past_due_since = ${extra.pastDueSince ?? null}, trial_ends_at = coalesce(${extra.trialEndsAt ?? null}::timestamptz, trial_ends_at)
      where id = ${agencyId}`,
  );
}

function withBilling(on: boolean) {
  if (on) {
    process.env.STRIPE_SECRET_KEY = "sk_test_limits";
    process.env.STRIPE_WEBHOOK_SECRET = "whsec_limits";
  } else {
    delete process.env.STRIPE_SECRET_KEY;
    delete process.env.STRIPE_WEBHOOK_SECRET;
  }
  resetEnvForTests();
}

afterEach(() => withBilling(false));

describe("plans", () => {
  it("a new agency is on the trial with Growth's limits, and billing is off without a Stripe key", async () => {
    const { agency } = await createAgencyFixture({ workspaces: 0 });
    const limits = await asService((tx) => getAgencyLimits(tx, agency.id));
    expect(limits).toMatchObject({ planId: "trial", clients: 25, seats: 10, refreshMinutes: 15, status: "trialing", readOnly: false, billingEnabled: false });
    const plans = await asService((tx) => tx`select id, clients, seats, refresh_minutes from public.plans order by sort_order`);
    expect(plans.map((p) => [p.id, p.clients, p.seats, p.refresh_minutes])).toEqual([
      ["trial", 25, 10, 15],
      ["starter", 5, 3, 60],
      ["growth", 25, 10, 15],
      ["scale", null, 30, 15],
    ]);
  });

  it("members read their agency's limits under RLS; outsiders get not found", async () => {
    const { agency, member } = await createAgencyFixture({ workspaces: 0 });
    const outsider = await createUser();
    expect((await asUser(member.id, (tx) => getAgencyLimits(tx, agency.id))).planId).toBe("trial");
    await expect(asUser(outsider.id, (tx) => getAgencyLimits(tx, agency.id))).rejects.toThrow("Agency not found");
  });
});

describe("client limit", () => {
  it("refuses a sixth client on Starter at the server with an upgrade prompt, and changes nothing", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 5 });
    await setPlan(agency.id, "starter");
    const err = await asUser(owner.id, (tx) => insertWorkspace(tx, agency.id, { name: "Sixth" })).catch((e) => e);
    expect(err).toBeInstanceOf(LimitError);
    expect(err.limit).toBe("clients");
    expect(err.message).toMatch(/Starter plan includes 5 active clients.*Upgrade your plan/);
    expect((await asService((tx) => getAgencyUsage(tx, agency.id))).clients).toBe(5);
  });

  it("the database refuses it too, when the server check is bypassed", async () => {
    const { agency } = await createAgencyFixture({ workspaces: 5 });
    await setPlan(agency.id, "starter");
    const err = await asService((tx) => tx`insert into public.workspaces (agency_id, name, slug) values (${agency.id}, 'Raw', 'raw')`).catch((e) => e);
    expect(err.hint).toBe("plan_limit:clients");
    expect(err.message).toMatch(/Starter plan includes 5 active clients/);
  });

  it("archived clients do not count; un-archiving counts as adding one", async () => {
    const { agency, owner, workspaces } = await createAgencyFixture({ workspaces: 5 });
    await setPlan(agency.id, "starter");
    await asService((tx) => tx`update public.workspaces set archived_at = now() where id = ${workspaces[0].id}`);
    await asService((tx) => assertCanAddClient(tx, agency.id));
    const added = await asUser(owner.id, (tx) => insertWorkspace(tx, agency.id, { name: "Replacement" }));
    expect(added.slug).toBe("replacement");
    const err = await asService((tx) => tx`update public.workspaces set archived_at = null where id = ${workspaces[0].id}`).catch((e) => e);
    expect(err.hint).toBe("plan_limit:clients");
    const [row] = await asService((tx) => tx`select archived_at from public.workspaces where id = ${workspaces[0].id}`);
    expect(row.archived_at).not.toBeNull();
  });

  it("two concurrent inserts for the last slot: exactly one wins", async () => {
    const { agency } = await createAgencyFixture({ workspaces: 4 });
    await setPlan(agency.id, "starter");
    const results = await Promise.allSettled(
      ["race-a", "race-b"].map((slug) => asService((tx) => tx`insert into public.workspaces (agency_id, name, slug) values (${agency.id}, ${slug}, ${slug})`)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await asService((tx) => getAgencyUsage(tx, agency.id))).clients).toBe(5);
  });

  it("Scale has no client limit", async () => {
    const { agency } = await createAgencyFixture({ workspaces: 0 });
    await setPlan(agency.id, "scale");
    await asService(async (tx) => {
      for (let i = 0; i < 30; i++) await tx`insert into public.workspaces (agency_id, name, slug) values (${agency.id}, ${"c" + i}, ${"c" + i})`;
    });
    await asService((tx) => assertCanAddClient(tx, agency.id));
  });
});

describe("seat limit", () => {
  it("Starter has 3 seats: owner, admin and member fill them; a fourth is refused, viewers are free", async () => {
    const { agency, workspaces } = await createAgencyFixture({ workspaces: 1 });
    await setPlan(agency.id, "starter");
    const err = await asService((tx) => assertCanAddSeat(tx, agency.id)).catch((e) => e);
    expect(err).toBeInstanceOf(LimitError);
    expect(err.limit).toBe("seats");
    expect(err.message).toMatch(/Starter plan includes 3 seats/);
    const extra = await createUser();
    const dbErr = await addMember(agency.id, extra.id, "member").catch((e) => e);
    expect(dbErr.hint).toBe("plan_limit:seats");
    await addViewer(workspaces[0].id, extra.id);
    expect((await asService((tx) => getAgencyUsage(tx, agency.id))).seats).toBe(3);
  });
});

describe("status rules", () => {
  const row = {
    plan_id: "starter",
    plan_name: "Starter",
    clients: 5,
    seats: 3,
    refresh_minutes: 60,
    subscription_status: "past_due",
    trial_ends_at: null,
    past_due_since: new Date("2026-03-01T00:00:00Z"),
  };
  it("past_due keeps access for 7 days, then turns read-only and pauses sync", () => {
    const during = computeLimits(row, { billingEnabled: true, now: new Date("2026-03-07T23:59:59Z") });
    expect(during).toMatchObject({ readOnly: false, syncPaused: false, graceEndsAt: new Date("2026-03-08T00:00:00Z") });
    const after = computeLimits(row, { billingEnabled: true, now: new Date("2026-03-08T00:00:00Z") });
    expect(after).toMatchObject({ readOnly: true, syncPaused: true });
  });
  it("canceled, unpaid and an ended trial are read-only with billing on; nothing is with billing off", () => {
    const now = new Date("2026-03-10T00:00:00Z");
    for (const r of [
      { ...row, subscription_status: "canceled", past_due_since: null },
      { ...row, subscription_status: "unpaid", past_due_since: null },
      { ...row, plan_id: "trial", subscription_status: "trialing", past_due_since: null, trial_ends_at: new Date("2026-03-09T00:00:00Z") },
    ]) {
      expect(computeLimits(r, { billingEnabled: true, now }).readOnly).toBe(true);
      expect(computeLimits(r, { billingEnabled: false, now }).readOnly).toBe(false);
    }
    const trialRunning = { ...row, plan_id: "trial", subscription_status: "trialing", past_due_since: null, trial_ends_at: new Date("2026-03-11T00:00:00Z") };
    expect(computeLimits(trialRunning, { billingEnabled: true, now }).readOnly).toBe(false);
    // a Stripe-side trial on a paid plan waits for Stripe's verdict (active, past_due or paused)
    const stripeTrial = { ...row, subscription_status: "trialing", past_due_since: null, trial_ends_at: new Date("2026-03-09T00:00:00Z") };
    expect(computeLimits(stripeTrial, { billingEnabled: true, now }).readOnly).toBe(false);
  });
  it("a canceled agency with billing on cannot add clients or seats, and keeps its data", async () => {
    withBilling(true);
    const { agency, owner } = await createAgencyFixture({ workspaces: 1 });
    await setPlan(agency.id, "growth", "canceled");
    await expect(asService((tx) => assertWritable(tx, agency.id))).rejects.toMatchObject({ limit: "read_only" });
    const err = await asUser(owner.id, (tx) => insertWorkspace(tx, agency.id, { name: "Nope" })).catch((e) => e);
    expect(err).toBeInstanceOf(LimitError);
    expect(err.message).toMatch(/read-only because the subscription is canceled.*data is kept/);
    await expect(asService((tx) => assertCanAddSeat(tx, agency.id))).rejects.toMatchObject({ limit: "read_only" });
    expect((await asService((tx) => getAgencyUsage(tx, agency.id))).clients).toBe(1);
  });
});

describe("billing banner", () => {
  it("warns during the grace period, then says read-only; nothing with billing off or a healthy subscription", async () => {
    const { getBillingBanner } = await import("../../app/.server/billing/banner");
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    const since = new Date("2026-03-01T00:00:00Z");
    await setPlan(agency.id, "starter", "past_due", { pastDueSince: since });
    expect(await getBillingBanner(owner.id, agency.id, new Date("2026-03-03T00:00:00Z"))).toBeNull();
    withBilling(true);
    const grace = await getBillingBanner(owner.id, agency.id, new Date("2026-03-03T00:00:00Z"));
    expect(grace).toMatchObject({ kind: "past_due", until: "2026-03-08T00:00:00.000Z" });
    expect(grace?.message).toMatch(/within 5 days/);
    expect(await getBillingBanner(owner.id, agency.id, new Date("2026-03-09T00:00:00Z"))).toMatchObject({ kind: "read_only" });
    await setPlan(agency.id, "starter", "active");
    expect(await getBillingBanner(owner.id, agency.id)).toBeNull();
    await setPlan(agency.id, "trial", "trialing", { trialEndsAt: new Date(Date.now() + 2 * 86400_000) });
    expect(await getBillingBanner(owner.id, agency.id)).toMatchObject({ kind: "trial_ending" });
  });
});
