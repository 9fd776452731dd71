/**
 * Owner data export: everything an agency has in Spendlane, one CSV per table, in a zip. Read under
 * asUser so row-level security decides what is included (an owner sees the whole agency; tokens and
 * token ids are not readable by any user and so are never in an export). Money stays the exact
 * decimal string Postgres holds; dates are ISO 8601.
 */
import { stringify } from "csv-stringify/sync";
import { strToU8, zipSync } from "fflate";
import { asUser, type Tx } from "../db/connection";

type Row = Record<string, unknown>;

/** File name -> query, all scoped to one agency. Dates are cast to text so no time zone shifts them. */
const TABLES: Record<string, (tx: Tx, agencyId: string) => Promise<Row[]>> = {
  "agency.csv": (tx, a) => tx`select id, name, slug, plan_id, subscription_status, trial_ends_at, current_period_end, created_at
    from public.agencies where id = ${a}`,
  "members.csv": (tx, a) => tx`select m.user_id, u.email, u.name, m.role, m.created_at
    from public.agency_members m join public.users u on u.id = m.user_id where m.agency_id = ${a} order by m.created_at`,
  "workspaces.csv": (tx, a) => tx`select id, name, slug, archived_at, created_at from public.workspaces where agency_id = ${a} order by created_at`,
  "workspace_viewers.csv": (tx, a) => tx`select v.workspace_id, v.user_id, u.email, u.name, v.created_at
    from public.workspace_viewers v left join public.users u on u.id = v.user_id where v.agency_id = ${a} order by v.created_at`,
  "invitations.csv": (tx, a) => tx`select id, workspace_id, email, role, invited_by, expires_at, accepted_at, revoked_at, created_at
    from public.invitations where agency_id = ${a} order by created_at`,
  "audit_log.csv": (tx, a) => tx`select id, actor_user_id, action, target, created_at from public.audit_log where agency_id = ${a} order by id`,
  "meta_connections.csv": (tx, a) => tx`select id, workspace_id, kind, facebook_user_id, facebook_user_name, token_expires_at, scopes,
    status, status_reason, created_by, created_at, updated_at from public.meta_connections where agency_id = ${a} order by created_at`,
  "ad_accounts.csv": (tx, a) => tx`select id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, account_status,
    attribution_setting, backfill_months, backfilled_since::text as backfilled_since, last_synced_at, sync_status, sync_progress::text as sync_progress,
    sync_error, created_at from public.ad_accounts where agency_id = ${a} order by created_at`,
  "campaigns.csv": (tx, a) => tx`select c.ad_account_id, c.meta_campaign_id, c.workspace_id, c.name, c.objective, c.status, c.effective_status, c.updated_at
    from public.campaigns c join public.workspaces w on w.id = c.workspace_id where w.agency_id = ${a}
    order by c.ad_account_id, c.meta_campaign_id`,
  "insights_daily.csv": (tx, a) => tx`select d.ad_account_id, d.meta_campaign_id, d.date::text as date, d.publisher_platform, d.workspace_id,
    d.spend::text as spend, d.impressions::text as impressions, d.clicks::text as clicks, d.link_clicks::text as link_clicks,
    d.conversions::text as conversions, d.conversion_value::text as conversion_value, d.actions, d.action_values, d.fetched_at
    from public.insights_daily d join public.workspaces w on w.id = d.workspace_id where w.agency_id = ${a}
    order by d.ad_account_id, d.date, d.meta_campaign_id, d.publisher_platform`,
  "insights_reach.csv": (tx, a) => tx`select r.ad_account_id, r.workspace_id, r.meta_campaign_id, r.publisher_platform, r.since::text as since,
    r.until::text as until, r.reach::text as reach, r.impressions::text as impressions, r.fetched_at
    from public.insights_reach r join public.workspaces w on w.id = r.workspace_id where w.agency_id = ${a}
    order by r.ad_account_id, r.since, r.until`,
  "sync_runs.csv": (tx, a) => tx`select id, workspace_id, ad_account_id, kind, status, progress::text as progress, since::text as since,
    until::text as until, days_done, rows_written, api_calls, error, created_at, started_at, finished_at
    from public.sync_runs where agency_id = ${a} order by created_at`,
};

export const EXPORT_FILES = Object.keys(TABLES);

function toCsv(rows: Row[], header: string[]): string {
  return stringify(rows, {
    header: true,
    columns: header,
    cast: {
      date: (d) => d.toISOString(),
      object: (o) => JSON.stringify(o),
      boolean: (b) => (b ? "true" : "false"),
      bigint: (b) => b.toString(),
    },
  });
}

/** The agency's data as a zip of CSV files. `userId` must be an owner (the route checks; RLS agrees). */
export async function buildAgencyExport(userId: string, agencyId: string): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  await asUser(userId, async (tx) => {
    for (const [name, query] of Object.entries(TABLES)) {
      const rows = await query(tx, agencyId);
      const header = (rows as unknown as { columns?: { name: string }[] }).columns?.map((c) => c.name) ?? Object.keys(rows[0] ?? {});
      files[name] = strToU8(toCsv(rows, header));
    }
    await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
      values (${agencyId}, ${userId}, 'agency.exported', ${tx.json({ files: EXPORT_FILES.length })})`;
  });
  return zipSync(files, { level: 6, mtime: new Date() });
}
