/**
 * One test per alert rule, against the emulator and the real sync core with the alert hook that
 * production wires (afterRun -> evaluateAfterSync): the condition appears -> exactly one open alert
 * -> a second sync does not duplicate it -> the condition clears -> the alert is resolved with its
 * opened/resolved times. Runs on PGlite and on PostgreSQL (TEST_DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { storeSecret } from "../../app/.server/meta/vault";
import { evaluateAfterSync, evaluateWorkspace } from "../../app/.server/alerts/evaluate";
import { loadPacing } from "../../app/.server/alerts/pacing";
import type { RunningEmulator } from "../../emulator/meta-graph/index";
import { NOW, connectTenant, control, emulator, sync, type ConnectedTenant } from "../helpers/sync-helpers";

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(async () => {
  await emu?.close();
});

const hook = { afterRun: (i: { adAccountId: string; now: Date }) => evaluateAfterSync({ ...i }) };
const USD_LA = "act_101000000000001";
const JPY_TOKYO = "act_101000000000003";
const USD_NY = "act_101000000000005";

async function tenant(account: string): Promise<ConnectedTenant> {
  const t = await connectTenant(emu, { accounts: [account], backfillMonths: 1 });
  const r = await sync(emu, { adAccountId: t.accounts[0]!.id, kind: "backfill" }, hook);
  expect(r.status).toBe("succeeded");
  return t;
}

async function incremental(t: ConnectedTenant) {
  return sync(emu, { adAccountId: t.accounts[0]!.id, kind: "incremental" }, hook);
}

interface AlertRow {
  id: string;
  subject: string;
  link: string;
  message: string;
  opened_at: Date;
  resolved_at: Date | null;
}
async function alertsOf(t: ConnectedTenant, rule: string): Promise<AlertRow[]> {
  return asService(
    (tx) => tx<AlertRow[]>`
    select id, subject, link, message, opened_at, resolved_at from public.alerts
    where workspace_id = ${t.workspaceId} and rule = ${rule} order by opened_at`,
  );
}

/** The shared acceptance shape: one open alert that survives a second sync without a duplicate. */
async function expectOneOpen(t: ConnectedTenant, rule: string, again: () => Promise<unknown>): Promise<AlertRow> {
  const first = await alertsOf(t, rule);
  expect(first.filter((a) => !a.resolved_at)).toHaveLength(1);
  await again();
  const second = await alertsOf(t, rule);
  expect(second).toHaveLength(first.length);
  expect(second.filter((a) => !a.resolved_at).map((a) => a.id)).toEqual(first.filter((a) => !a.resolved_at).map((a) => a.id));
  return second.find((a) => !a.resolved_at)!;
}

async function expectResolved(t: ConnectedTenant, rule: string, id: string) {
  const rows = await alertsOf(t, rule);
  const a = rows.find((r) => r.id === id)!;
  expect(a.resolved_at).toBeInstanceOf(Date);
  expect(a.resolved_at!.getTime()).toBeGreaterThanOrEqual(a.opened_at.getTime());
  expect(rows.filter((r) => !r.resolved_at)).toHaveLength(0);
}

async function setTarget(t: ConnectedTenant, currency: string, from: string, values: { monthly_budget?: string; target_cpa?: string; target_roas?: string }) {
  await asService(
    (tx) => tx`
    insert into public.workspace_targets (workspace_id, currency, effective_from, monthly_budget, target_cpa, target_roas)
    values (${t.workspaceId}, ${currency}, ${from}, ${values.monthly_budget ?? null}, ${values.target_cpa ?? null}, ${values.target_roas ?? null})`,
  );
}

