/**
 * Row-level security matrix: every table x every kind of actor x select/insert/update/delete, run as
 * real SQL through asUser (anon = asUser(null)). Each cell is one of:
 *   Y  allowed: the statement sees or touches agency A's target row(s)
 *   0  silently denied by a USING clause: zero rows returned or affected
 *   E  refused with an error (no grant, or a WITH CHECK / trigger failure)
 * Every statement runs in its own transaction that is rolled back, so cells do not affect each other.
 *
 * A new table fails "the matrix covers every table" until a row for it is added below.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asService, asUser, type Tx } from "../../app/.server/db/connection";
import { storeSecret } from "../../app/.server/meta/vault";
import { addViewer, createAgencyFixture, createUser } from "../helpers/factories";

const ACTORS = ["ownerA", "adminA", "memberA", "ownerB", "viewerA1", "anon"] as const;
type Actor = (typeof ACTORS)[number];
type Cell = "Y" | "0" | "E";
/** Cells in ACTORS order, e.g. "YYY00E". */
type Row = string;

interface Ctx {
  agencyA: string;
  agencyB: string;
  ws1: string;
  ws2: string;
  owner: string;
  admin: string;
  member: string;
  viewer: string;
  outsider: string;
  outsider2: string;
  adAccount1: string;
  adAccount2: string;
  connection1: string;
  invitation: string;
  audit: string;
  vault: string;
  template: string;
  schedule: string;
  shareLink: string;
  delivery: string;
}

type Sql = (c: Ctx) => string;
interface TableSpec {
  table: string;
  select: [Sql, Row];
  insert: [Sql, Row];
  update: [Sql, Row];
  delete: [Sql, Row];
}

const ALL_E = "EEEEEE";
// Facts of workspace A1: staff of A and the A1 viewer read them; B and anon do not; nobody writes.
const factsOfA1 = (table: string): TableSpec => ({
  table,
  select: [(c) => `select 1 from ${table} where workspace_id = '${c.ws1}'`, "YYY0YE"],
  insert: [(c) => `insert into ${table} select * from ${table} where workspace_id = '${c.ws1}' limit 1`, ALL_E],
  update: [(c) => `update ${table} set workspace_id = workspace_id where workspace_id = '${c.ws1}' returning 1`, ALL_E],
  delete: [(c) => `delete from ${table} where workspace_id = '${c.ws1}' returning 1`, ALL_E],
});

function serviceOnly(table: string, anyColumn: string): TableSpec {
  return {
    table,
    select: [() => `select 1 from ${table}`, ALL_E],
    insert: [() => `insert into ${table} default values`, ALL_E],
    update: [() => `update ${table} set ${anyColumn} = ${anyColumn} returning 1`, ALL_E],
    delete: [() => `delete from ${table} returning 1`, ALL_E],
  };
}

