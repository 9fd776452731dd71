/**
 * Who gets alerts and how: immediate emails per rule preference, members who follow only some
 * clients, client viewers only with the agency's opt-in and only budget alerts, the daily digest at
 * the person's hour, once; the bell count and the pages (real Requests, RLS underneath); and the CLI
 * `spendlane alerts list --agency A --json`.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { listOutbox } from "../../app/.server/mail";
import { evaluateAfterSync, evaluateWorkspace } from "../../app/.server/alerts/evaluate";
import { sendDueDigests } from "../../app/.server/alerts/delivery";
import { openAlertCount } from "../../app/.server/alerts/service";
import * as agencyAlerts from "../../app/routes/a.$agency.alerts._index";
import * as settingsRoute from "../../app/routes/a.$agency.alerts.settings";
import * as goals from "../../app/routes/a.$agency.w.$workspace.alerts";
import * as overview from "../../app/routes/a.$agency._index";
import type { RunningEmulator } from "../../emulator/meta-graph/index";
import { createAgencyFixture } from "../helpers/factories";
import { requestAs } from "../helpers/session";
import { connectTenant, control, emulator, sync, type ConnectedTenant } from "../helpers/sync-helpers";

type Handler = (args: { request: Request; params: Record<string, string>; context: Record<string, unknown> }) => unknown;
async function run(fn: Handler, request: Request, params: Record<string, string>) {
  try {
    const out = (await fn({ request, params, context: {} })) as { type?: string; data?: unknown; init?: { status?: number } };
    if (out instanceof Response) return { status: out.status, data: null, location: out.headers.get("Location") };
    if (out && out.type === "DataWithResponseInit") return { status: out.init?.status ?? 200, data: out.data as any };
    return { status: 200, data: out as any };
  } catch (err) {
    if (err instanceof Response) return { status: err.status, data: null };
    throw err;
  }
}
const post = (userId: string, path: string, form: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return requestAs(userId, path, { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
};

let emu: RunningEmulator;
let t: ConnectedTenant;
let emails: { owner: string; member: string; viewer: string; admin: string };
const ACCOUNT = "act_101000000000002"; // EUR, Berlin
const hook = { afterRun: (i: { adAccountId: string; now: Date }) => evaluateAfterSync(i) };

async function mails(to: string, template?: string) {
  return (await listOutbox({ to, limit: 100 })).filter((m) => !template || m.template === template);
}

beforeAll(async () => {
  emu = await emulator();
  t = await connectTenant(emu, { accounts: [ACCOUNT], backfillMonths: 1 });
  expect((await sync(emu, { adAccountId: t.accounts[0]!.id, kind: "backfill" }, hook)).status).toBe("succeeded");
  emails = await asService(async (tx) => {
    const rows = await tx<
      { id: string; email: string }[]
    >`select id, email from public.users where id in ${tx([t.users.owner, t.users.member, t.users.viewer])}`;
    const [admin] = await tx<
      { email: string }[]
    >`select u.email from public.agency_members m join public.users u on u.id = m.user_id where m.agency_id = ${t.agencyId} and m.role = 'admin'`;
    const by = (id: string) => rows.find((r) => r.id === id)!.email;
    return { owner: by(t.users.owner), member: by(t.users.member), viewer: by(t.users.viewer), admin: admin!.email };
  });
});
afterAll(async () => {
  await control(emu, "POST", "/scenarios/clear", { account: ACCOUNT }).catch(() => {});
  await emu?.close();
});

describe("alert delivery", () => {
  it("a spike emails everyone who wants it immediately, once; 'followed only' and 'off' are respected; viewers get nothing", async () => {
    const base = `/a/${t.agencySlug}/alerts/settings`;
    // the member follows no client and wants only followed ones
    const m = await run(
      settingsRoute.action as Handler,
      await post(t.users.member, base, { intent: "mine", scope: "followed", digestHour: "8", digestTimezone: "UTC" }),
      { agency: t.agencySlug },
    );
    expect(m.status).toBe(200);
    const [adminId] = await asService(
      (tx) => tx<{ user_id: string }[]>`select user_id from public.agency_members where agency_id = ${t.agencyId} and role = 'admin'`,
    );
    const a = await run(
      settingsRoute.action as Handler,
      await post(adminId!.user_id, base, { intent: "mine", scope: "all", digestHour: "8", digestTimezone: "UTC", "rule.spend_anomaly": "off" }),
      { agency: t.agencySlug },
    );
    expect(a.status).toBe(200);

    await control(emu, "POST", "/scenarios/spike", { account: ACCOUNT });
    await sync(emu, { adAccountId: t.accounts[0]!.id, kind: "incremental" }, hook);
    await sync(emu, { adAccountId: t.accounts[0]!.id, kind: "incremental" }, hook);
    const ownerMail = await mails(emails.owner, "alert");
    expect(ownerMail).toHaveLength(1);
    expect(ownerMail[0]!.subject).toBe("Spend anomaly: Client 1");
    expect(ownerMail[0]!.textBody).toContain(`/a/${t.agencySlug}/w/${t.workspaceSlug}?range=custom&since=`);
    expect(ownerMail[0]!.htmlBody).not.toMatch(/<script/i);
    expect(await mails(emails.member, "alert")).toEqual([]);
    expect(await mails(emails.admin, "alert")).toEqual([]);
    expect(await mails(emails.viewer)).toEqual([]);

    // the bell: staff count the open alert, the member who follows nobody does not, the viewer sees none
    expect(await openAlertCount(t.users.owner, t.agencyId)).toBe(1);
    expect(await openAlertCount(t.users.member, t.agencyId)).toBe(0);
    expect(await openAlertCount(t.users.viewer, t.agencyId)).toBe(0);
    // following the client brings it into the member's bell
    await run(
      settingsRoute.action as Handler,
      await post(t.users.member, base, { intent: "mine", scope: "followed", digestHour: "8", digestTimezone: "UTC", follow: t.workspaceId }),
      { agency: t.agencySlug },
    );
    expect(await openAlertCount(t.users.member, t.agencyId)).toBe(1);
    await control(emu, "POST", "/scenarios/clear", { account: ACCOUNT });
  });

  it("budget alerts go to the digest at the person's hour, once; opted-in viewers get them too", async () => {
    await asService(
      (tx) =>
        tx`insert into public.workspace_targets (workspace_id, currency, effective_from, monthly_budget) values (${t.workspaceId}, 'EUR', '2026-11-01', 5)`,
    );
    const r = await evaluateWorkspace(t.workspaceId, { now: new Date("2026-11-20T15:00:00Z") });
    expect(r.opened.map((o) => o.rule)).toContain("projected_overspend");
    expect(await mails(emails.owner, "alert")).toHaveLength(1); // still only the spike: digest rules are not immediate

    // not the hour yet (default 08:00 UTC): nothing
    expect((await sendDueDigests({ now: new Date("2026-12-01T10:30:00Z"), agencyId: t.agencyId })).sent).toBe(0);
    // the agency opts viewers in; the owner's digest hour is 09:00 in Tokyo = 00:00 UTC
    const owner = await run(
      settingsRoute.action as Handler,
      await post(t.users.owner, `/a/${t.agencySlug}/alerts/settings`, {
        intent: "agency",
        viewersGetBudgetAlerts: "on",
        pacingAlertPct: "10",
        targetWindowDays: "3",
      }),
      { agency: t.agencySlug },
    );
    expect(owner.status).toBe(200);
    await run(
      settingsRoute.action as Handler,
      await post(t.users.owner, `/a/${t.agencySlug}/alerts/settings`, { intent: "mine", scope: "all", digestHour: "9", digestTimezone: "Asia/Tokyo" }),
      { agency: t.agencySlug },
    );
    expect(await openAlertCount(t.users.viewer, t.agencyId)).toBe(1); // the budget alert only

    const at0 = await sendDueDigests({ now: new Date("2026-12-02T00:10:00Z"), agencyId: t.agencyId });
    expect(at0.sent).toBe(1);
    const digest = await mails(emails.owner, "alert_digest");
    expect(digest).toHaveLength(1);
    expect(digest[0]!.textBody).toContain("Projected overspend · Client 1");
    expect(digest[0]!.textBody).toContain("EUR spend ends the month at");
    // the viewer (default hour 08:00 UTC) and the member get theirs at 08:00
    const at8 = await sendDueDigests({ now: new Date("2026-12-02T08:05:00Z"), agencyId: t.agencyId });
    expect(at8.sent).toBeGreaterThanOrEqual(2);
    const viewerDigest = await mails(emails.viewer, "alert_digest");
    expect(viewerDigest).toHaveLength(1);
    expect(viewerDigest[0]!.textBody).toContain("Projected overspend");
    expect(viewerDigest[0]!.textBody).not.toContain("Spend anomaly");
    // once: forcing another round sends nothing new
    expect((await sendDueDigests({ force: true, agencyId: t.agencyId, now: new Date("2026-12-02T08:06:00Z") })).sent).toBe(0);
  });

  it("pages: agency and client alerts with filters; targets only by owners/admins with clear errors; pacing on the overview", async () => {
    const list = await run(agencyAlerts.loader as Handler, await requestAs(t.users.owner, `/a/${t.agencySlug}/alerts?status=all&rule=projected_overspend`), {
      agency: t.agencySlug,
    });
    expect(list.status).toBe(200);
    expect(list.data.alerts.map((a: { rule: string }) => a.rule)).toEqual(["projected_overspend"]);
    const bad = await run(agencyAlerts.loader as Handler, await requestAs(t.users.owner, `/a/${t.agencySlug}/alerts?status=bogus&rule=nope`), {
      agency: t.agencySlug,
    });
    expect(bad.data.filter).toEqual({ status: "open", rule: undefined, client: undefined });

    const params = { agency: t.agencySlug, workspace: t.workspaceSlug };
    const path = `/a/${t.agencySlug}/w/${t.workspaceSlug}/alerts`;
    expect(
      (await run(goals.action as Handler, await post(t.users.member, path, { currency: "EUR", effectiveFrom: "2026-12-01", monthlyBudget: "100" }), params))
        .status,
    ).toBe(403);
    const invalid = await run(
      goals.action as Handler,
      await post(t.users.owner, path, { currency: "EUR", effectiveFrom: "2026-12-01", monthlyBudget: "-5", targetRoas: "abc" }),
      params,
    );
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.data.fields).sort()).toEqual(["monthlyBudget", "targetRoas"]);
    const wrongCurrency = await run(
      goals.action as Handler,
      await post(t.users.owner, path, { currency: "USD", effectiveFrom: "2026-12-01", monthlyBudget: "100" }),
      params,
    );
    expect(wrongCurrency.data.fields.currency).toMatch(/no ad account in that currency/);
    const ok = await run(
      goals.action as Handler,
      await post(t.users.owner, path, { currency: "EUR", effectiveFrom: "2026-12-01", monthlyBudget: "1,500.50", targetCpa: "20" }),
      params,
    );
    expect(ok.status).toBe(302);
    expect(ok.location).toBe(`${path}?saved=EUR+2026-12-01`);
    const again = await run(
      goals.action as Handler,
      await post(t.users.owner, path, { currency: "EUR", effectiveFrom: "2026-12-01", monthlyBudget: "9" }),
      params,
    );
    expect(again.data.fields.effectiveFrom).toMatch(/already start on that day/);
    const asOwner = await run(goals.loader as Handler, await requestAs(t.users.owner, path), params);
    expect(asOwner.data.targets).toHaveLength(2);
    const page = await run(goals.loader as Handler, await requestAs(t.users.member, path), params);
    expect(page.data.targets.map((x: { effectiveFrom: string; monthlyBudget: string }) => [x.effectiveFrom, x.monthlyBudget])).toEqual([
      ["2026-12-01", "1500.5000"],
      ["2026-11-01", "5.0000"],
    ]);

    const ov = await run(overview.loader as Handler, await requestAs(t.users.owner, `/a/${t.agencySlug}?sort=pacing&dir=desc`), { agency: t.agencySlug });
    expect(ov.data.query.sort).toBe("pacing");
    expect(ov.data.pacing[t.workspaceId][0].currency).toBe("EUR");
    expect(["on_track", "under", "over"]).toContain(ov.data.pacing[t.workspaceId][0].status);
  });

  it("another agency sees none of these alerts", async () => {
    const B = await createAgencyFixture({ workspaces: 1 });
    expect(await openAlertCount(B.owner.id, t.agencyId)).toBe(0);
    const r = await run(agencyAlerts.loader as Handler, await requestAs(B.owner.id, `/a/${t.agencySlug}/alerts`), { agency: t.agencySlug });
    expect(r.status).toBe(404);
  });
});

describe("spendlane alerts list", () => {
  function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["cli/bin.mjs", ...args], { env: { ...process.env, DATABASE_URL: inject("databaseUrl"), LOG_LEVEL: "silent" } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("exit", (status) => resolve({ status, stdout, stderr }));
    });
  }

  it("prints the open alerts as [{id, rule, workspace, subject, openedAt, message}]; an unknown agency is exit 2", async () => {
    // the emulator's day (2026-11-20): the November budget of 5 EUR is overspent
    await evaluateWorkspace(t.workspaceId, { now: new Date("2026-11-20T15:00:00Z"), deliver: false });
    const r = await cli(["alerts", "list", "--agency", t.agencySlug, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const open = await asService((tx) => tx<{ id: string }[]>`select id from public.alerts where agency_id = ${t.agencyId} and resolved_at is null`);
    expect(out.map((a: { id: string }) => a.id).sort()).toEqual(open.map((a) => a.id).sort());
    expect(out.length).toBeGreaterThan(0);
    for (const a of out) {
      expect(Object.keys(a).sort()).toEqual(["id", "message", "openedAt", "rule", "subject", "workspace"]);
      expect(a.workspace).toBe(t.workspaceSlug);
      expect(new Date(a.openedAt).toISOString()).toBe(a.openedAt);
    }
    const missing = await cli(["alerts", "list", "--agency", "no-such-agency-zz"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('No agency with slug "no-such-agency-zz"');
  });
});