describe("alert rules (condition -> one open alert -> no duplicate -> resolved)", () => {
  it("spend anomaly: an emulator spike today opens one alert linking to the client's day; clearing it resolves", async () => {
    const t = await tenant(USD_LA);
    expect(await alertsOf(t, "spend_anomaly")).toEqual([]);
    const spike = await control(emu, "POST", "/scenarios/spike", { account: USD_LA });
    try {
      expect((await incremental(t)).status).toBe("succeeded");
      const a = await expectOneOpen(t, "spend_anomaly", () => incremental(t));
      expect(a.subject).toBe(`account:${t.accounts[0]!.id}`);
      expect(a.link).toBe(`/a/${t.agencySlug}/w/${t.workspaceSlug}?range=custom&since=${spike.date}&until=${spike.date}&account=${t.accounts[0]!.id}`);
      expect(a.message).toContain("so far today");
      await control(emu, "POST", "/scenarios/clear", { account: USD_LA });
      await incremental(t);
      await expectResolved(t, "spend_anomaly", a.id);
    } finally {
      await control(emu, "POST", "/scenarios/clear", { account: USD_LA });
    }
  });

  it("zero delivery: nothing today after spending yesterday opens one alert; delivery back resolves it", async () => {
    const t = await tenant(USD_NY);
    expect(await alertsOf(t, "zero_delivery")).toEqual([]);
    await control(emu, "POST", "/scenarios/zero-delivery", { account: USD_NY });
    try {
      await incremental(t);
      const a = await expectOneOpen(t, "zero_delivery", () => incremental(t));
      expect(a.subject).toBe(`account:${t.accounts[0]!.id}`);
      expect(a.link).toContain("range=custom&since=2026-11-20&until=2026-11-20");
      await control(emu, "POST", "/scenarios/clear", { account: USD_NY });
      await incremental(t);
      await expectResolved(t, "zero_delivery", a.id);
    } finally {
      await control(emu, "POST", "/scenarios/clear", { account: USD_NY });
    }
  });

  it("zero delivery is not judged on a stale read (data last synced before the day got going)", async () => {
    const t = await tenant(USD_NY);
    // as if the last sync ran at 01:00 in New York, before today's delivery was reported
    await asService(async (tx) => {
      await tx`delete from public.insights_daily where ad_account_id = ${t.accounts[0]!.id} and date = '2026-11-20'`;
      await tx`update public.ad_accounts set last_synced_at = '2026-11-20T06:00:00Z' where id = ${t.accounts[0]!.id}`;
    });
    await evaluateWorkspace(t.workspaceId, { now: NOW, deliver: false });
    expect(await alertsOf(t, "zero_delivery")).toEqual([]);
    // the same data read at 10:00 New York time is a real zero-delivery day
    await asService((tx) => tx`update public.ad_accounts set last_synced_at = '2026-11-20T15:00:00Z' where id = ${t.accounts[0]!.id}`);
    await evaluateWorkspace(t.workspaceId, { now: NOW, deliver: false });
    expect((await alertsOf(t, "zero_delivery")).filter((a) => !a.resolved_at)).toHaveLength(1);
  });

  it("account disabled: Meta's account_status 2 opens one alert; re-enabled resolves it", async () => {
    const t = await tenant(JPY_TOKYO);
    await control(emu, "POST", "/scenarios/disable-account", { account: JPY_TOKYO });
    try {
      await incremental(t);
      const [{ account_status }] = await asService((tx) => tx`select account_status from public.ad_accounts where id = ${t.accounts[0]!.id}`);
      expect(account_status).toBe(2);
      const a = await expectOneOpen(t, "account_disabled", () => incremental(t));
      expect(a.message).toContain("disabled");
      await control(emu, "POST", "/scenarios/clear", { account: JPY_TOKYO });
      await incremental(t);
      await expectResolved(t, "account_disabled", a.id);
    } finally {
      await control(emu, "POST", "/scenarios/clear", { account: JPY_TOKYO });
    }
  });

  it("connection needs re-auth: Meta rejecting the token opens one alert; reconnecting resolves it", async () => {
    const t = await tenant(USD_LA);
    await control(emu, "POST", "/faults", { kind: "code190", count: 1, account: USD_LA });
    expect((await incremental(t)).status).toBe("needs_reauth");
    const a = await expectOneOpen(t, "connection_reauth", () => incremental(t));
    expect(a.subject).toBe(`connection:${t.connectionId}`);
    expect(a.link).toBe(`/a/${t.agencySlug}/w/${t.workspaceSlug}/connections`);
    // reconnecting stores a fresh token and makes the connection active again
    const tok = await control(emu, "POST", "/tokens", { systemUser: true });
    await asService(async (tx) => {
      const secret = await storeSecret(tx, tok.access_token);
      await tx`update public.meta_connections set status = 'active', status_reason = null, token_secret_id = ${secret} where id = ${t.connectionId}`;
    });
    expect((await incremental(t)).status).toBe("succeeded");
    await expectResolved(t, "connection_reauth", a.id);
  });

  it("token expiring within 7 days opens one alert; a long-lived token resolves it", async () => {
    const t = await tenant(USD_LA);
    const tok = await control(emu, "POST", "/scenarios/expiring-token", { days: 3 });
    await asService(async (tx) => {
      const secret = await storeSecret(tx, tok.access_token);
      await tx`update public.meta_connections set token_secret_id = ${secret}, token_expires_at = to_timestamp(${tok.expires_at}) where id = ${t.connectionId}`;
    });
    await incremental(t);
    const a = await expectOneOpen(t, "connection_expiring", () => incremental(t));
    expect(a.message).toContain("expires on 2026-11-23");
    const long = await control(emu, "POST", "/tokens", {});
    await asService(async (tx) => {
      const secret = await storeSecret(tx, long.access_token);
      await tx`update public.meta_connections set token_secret_id = ${secret}, token_expires_at = to_timestamp(${long.expires_at}) where id = ${t.connectionId}`;
    });
    await incremental(t);
    await expectResolved(t, "connection_expiring", a.id);
  });

  it("syncs failing for more than an hour: the hourly pass opens one alert; a good sync resolves it", async () => {
    const t = await tenant(USD_NY);
    await control(emu, "POST", "/faults", { kind: "http500", count: 200, account: USD_NY });
    try {
      expect((await incremental(t)).status).toBe("paused");
      // just failed: not yet an alert
      expect(await alertsOf(t, "sync_failing")).toEqual([]);
      // an hour and a minute later, the hourly pass sees it (the failing run's clock is the database's)
      const later = () => evaluateWorkspace(t.workspaceId, { now: new Date(Date.now() + 61 * 60_000), deliver: false });
      await later();
      const a = await expectOneOpen(t, "sync_failing", later);
      expect(a.message).toMatch(/have failed for (6\d|1\d\d) minutes/);
    } finally {
      await control(emu, "DELETE", "/faults");
    }
    const ok = await incremental(t);
    expect(ok.status).toBe("succeeded");
    const open = (await alertsOf(t, "sync_failing")).filter((x) => !x.resolved_at);
    expect(open).toEqual([]);
  });

  it("CPA above target over the last 3 days opens one alert; a higher target from today resolves it", async () => {
    const t = await tenant(USD_LA);
    await setTarget(t, "USD", "2026-11-01", { target_cpa: "0.01" });
    await incremental(t);
    const a = await expectOneOpen(t, "cpa_above_target", () => incremental(t));
    expect(a.subject).toBe("currency:USD");
    expect(a.link).toContain("range=custom&since=2026-11-17&until=2026-11-19");
    // the change applies from its date: today the target is generous
    await setTarget(t, "USD", "2026-11-20", { target_cpa: "1000000" });
    await incremental(t);
    await expectResolved(t, "cpa_above_target", a.id);
  });

  it("ROAS below target opens one alert; a lower target resolves it", async () => {
    const t = await tenant(JPY_TOKYO);
    await setTarget(t, "JPY", "2026-11-01", { target_roas: "1000" });
    await incremental(t);
    const a = await expectOneOpen(t, "roas_below_target", () => incremental(t));
    expect(a.subject).toBe("currency:JPY");
    await setTarget(t, "JPY", "2026-11-20", { target_roas: "0.0001" });
    await incremental(t);
    await expectResolved(t, "roas_below_target", a.id);
  });

  it("projected overspend opens one alert; a budget matching the projection resolves it", async () => {
    const t = await tenant(USD_NY);
    await setTarget(t, "USD", "2026-11-01", { monthly_budget: "10" });
    await incremental(t);
    const a = await expectOneOpen(t, "projected_overspend", () => incremental(t));
    expect(a.subject).toBe("currency:USD");
    const p = (await asService((tx) => loadPacing(tx, t.agencyId, NOW, [t.workspaceId]))).get(t.workspaceId)![0]!;
    await setTarget(t, "USD", "2026-11-20", { monthly_budget: String(p.projected) });
    await incremental(t);
    await expectResolved(t, "projected_overspend", a.id);
    expect(await alertsOf(t, "projected_underspend")).toEqual([]);
  });

  it("projected underspend opens one alert; a budget matching the projection resolves it", async () => {
    const t = await tenant(JPY_TOKYO);
    await setTarget(t, "JPY", "2026-11-01", { monthly_budget: "999999999" });
    await incremental(t);
    const a = await expectOneOpen(t, "projected_underspend", () => incremental(t));
    const p = (await asService((tx) => loadPacing(tx, t.agencyId, NOW, [t.workspaceId]))).get(t.workspaceId)![0]!;
    await setTarget(t, "JPY", "2026-11-20", { monthly_budget: String(p.projected) });
    await incremental(t);
    await expectResolved(t, "projected_underspend", a.id);
  });
});