const MATRIX: TableSpec[] = [
  {
    table: "public.users",
    select: [(c) => `select id, email, name from public.users where id = '${c.member}'`, "YYY00E"],
    insert: [() => `insert into public.users (email) values ('x-${Date.now()}@example.test') returning 1`, ALL_E],
    // only the member renames themselves; others' rows are invisible to the update
    update: [(c) => `update public.users set name = 'Renamed' where id = '${c.member}' returning 1`, "00Y00E"],
    delete: [(c) => `delete from public.users where id = '${c.member}' returning 1`, ALL_E],
  },
  {
    table: "public.agencies",
    select: [(c) => `select id from public.agencies where id = '${c.agencyA}'`, "YYY00E"],
    insert: [() => `insert into public.agencies (name, slug) values ('X', 'x-${Date.now()}') returning 1`, ALL_E],
    update: [(c) => `update public.agencies set name = 'Renamed' where id = '${c.agencyA}' returning 1`, "Y0000E"],
    delete: [(c) => `delete from public.agencies where id = '${c.agencyA}' returning 1`, ALL_E],
  },
  {
    table: "public.agency_members",
    select: [(c) => `select 1 from public.agency_members where agency_id = '${c.agencyA}' and user_id = '${c.member}'`, "YYY00E"],
    insert: [(c) => `insert into public.agency_members (agency_id, user_id, role) values ('${c.agencyA}', '${c.outsider}', 'member') returning 1`, ALL_E], // memberships come from accepted invitations only (0061),
    update: [(c) => `update public.agency_members set role = 'admin' where agency_id = '${c.agencyA}' and user_id = '${c.member}' returning 1`, "YY000E"],
    delete: [(c) => `delete from public.agency_members where agency_id = '${c.agencyA}' and user_id = '${c.member}' returning 1`, "YY000E"],
  },
  {
    table: "public.workspaces",
    select: [(c) => `select 1 from public.workspaces where id = '${c.ws1}'`, "YYY0YE"],
    insert: [(c) => `insert into public.workspaces (agency_id, name, slug) values ('${c.agencyA}', 'New', 'new-${Date.now()}') returning 1`, "YYEEEE"],
    update: [(c) => `update public.workspaces set name = 'Renamed' where id = '${c.ws1}' returning 1`, "YY000E"],
    delete: [(c) => `delete from public.workspaces where id = '${c.ws1}' returning 1`, "Y0000E"],
  },
  {
    table: "public.workspace_viewers",
    select: [(c) => `select 1 from public.workspace_viewers where workspace_id = '${c.ws1}' and user_id = '${c.viewer}'`, "YYY0YE"],
    insert: [
      (c) => `insert into public.workspace_viewers (workspace_id, user_id, agency_id) values ('${c.ws2}', '${c.outsider}', '${c.agencyA}') returning 1`,
      ALL_E,
    ], // viewers come from accepted invitations only (0061),
    update: [(c) => `update public.workspace_viewers set created_at = now() where workspace_id = '${c.ws1}' returning 1`, ALL_E],
    delete: [(c) => `delete from public.workspace_viewers where workspace_id = '${c.ws1}' and user_id = '${c.viewer}' returning 1`, "YY000E"],
  },
  {
    table: "public.invitations",
    select: [(c) => `select id, email, role from public.invitations where id = '${c.invitation}'`, "YY000E"],
    insert: [
      (c) =>
        `insert into public.invitations (agency_id, email, role, token_hash) values ('${c.agencyA}', 'new-${Date.now()}@example.test', 'member', md5(random()::text)) returning 1`,
      "YYEEEE",
    ],
    update: [(c) => `update public.invitations set revoked_at = now() where id = '${c.invitation}' returning 1`, "YY000E"],
    delete: [(c) => `delete from public.invitations where id = '${c.invitation}' returning 1`, "YY000E"],
  },
  {
    table: "public.audit_log",
    select: [(c) => `select 1 from public.audit_log where id = ${c.audit}`, "YY000E"],
    // any member appends, as themselves (private.current_user_id() is the caller)
    insert: [
      (c) => `insert into public.audit_log (agency_id, actor_user_id, action) values ('${c.agencyA}', private.current_user_id(), 'test.append') returning 1`,
      "YYYEEE",
    ],
    update: [(c) => `update public.audit_log set action = 'rewritten' where id = ${c.audit} returning 1`, ALL_E],
    delete: [(c) => `delete from public.audit_log where id = ${c.audit} returning 1`, ALL_E],
  },
  {
    table: "public.sessions",
    select: [(c) => `select id from public.sessions where user_id = '${c.member}'`, "00Y00E"],
    insert: [
      (c) => `insert into public.sessions (id, user_id, expires_at) values ('s-${Date.now()}', '${c.member}', now() + interval '1 day') returning 1`,
      ALL_E,
    ],
    update: [(c) => `update public.sessions set expires_at = now() + interval '1 year' where user_id = '${c.member}' returning 1`, ALL_E],
    delete: [(c) => `delete from public.sessions where user_id = '${c.member}' returning 1`, "00Y00E"],
  },
  {
    table: "public.meta_connections",
    // agency business: never visible to client viewers
    select: [(c) => `select id, status from public.meta_connections where id = '${c.connection1}'`, "YYY00E"],
    insert: [(c) => `insert into public.meta_connections (agency_id, workspace_id, kind) values ('${c.agencyA}', '${c.ws1}', 'oauth') returning 1`, ALL_E],
    update: [(c) => `update public.meta_connections set status = 'disconnected' where id = '${c.connection1}' returning 1`, ALL_E],
    delete: [(c) => `delete from public.meta_connections where id = '${c.connection1}' returning 1`, ALL_E],
  },
  factsOfA1("public.ad_accounts"),
  factsOfA1("public.campaigns"),
  factsOfA1("public.insights_daily"),
  factsOfA1("public.insights_daily_rollup"),
  factsOfA1("public.insights_campaign_rollup"),
  factsOfA1("public.insights_platform_rollup"),
  factsOfA1("public.insights_reach"),
  factsOfA1("public.sync_runs"),
  factsOfA1("public.data_versions"),
  factsOfA1("public.ad_sets"),
  factsOfA1("public.ads"),
  factsOfA1("public.creative_images"),
  factsOfA1("public.insights_ad_daily"),
  factsOfA1("public.insights_breakdown_daily"),
  // the attribution windows of those facts per account-day (migration 0160), kept by triggers
  factsOfA1("public.insights_fact_windows"),
  {
    table: "public.plans",
    select: [() => `select id from public.plans where id = 'trial'`, "YYYYYE"],
    insert: [() => `insert into public.plans (id, name, seats, refresh_minutes) values ('free_forever', 'Free', 99, 1) returning 1`, ALL_E],
    update: [() => `update public.plans set seats = 999 where id = 'trial' returning 1`, ALL_E],
    delete: [() => `delete from public.plans where id = 'trial' returning 1`, ALL_E],
  },
  // Client reports (migration 0090): branding is read by staff and the agency's client viewers and
  // written by owners and admins; templates and schedules belong to staff; the delivery log and share
  // links are written by the delivery engine (service) only; staff revoke links; viewers see none of it.
  {
    table: "public.agency_branding",
    select: [(c) => `select brand_color from public.agency_branding where agency_id = '${c.agencyA}'`, "YYY0YE"],
    // A's row exists (seeded); a second row for A conflicts, so insert is tried for agency B's id
    insert: [(c) => `insert into public.agency_branding (agency_id) values ('${c.agencyB}') returning 1`, "EEEYEE"],
    update: [(c) => `update public.agency_branding set brand_color = '#ff0000' where agency_id = '${c.agencyA}' returning 1`, "YY000E"],
    delete: [(c) => `delete from public.agency_branding where agency_id = '${c.agencyA}' returning 1`, ALL_E],
  },
  {
    table: "public.report_templates",
    select: [(c) => `select id from public.report_templates where id = '${c.template}'`, "YYY00E"],
    insert: [
      (c) =>
        `insert into public.report_templates (workspace_id, agency_id, name, sections, range_preset) values ('${c.ws1}', '${c.agencyA}', 'T', '["kpis"]', 'last_month') returning 1`,
      "YYYEEE",
    ],
    update: [(c) => `update public.report_templates set name = 'Renamed' where id = '${c.template}' returning 1`, "YYY00E"],
    delete: [(c) => `delete from public.report_templates where id = '${c.template}' returning 1`, "YYY00E"],
  },
  {
    table: "public.report_schedules",
    select: [(c) => `select id from public.report_schedules where id = '${c.schedule}'`, "YYY00E"],
    insert: [
      (c) =>
        `insert into public.report_schedules (workspace_id, agency_id, template_id, name, frequency, day_of_month, hour) values ('${c.ws1}', '${c.agencyA}', '${c.template}', 'S', 'monthly', 1, 8) returning 1`,
      "YYYEEE",
    ],
    update: [(c) => `update public.report_schedules set hour = 9 where id = '${c.schedule}' returning 1`, "YYY00E"],
    delete: [(c) => `delete from public.report_schedules where id = '${c.schedule}' returning 1`, "YYY00E"],
  },
  {
    table: "public.report_share_links",
    select: [(c) => `select id, expires_at from public.report_share_links where id = '${c.shareLink}'`, "YYY00E"],
    insert: [
      (c) =>
        `insert into public.report_share_links (agency_id, workspace_id, schedule_id, period_since, period_until, snapshot, token_hash) values ('${c.agencyA}', '${c.ws1}', '${c.schedule}', '2026-01-01', '2026-01-31', '{}', repeat('a', 64)) returning 1`,
      ALL_E,
    ],
    update: [(c) => `update public.report_share_links set revoked_at = now() where id = '${c.shareLink}' returning 1`, "YYY00E"],
    delete: [(c) => `delete from public.report_share_links where id = '${c.shareLink}' returning 1`, ALL_E],
  },
  {
    table: "public.report_deliveries",
    select: [(c) => `select id, status from public.report_deliveries where id = '${c.delivery}'`, "YYY00E"],
    insert: [
      (c) =>
        `insert into public.report_deliveries (agency_id, workspace_id, schedule_id, kind, period_since, period_until, recipient_email, idempotency_key) values ('${c.agencyA}', '${c.ws1}', '${c.schedule}', 'test', '2026-01-01', '2026-01-31', 'x@example.test', 'forged') returning 1`,
      ALL_E,
    ],
    update: [(c) => `update public.report_deliveries set status = 'sent' where id = '${c.delivery}' returning 1`, ALL_E],
    delete: [(c) => `delete from public.report_deliveries where id = '${c.delivery}' returning 1`, ALL_E],
  },
  // Goals and alerts (0100): targets are read like facts and added (never edited) by owners/admins.
  {
    table: "public.workspace_targets",
    select: [(c) => `select 1 from public.workspace_targets where workspace_id = '${c.ws1}'`, "YYY0YE"],
    insert: [
      (c) => `insert into public.workspace_targets (workspace_id, currency, effective_from, monthly_budget, created_by)
      values ('${c.ws1}', 'EUR', '2030-01-01', 100, private.current_user_id()) returning 1`,
      "YYEEEE",
    ],
    update: [(c) => `update public.workspace_targets set monthly_budget = 1 where workspace_id = '${c.ws1}' returning 1`, ALL_E],
    delete: [(c) => `delete from public.workspace_targets where workspace_id = '${c.ws1}' returning 1`, ALL_E],
  },
  {
    table: "public.agency_alert_settings",
    select: [(c) => `select 1 from public.agency_alert_settings where agency_id = '${c.agencyA}'`, "YYY00E"],
    insert: [
      (c) => `insert into public.agency_alert_settings (agency_id) values ('${c.agencyA}')
      on conflict (agency_id) do update set pacing_alert_pct = 20 returning 1`,
      "YYEEEE",
    ],
    update: [(c) => `update public.agency_alert_settings set viewers_get_budget_alerts = true where agency_id = '${c.agencyA}' returning 1`, "YY000E"],
    delete: [(c) => `delete from public.agency_alert_settings where agency_id = '${c.agencyA}' returning 1`, ALL_E],
  },
  {
    // written only by the evaluator (service); staff read, viewers only opted-in budget alerts (rules below)
    table: "public.alerts",
    select: [(c) => `select 1 from public.alerts where workspace_id = '${c.ws1}'`, "YYY00E"],
    insert: [
      (c) => `insert into public.alerts (agency_id, workspace_id, rule, subject, subject_label, message, link)
      values ('${c.agencyA}', '${c.ws1}', 'zero_delivery', 'x', 'x', 'x', '/a/x') returning 1`,
      ALL_E,
    ],
    update: [(c) => `update public.alerts set resolved_at = now() where workspace_id = '${c.ws1}' returning 1`, ALL_E],
    delete: [(c) => `delete from public.alerts where workspace_id = '${c.ws1}' returning 1`, ALL_E],
  },
  {
    // each person's own settings, in agencies they can enter (a client viewer may get budget alerts)
    table: "public.alert_user_settings",
    select: [(c) => `select 1 from public.alert_user_settings where agency_id = '${c.agencyA}'`, "00Y00E"],
    insert: [
      (c) => `insert into public.alert_user_settings (user_id, agency_id) values (private.current_user_id(), '${c.agencyA}')
      on conflict (user_id, agency_id) do update set digest_hour = 9 returning 1`,
      "YYYEYE",
    ],
    update: [(c) => `update public.alert_user_settings set digest_hour = 9 where agency_id = '${c.agencyA}' returning 1`, "00Y00E"],
    delete: [(c) => `delete from public.alert_user_settings where agency_id = '${c.agencyA}' returning 1`, "00Y00E"],
  },
  {
    table: "public.alert_rule_preferences",
    select: [(c) => `select 1 from public.alert_rule_preferences where agency_id = '${c.agencyA}'`, "00Y00E"],
    insert: [
      (
        c,
      ) => `insert into public.alert_rule_preferences (user_id, agency_id, rule, delivery) values (private.current_user_id(), '${c.agencyA}', 'zero_delivery', 'off')
      on conflict (user_id, agency_id, rule) do update set delivery = 'off' returning 1`,
      "YYYEYE",
    ],
    update: [(c) => `update public.alert_rule_preferences set delivery = 'digest' where agency_id = '${c.agencyA}' returning 1`, "00Y00E"],
    delete: [(c) => `delete from public.alert_rule_preferences where agency_id = '${c.agencyA}' returning 1`, "00Y00E"],
  },
  {
    // agency staff follow clients of their agency; the member already follows ws1
    table: "public.alert_follows",
    select: [(c) => `select 1 from public.alert_follows where workspace_id = '${c.ws1}'`, "00Y00E"],
    insert: [
      (c) => `insert into public.alert_follows (user_id, workspace_id) values (private.current_user_id(), '${c.ws1}') on conflict do nothing returning 1`,
      "YY0EEE",
    ],
    update: [(c) => `update public.alert_follows set workspace_id = workspace_id where workspace_id = '${c.ws1}' returning 1`, ALL_E],
    delete: [(c) => `delete from public.alert_follows where workspace_id = '${c.ws1}' returning 1`, "00Y00E"],
  },
  serviceOnly("private.alert_deliveries", "channel"),
  // Service-only tables: no grant to anon or authenticated at all.
  serviceOnly("public.stripe_events", "id"),
  serviceOnly("public.meta_deletion_requests", "status"),
  serviceOnly("private.token_vault", "id"),
  serviceOnly("private.mail_outbox", "subject"),
  serviceOnly("private.password_resets", "token_hash"),
  serviceOnly("private.email_changes", "token_hash"),
  serviceOnly("private.meta_oauth_states", "state_hash"),
  serviceOnly("private.rate_limits", "bucket"),
  serviceOnly("supabase_migrations.schema_migrations", "version"),
];

