/**
 * Which accounts the scheduler calls due: the plan's refresh cadence (Starter hourly, Growth and
 * trial every 15 minutes) and billing's read-only states pausing sync. Needs no Meta calls: the
 * decision is SQL over stored state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { findDueAccounts } from "../../app/.server/sync/due";
import type { RunningEmulator } from "../../emulator/meta-graph";
import { connectTenant, emulator, type ConnectedTenant } from "../helpers/sync-helpers";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(async () => {
  await emu.close();
});

/** Backfilled and restated, last incremental `minutesAgo` ago: only the cadence decides. */
async function settled(t: ConnectedTenant, minutesAgo: number) {
  const id = t.accounts[0]!.id;
  await sql()`update public.ad_accounts set backfilled_since = current_date - interval '2 years', last_restated_at = now(),
    last_incremental_at = now() - make_interval(mins => ${minutesAgo}) where id = ${id}`;
  return id;
}

async function dueKinds(id: string, opts: { billingEnabled?: boolean } = {}) {
  const due = await sql().begin((tx) => findDueAccounts(tx, null, 100000, opts));
  return due.filter((d) => d.adAccountId === id).map((d) => d.kind);
}

describe("due accounts", () => {
  it("follow the agency plan's refresh cadence", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 1 });
    const id = await settled(t, 20);
    await sql()`update public.agencies set plan_id = 'growth' where id = ${t.agencyId}`;
    expect(await dueKinds(id)).toEqual(["incremental"]); // 20 min > 15 min
    await sql()`update public.agencies set plan_id = 'starter' where id = ${t.agencyId}`;
    expect(await dueKinds(id)).toEqual([]); // 20 min < 60 min
    await settled(t, 61);
    expect(await dueKinds(id)).toEqual(["incremental"]);
  });

  it("pause syncing for read-only agencies when billing is on, and only then", async () => {
    const t = await connectTenant(emu, { n: 1, backfillMonths: 1 });
    const id = await settled(t, 120);
    await sql()`update public.agencies set plan_id = 'growth', subscription_status = 'canceled' where id = ${t.agencyId}`;
    expect(await dueKinds(id, { billingEnabled: true })).toEqual([]);
    expect(await dueKinds(id, { billingEnabled: false })).toEqual(["incremental"]);
    // past_due keeps syncing through the grace period, then pauses
    await sql()`update public.agencies set subscription_status = 'past_due', past_due_since = now() - interval '3 days' where id = ${t.agencyId}`;
    expect(await dueKinds(id, { billingEnabled: true })).toEqual(["incremental"]);
    await sql()`update public.agencies set past_due_since = now() - interval '8 days' where id = ${t.agencyId}`;
    expect(await dueKinds(id, { billingEnabled: true })).toEqual([]);
    // a trial past its end without a subscription pauses too
    await sql()`update public.agencies set plan_id = 'trial', subscription_status = 'trialing', past_due_since = null,
      trial_ends_at = now() - interval '1 day' where id = ${t.agencyId}`;
    expect(await dueKinds(id, { billingEnabled: true })).toEqual([]);
  });
});