const ROLLBACK = new Error("rollback");

/** Runs `text` as the actor in a transaction that is always rolled back; returns the outcome. */
async function run(userId: string | null, text: string): Promise<{ cell: Cell; rows: number; error?: string }> {
  let rows = 0;
  try {
    await asUser(userId, async (tx: Tx) => {
      rows = (await tx.unsafe(text)).length;
      throw ROLLBACK;
    });
  } catch (err) {
    if (err !== ROLLBACK) return { cell: "E", rows: 0, error: (err as Error).message };
  }
  return { cell: rows > 0 ? "Y" : "0", rows };
}

let c: Ctx;
let ids: Record<Actor, string | null>;

beforeAll(async () => {
  const A = await createAgencyFixture();
  const B = await createAgencyFixture();
  const outsider = await createUser();
  const outsider2 = await createUser();
  const seeded = await asService(async (tx) => {
    // A real encrypted secret (other suites rotate every vault row in the shared database).
    const vault = { id: await storeSecret(tx, "EAArlsmatrixtesttoken000") };
    const [conn] = await tx`insert into public.meta_connections (agency_id, workspace_id, kind, token_secret_id, created_by)
      values (${A.agency.id}, ${A.workspaces[0].id}, 'oauth', ${vault.id}, ${A.owner.id}) returning id`;
    const accounts: string[] = [];
    for (const [i, ws] of A.workspaces.entries()) {
      const [acc] = await tx`insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name)
        values (${A.agency.id}, ${ws.id}, ${conn.id}, ${`act_${Date.now()}${i}`}, ${`Account ${i + 1}`}, 'EUR', 'Europe/Berlin') returning id`;
      accounts.push(acc.id);
      await tx`insert into public.campaigns (ad_account_id, meta_campaign_id, workspace_id, name) values (${acc.id}, '111', ${ws.id}, 'Spring')`;
      for (const day of ["2026-03-01", "2026-03-02"]) {
        await tx`insert into public.insights_daily (ad_account_id, meta_campaign_id, date, publisher_platform, workspace_id, spend, impressions, clicks)
          values (${acc.id}, '111', ${day}, 'facebook', ${ws.id}, '12.3400', 1000, 25)`;
      }
      await tx`insert into public.insights_reach (ad_account_id, workspace_id, since, until, reach) values (${acc.id}, ${ws.id}, '2026-03-01', '2026-03-02', 800)`;
      await tx`insert into public.sync_runs (agency_id, workspace_id, ad_account_id, kind) values (${A.agency.id}, ${ws.id}, ${acc.id}, 'backfill')`;
      await tx`insert into public.ad_sets (ad_account_id, meta_adset_id, workspace_id, meta_campaign_id, name) values (${acc.id}, '222', ${ws.id}, '111', 'Broad')`;
      await tx`insert into public.ads (ad_account_id, meta_ad_id, workspace_id, meta_adset_id, meta_campaign_id, name, creative_id) values (${acc.id}, '333', ${ws.id}, '222', '111', 'Ad', '444')`;
      await tx`insert into public.creative_images (ad_account_id, creative_id, workspace_id, content_type, bytes, status) values (${acc.id}, '444', ${ws.id}, 'image/png', '\\x89504e47'::bytea, 'ok')`;
      await tx`insert into public.insights_ad_daily (ad_account_id, date, meta_ad_id, publisher_platform, attribution_window, workspace_id, meta_adset_id, meta_campaign_id, spend, impressions)
        values (${acc.id}, '2026-03-01', '333', 'facebook', 'default', ${ws.id}, '222', '111', '12.3400', 1000)`;
      await tx`insert into public.insights_breakdown_daily (ad_account_id, breakdown, date, meta_adset_id, key1, key2, attribution_window, workspace_id, meta_campaign_id, spend, impressions)
        values (${acc.id}, 'age_gender', '2026-03-01', '222', '25-34', 'female', 'default', ${ws.id}, '111', '5.0000', 400)`;
    }
    const [inv] = await tx`insert into public.invitations (agency_id, email, role, token_hash, invited_by)
      values (${A.agency.id}, ${`inv-${Date.now()}@example.test`}, 'member', ${`hash-${Date.now()}`}, ${A.owner.id}) returning id`;
    const [audit] = await tx`insert into public.audit_log (agency_id, actor_user_id, action) values (${A.agency.id}, ${A.owner.id}, 'test.seed') returning id`;
    await tx`insert into public.workspace_targets (workspace_id, currency, effective_from, monthly_budget) values (${A.workspaces[0].id}, 'EUR', '2026-03-01', 1000)`;
    await tx`insert into public.agency_alert_settings (agency_id) values (${A.agency.id})`;
    const [alert] = await tx`insert into public.alerts (agency_id, workspace_id, rule, subject, subject_label, message, link)
      values (${A.agency.id}, ${A.workspaces[0].id}, 'spend_anomaly', 'account:x', 'Account 1', 'Spend spiked', '/a/x') returning id`;
    await tx`insert into public.alerts (agency_id, workspace_id, rule, subject, subject_label, message, link)
      values (${A.agency.id}, ${A.workspaces[0].id}, 'projected_overspend', 'currency:EUR', 'EUR budget', 'Over budget', '/a/x')`;
    await tx`insert into private.alert_deliveries (alert_id, user_id, channel) values (${alert.id}, ${A.member.id}, 'immediate')`;
    await tx`insert into public.alert_user_settings (user_id, agency_id) values (${A.member.id}, ${A.agency.id})`;
    await tx`insert into public.alert_rule_preferences (user_id, agency_id, rule, delivery) values (${A.member.id}, ${A.agency.id}, 'zero_delivery', 'digest')`;
    await tx`insert into public.alert_follows (user_id, workspace_id) values (${A.member.id}, ${A.workspaces[0].id})`;
    for (const u of [A.owner, A.admin, A.member, B.owner, A.viewer]) {
      await tx`insert into public.sessions (id, user_id, expires_at) values (${`rls-${u.id}`}, ${u.id}, now() + interval '1 day')`;
    }
    await tx`insert into public.agency_branding (agency_id, display_name) values (${A.agency.id}, 'Agency A Reports')`;
    const [tpl] = await tx`insert into public.report_templates (workspace_id, name, sections, range_preset)
      values (${A.workspaces[0].id}, 'Monthly', '["kpis"]', 'last_month') returning id`;
    const [sch] = await tx`insert into public.report_schedules (workspace_id, template_id, name, frequency, day_of_month, hour)
      values (${A.workspaces[0].id}, ${tpl.id}, 'Monthly', 'monthly', 1, 8) returning id`;
    const [link] = await tx`insert into public.report_share_links (agency_id, workspace_id, schedule_id, period_since, period_until, snapshot, token_hash)
      values (${A.agency.id}, ${A.workspaces[0].id}, ${sch.id}, '2026-10-01', '2026-10-31', '{}', ${"b".repeat(64)}) returning id`;
    const [del] =
      await tx`insert into public.report_deliveries (agency_id, workspace_id, schedule_id, share_link_id, kind, period_since, period_until, recipient_email, idempotency_key)
      values (${A.agency.id}, ${A.workspaces[0].id}, ${sch.id}, ${link.id}, 'scheduled', '2026-10-01', '2026-10-31', 'client@example.test', ${`rls-${sch.id}`}) returning id`;
    return {
      vault: vault.id,
      connection: conn.id,
      accounts,
      invitation: inv.id,
      audit: String(audit.id),
      template: tpl.id,
      schedule: sch.id,
      shareLink: link.id,
      delivery: del.id,
    };
  });
  c = {
    agencyA: A.agency.id,
    agencyB: B.agency.id,
    ws1: A.workspaces[0].id,
    ws2: A.workspaces[1].id,
    owner: A.owner.id,
    admin: A.admin.id,
    member: A.member.id,
    viewer: A.viewer.id,
    outsider: outsider.id,
    outsider2: outsider2.id,
    adAccount1: seeded.accounts[0],
    adAccount2: seeded.accounts[1],
    connection1: seeded.connection,
    invitation: seeded.invitation,
    audit: seeded.audit,
    vault: seeded.vault,
    template: seeded.template,
    schedule: seeded.schedule,
    shareLink: seeded.shareLink,
    delivery: seeded.delivery,
  };
  ids = { ownerA: A.owner.id, adminA: A.admin.id, memberA: A.member.id, ownerB: B.owner.id, viewerA1: A.viewer.id, anon: null };
});

describe("RLS matrix", () => {
  it("row-level security is on for every table in every schema the roles can reach", async () => {
    // public is exposed (PostgREST on Supabase); private is reachable because helpers live there.
    const off = await asService(
      (tx) => tx<{ name: string }[]>`
      select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') and not c.relrowsecurity`,
    );
    expect(off).toEqual([]);
  });

  it("covers every table in the public and private schemas", async () => {
    const tables = await asService(
      (tx) => tx<{ name: string }[]>`
      select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') order by 1`,
    );
    const covered = new Set(MATRIX.map((t) => t.table));
    expect(tables.map((t) => t.name).filter((t) => !covered.has(t))).toEqual([]);
  });

  for (const spec of MATRIX) {
    for (const op of ["select", "insert", "update", "delete"] as const) {
      it(`${spec.table} ${op}`, async () => {
        const [sqlFor, expected] = spec[op];
        const got: string[] = [];
        const errors: string[] = [];
        for (const actor of ACTORS) {
          const r = await run(ids[actor], sqlFor(c));
          got.push(r.cell);
          if (r.error) errors.push(`${actor}: ${r.error}`);
        }
        // Compare per actor so a failure names who got what (and the database's error text).
        const table = Object.fromEntries(ACTORS.map((a, i) => [a, got[i]]));
        const want = Object.fromEntries(ACTORS.map((a, i) => [a, expected[i]]));
        expect(table, errors.join("\n")).toEqual(want);
        // Every refusal must come from the security layer, not from a typo in the statement.
        for (const e of errors) expect(e).toMatch(/: (permission denied|new row violates row-level security)/);
      });
    }
  }
});

describe("RLS rules", () => {
  const expectError = async (userId: string | null, text: string, pattern: RegExp) => {
    const r = await run(userId, text);
    expect(r.cell).toBe("E");
    expect(r.error).toMatch(pattern);
  };

  it("authenticated can never read password hashes, invitation token hashes, vault secrets or a connection's secret id", async () => {
    for (const who of [c.owner, c.member, c.viewer]) {
      await expectError(who, `select password_hash from public.users where id = '${who}'`, /permission denied/);
      await expectError(who, `select token_hash from public.invitations`, /permission denied/);
      await expectError(who, `select * from private.token_vault`, /permission denied/);
      await expectError(who, `select token_secret_id from public.meta_connections`, /permission denied/);
      await expectError(who, `select token_hash from public.report_share_links`, /permission denied/);
    }
  });

  it("plan and Stripe fields of an agency change only through billing (service)", async () => {
    await expectError(c.owner, `update public.agencies set plan_id = 'scale' where id = '${c.agencyA}'`, /permission denied/);
    await expectError(c.owner, `update public.agencies set stripe_customer_id = 'cus_x' where id = '${c.agencyA}'`, /permission denied/);
  });

  it("only owners make owners", async () => {
    // nobody inserts a membership directly (0061): owners are made by promotion or transfer
    await expectError(
      c.admin,
      `insert into public.agency_members (agency_id, user_id, role) values ('${c.agencyA}', '${c.outsider}', 'owner')`,
      /permission denied/,
    );
    await expectError(
      c.owner,
      `insert into public.agency_members (agency_id, user_id, role) values ('${c.agencyA}', '${c.outsider}', 'owner')`,
      /permission denied/,
    );
    await expectError(
      c.admin,
      `update public.agency_members set role = 'owner' where agency_id = '${c.agencyA}' and user_id = '${c.member}'`,
      /row-level security/,
    );
    expect(
      (await run(c.owner, `update public.agency_members set role = 'owner' where agency_id = '${c.agencyA}' and user_id = '${c.member}' returning 1`)).cell,
    ).toBe("Y");
  });

  it("admins cannot demote or remove owners", async () => {
    expect(
      (await run(c.admin, `update public.agency_members set role = 'member' where agency_id = '${c.agencyA}' and user_id = '${c.owner}' returning 1`)).cell,
    ).toBe("0");
    expect((await run(c.admin, `delete from public.agency_members where agency_id = '${c.agencyA}' and user_id = '${c.owner}' returning 1`)).cell).toBe("0");
  });

  it("nobody changes their own role", async () => {
    for (const who of [c.owner, c.admin, c.member]) {
      expect((await run(who, `update public.agency_members set role = 'owner' where agency_id = '${c.agencyA}' and user_id = '${who}' returning 1`)).cell).toBe(
        "0",
      );
    }
  });

  it("the last owner cannot be removed or demoted (trigger, for every writer)", async () => {
    await expectError(c.owner, `delete from public.agency_members where agency_id = '${c.agencyA}' and user_id = '${c.owner}'`, /at least one owner/);
    await expect(
      asService((tx) => tx`update public.agency_members set role = 'admin' where agency_id = ${c.agencyA} and user_id = ${c.owner}`),
    ).rejects.toThrow(/at least one owner/);
  });

  it("a client viewer sees only their workspace and its facts", async () => {
    const count = async (text: string) => (await run(c.viewer, text)).rows;
    expect(await count(`select id from public.workspaces where agency_id = '${c.agencyA}'`)).toBe(1);
    expect(await count(`select 1 from public.insights_daily where workspace_id = '${c.ws1}'`)).toBe(2);
    expect(await count(`select 1 from public.insights_daily where workspace_id = '${c.ws2}'`)).toBe(0);
    expect(await count(`select 1 from public.insights_daily`)).toBe(2);
    expect(await count(`select 1 from public.ad_accounts`)).toBe(1);
    expect(await count(`select 1 from public.insights_daily_rollup where workspace_id = '${c.ws2}'`)).toBe(0);
    expect(await count(`select 1 from public.insights_campaign_rollup where workspace_id = '${c.ws2}'`)).toBe(0);
    expect(await count(`select 1 from public.insights_platform_rollup where workspace_id = '${c.ws2}'`)).toBe(0);
    expect(await count(`select 1 from public.insights_fact_windows where workspace_id = '${c.ws2}'`)).toBe(0);
    expect(await count(`select 1 from public.insights_fact_windows`)).toBe(2);
    expect(await count(`select 1 from public.agency_members`)).toBe(0);
    expect(await count(`select 1 from public.meta_connections`)).toBe(0);
    expect(await count(`select 1 from public.invitations`)).toBe(0);
    expect(await count(`select 1 from public.users where id <> '${c.viewer}'`)).toBe(0);
  });

  it("agency B sees nothing of agency A", async () => {
    const byAgency = [
      "agencies:id",
      "agency_members",
      "workspaces",
      "workspace_viewers",
      "invitations",
      "audit_log",
      "meta_connections",
      "ad_accounts",
      "sync_runs",
      "data_versions",
      "agency_branding",
      "report_templates",
      "report_schedules",
      "report_share_links",
      "report_deliveries",
      "workspace_targets",
      "agency_alert_settings",
      "alerts",
    ];
    const byWorkspace = [
      "campaigns",
      "insights_daily",
      "insights_daily_rollup",
      "insights_campaign_rollup",
      "insights_platform_rollup",
      "insights_reach",
      "insights_fact_windows",
    ];
    const A = `'${c.agencyA}'`;
    const WS = `('${c.ws1}', '${c.ws2}')`;
    const statements = [
      ...byAgency.map((t) => {
        const [table, col = "agency_id"] = t.split(":");
        return `select 1 from public.${table} where ${col} = ${A}`;
      }),
      ...byWorkspace.map((t) => `select 1 from public.${t} where workspace_id in ${WS}`),
      `select 1 from public.users where id in ('${c.owner}', '${c.admin}', '${c.member}', '${c.viewer}')`,
      `select 1 from private.my_agencies() where id = ${A}`,
    ];
    for (const text of statements) {
      // The same statements do return A's rows for A's owner, so a zero for B means RLS hid them.
      expect((await run(c.owner, text)).rows, text).toBeGreaterThan(0);
      expect((await run(ids.ownerB, text)).rows, text).toBe(0);
    }
  });

  it("a client viewer reads their workspace's budget alerts only when the agency opts viewers in", async () => {
    const budget = `select rule from public.alerts where workspace_id = '${c.ws1}'`;
    expect((await run(c.viewer, budget)).rows).toBe(0);
    await asService((tx) => tx`update public.agency_alert_settings set viewers_get_budget_alerts = true where agency_id = ${c.agencyA}`);
    try {
      // the budget alert, never the spend anomaly of the same workspace
      expect((await run(c.viewer, budget)).rows).toBe(1);
      expect((await run(c.viewer, `${budget} and rule = 'projected_overspend'`)).rows).toBe(1);
      expect((await run(ids.ownerB, budget)).rows).toBe(0);
    } finally {
      await asService((tx) => tx`update public.agency_alert_settings set viewers_get_budget_alerts = false where agency_id = ${c.agencyA}`);
    }
  });

  it("targets are append-only history and take their agency from the workspace", async () => {
    // an owner of A naming agency B's id still gets A (the trigger sets agency_id from the workspace)
    let agency = "";
    await asUser(c.owner, async (tx) => {
      const [r] = await tx<{ agency_id: string }[]>`insert into public.workspace_targets (workspace_id, currency, effective_from, target_cpa, created_by)
        values (${c.ws1}, 'USD', '2031-01-01', 12, ${c.owner}) returning agency_id`;
      agency = r!.agency_id;
      throw ROLLBACK;
    }).catch((e) => {
      if (e !== ROLLBACK) throw e;
    });
    expect(agency).toBe(c.agencyA);
    await expectError(
      c.owner,
      `insert into public.workspace_targets (workspace_id, currency, effective_from, target_cpa, created_by) values ('${c.ws1}', 'USD', '2031-01-01', 12, '${c.admin}')`,
      /row-level security/,
    );
  });

  it("a viewer of another agency's workspace gains nothing in agency A", async () => {
    const B = await createAgencyFixture();
    await addViewer(B.workspaces[0].id, c.outsider2);
    expect((await run(c.outsider2, `select 1 from public.workspaces where agency_id = '${c.agencyA}'`)).rows).toBe(0);
    expect((await run(c.outsider2, `select 1 from private.my_agencies() where id = '${c.agencyA}'`)).rows).toBe(0);
    expect((await run(c.outsider2, `select role from private.my_agencies() where id = '${B.agency.id}'`)).rows).toBe(1);
  });
});
