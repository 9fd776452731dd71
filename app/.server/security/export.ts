/**
 * Owner data export: everything an agency has in Spendlane, one CSV per table, in a zip. Read under
 * asUser so row-level security decides what is included (an owner sees the whole agency; tokens and
 * token ids are not readable by any user and so are never in an export). Money stays the exact
 * decimal string Postgres holds; dates are ISO 8601. Cells are formula-safe (spreadsheet-safe.ts).
 *
 * Streamed, not built in memory: each table is read in pages of 500 rows (keyset pagination, one
 * short asUser transaction per page) into fflate's streaming Zip, and the route sends the zip as it
 * is produced. The reader waits while the client is slow (back-pressure), so memory stays at a few
 * pages whatever the agency's size, and no transaction is held open while it waits (the embedded
 * engine serialises transactions: one slow download must not stall everyone). A client that stops
 * reading for IDLE_TIMEOUT_MS ends the export. The price: pages are separate snapshots, so rows a
 * sync writes during a long export may or may not be in it (none is duplicated or skipped: keys only
 * move forward). ADR 0065.
 */
import { stringify } from "csv-stringify/sync";
import { Zip, ZipDeflate } from "fflate";
import type postgres from "postgres";
import { asUser, type Tx } from "../db/connection";
import { logger } from "../logger";
import { SPREADSHEET_SAFE } from "./spreadsheet-safe";

type Row = Record<string, unknown>;

/**
 * One exported table: its columns, its rows of one agency, and a unique key to page through them in
 * order (keyset pagination: each page is its own short query, so no transaction or cursor is held
 * open while a slow client reads). Timestamps in keys are compared as exact epoch numerics.
 */
interface TableSpec {
  cols: string;
  from: (tx: Tx, agencyId: string) => postgres.PendingQuery<Row[]>;
  key: string[];
  casts: string[];
}

const byCreated = (alias: string) => ({ key: [`extract(epoch from ${alias}created_at)`, `${alias}id`], casts: ["numeric", "uuid"] });

/** File name -> table. Dates are cast to text so no time zone shifts them. */
const TABLES: Record<string, TableSpec> = {
  "agency.csv": {
    cols: "id, name, slug, plan_id, subscription_status, trial_ends_at, current_period_end, created_at",
    from: (tx, a) => tx`from public.agencies where id = ${a}`,
    key: ["id"],
    casts: ["uuid"],
  },
  "members.csv": {
    cols: "m.user_id, u.email, u.name, m.role, m.created_at",
    from: (tx, a) => tx`from public.agency_members m join public.users u on u.id = m.user_id where m.agency_id = ${a}`,
    key: ["extract(epoch from m.created_at)", "m.user_id"],
    casts: ["numeric", "uuid"],
  },
  "workspaces.csv": { cols: "id, name, slug, archived_at, created_at", from: (tx, a) => tx`from public.workspaces where agency_id = ${a}`, ...byCreated("") },
  "workspace_viewers.csv": {
    cols: "v.workspace_id, v.user_id, u.email, u.name, v.created_at",
    from: (tx, a) => tx`from public.workspace_viewers v left join public.users u on u.id = v.user_id where v.agency_id = ${a}`,
    key: ["extract(epoch from v.created_at)", "v.workspace_id", "v.user_id"],
    casts: ["numeric", "uuid", "uuid"],
  },
  "invitations.csv": {
    cols: "id, workspace_id, email, role, invited_by, expires_at, accepted_at, revoked_at, created_at",
    from: (tx, a) => tx`from public.invitations where agency_id = ${a}`,
    ...byCreated(""),
  },
  "audit_log.csv": {
    cols: "id, actor_user_id, action, target, created_at",
    from: (tx, a) => tx`from public.audit_log where agency_id = ${a}`,
    key: ["id"],
    casts: ["bigint"],
  },
  "meta_connections.csv": {
    cols: `id, workspace_id, kind, facebook_user_id, facebook_user_name, token_expires_at, scopes,
      status, status_reason, created_by, created_at, updated_at`,
    from: (tx, a) => tx`from public.meta_connections where agency_id = ${a}`,
    ...byCreated(""),
  },
  "ad_accounts.csv": {
    cols: `id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, account_status,
      attribution_setting, backfill_months, backfilled_since::text as backfilled_since, last_synced_at, sync_status, sync_progress::text as sync_progress,
      sync_error, created_at`,
    from: (tx, a) => tx`from public.ad_accounts where agency_id = ${a}`,
    ...byCreated(""),
  },
  "campaigns.csv": {
    cols: "c.ad_account_id, c.meta_campaign_id, c.workspace_id, c.name, c.objective, c.status, c.effective_status, c.updated_at",
    from: (tx, a) => tx`from public.campaigns c join public.workspaces w on w.id = c.workspace_id where w.agency_id = ${a}`,
    key: ["c.ad_account_id", "c.meta_campaign_id"],
    casts: ["uuid", "text"],
  },
  "insights_daily.csv": {
    cols: `d.ad_account_id, d.meta_campaign_id, d.date::text as date, d.publisher_platform, d.workspace_id,
      d.spend::text as spend, d.impressions::text as impressions, d.clicks::text as clicks, d.link_clicks::text as link_clicks,
      d.conversions::text as conversions, d.conversion_value::text as conversion_value, d.actions, d.action_values, d.fetched_at`,
    from: (tx, a) => tx`from public.insights_daily d join public.workspaces w on w.id = d.workspace_id where w.agency_id = ${a}`,
    // the primary key's order, so each page is an index range
    key: ["d.ad_account_id", "d.meta_campaign_id", "d.date", "d.publisher_platform"],
    casts: ["uuid", "text", "date", "text"],
  },
  "insights_reach.csv": {
    cols: `r.ad_account_id, r.workspace_id, r.meta_campaign_id, r.publisher_platform, r.since::text as since,
      r.until::text as until, r.reach::text as reach, r.impressions::text as impressions, r.fetched_at`,
    from: (tx, a) => tx`from public.insights_reach r join public.workspaces w on w.id = r.workspace_id where w.agency_id = ${a}`,
    key: ["r.ad_account_id", "r.meta_campaign_id", "r.publisher_platform", "r.since", "r.until"],
    casts: ["uuid", "text", "text", "date", "date"],
  },
  "sync_runs.csv": {
    cols: `id, workspace_id, ad_account_id, kind, status, progress::text as progress, since::text as since,
      until::text as until, days_done, rows_written, api_calls, error, created_at, started_at, finished_at`,
    from: (tx, a) => tx`from public.sync_runs where agency_id = ${a}`,
    ...byCreated(""),
  },
};

const KEY_PREFIX = "_export_key_";

/** One page of a table: up to `limit` rows after `after` (the previous page's last key), in key order. */
function page(tx: Tx, spec: TableSpec, agencyId: string, after: string[] | null, limit: number) {
  // cols, key and casts are constants of this module, never input: safe as raw SQL
  const keyList = tx.unsafe(spec.key.join(", "));
  const hidden = tx.unsafe(spec.key.map((k, i) => `(${k})::text as "${KEY_PREFIX}${i}"`).join(", "));
  const values = after?.reduce<postgres.PendingQuery<Row[]> | null>(
    (acc, v, i) => (acc ? tx`${acc}, ${v}::${tx.unsafe(spec.casts[i])}` : tx`${v}::${tx.unsafe(spec.casts[i])}`),
    null,
  );
  const cond = values ? tx`and (${keyList}) > (${values})` : tx``;
  return tx<Row[]>`select ${tx.unsafe(spec.cols)}, ${hidden} ${spec.from(tx, agencyId)} ${cond} order by ${keyList} limit ${limit}`;
}

export const EXPORT_FILES = Object.keys(TABLES);

const BATCH_ROWS = 500;
const IDLE_TIMEOUT_MS = 60_000;

function toCsv(rows: Row[], header: string[], withHeader: boolean): string {
  return stringify(rows, {
    header: withHeader,
    columns: header,
    ...SPREADSHEET_SAFE,
    cast: {
      ...SPREADSHEET_SAFE.cast,
      date: (d) => d.toISOString(),
      object: (o) => JSON.stringify(o),
      boolean: (b) => (b ? "true" : "false"),
      bigint: (b) => b.toString(),
    },
  });
}

class ExportAborted extends Error {}

/**
 * The agency's data as a zip stream of CSV files. `userId` must be an owner (the route checks; RLS
 * agrees). Resolves once the snapshot is open and the first table answered, so a database that is
 * down fails the request (503) instead of a download; later failures end the stream with an error.
 */
export async function streamAgencyExport(userId: string, agencyId: string): Promise<ReadableStream<Uint8Array>> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wake: (() => void) | undefined;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: () => wake?.(),
      cancel: () => {
        cancelled = true;
        wake?.();
      },
    },
    { highWaterMark: 8 },
  );
  /** Waits until the client has room for more (or gives up after IDLE_TIMEOUT_MS). */
  const room = () =>
    new Promise<void>((resolve, reject) => {
      if (cancelled) return reject(new ExportAborted("the client went away"));
      if ((controller.desiredSize ?? 1) > 0) return resolve();
      const timer = setTimeout(() => reject(new ExportAborted("the client stopped reading")), IDLE_TIMEOUT_MS);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        if (cancelled) reject(new ExportAborted("the client went away"));
        else resolve();
      };
    });

  let started!: () => void;
  let failedToStart!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => ((started = resolve), (failedToStart = reject)));
  let isStarted = false;

  const zip = new Zip((err, chunk, final) => {
    if (err) return controller.error(err);
    if (!cancelled) controller.enqueue(chunk);
    if (final && !cancelled) controller.close();
  });

  void (async () => {
    for (const [name, spec] of Object.entries(TABLES)) {
      const file = new ZipDeflate(name, { level: 6 });
      zip.add(file);
      let after: string[] | null = null;
      let header: string[] | null = null;
      for (;;) {
        if (isStarted) await room();
        // Each page is its own short transaction under RLS: nothing is held while the client reads.
        const rows = await asUser(userId, (tx) => page(tx, spec, agencyId, after, BATCH_ROWS));
        const columns = (rows as unknown as { columns: { name: string }[] }).columns.map((c) => c.name);
        header ??= columns.filter((c) => !c.startsWith(KEY_PREFIX));
        if (!isStarted) {
          isStarted = true;
          started();
        }
        file.push(new TextEncoder().encode(toCsv(rows, header, after === null)));
        if (rows.length < BATCH_ROWS) break;
        const last = rows[rows.length - 1];
        after = spec.key.map((_, i) => String(last[`${KEY_PREFIX}${i}`]));
      }
      file.push(new Uint8Array(0), true);
    }
  })()
    .then(async () => {
      // Audited once the whole export has been produced (a download abandoned midway is not one).
      await asUser(
        userId,
        (tx) => tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
        values (${agencyId}, ${userId}, 'agency.exported', ${tx.json({ files: EXPORT_FILES.length })})`,
      );
      zip.end();
    })
    .catch((err) => {
      if (!isStarted) return failedToStart(err);
      if (err instanceof ExportAborted) logger.warn({ agencyId, reason: err.message }, "agency export ended early");
      else logger.error({ err, agencyId }, "agency export failed");
      zip.terminate();
      if (!cancelled) controller.error(err);
    });
  await ready;
  return stream;
}

/** The whole zip in memory: for tests and small callers only; the route streams. */
export async function buildAgencyExport(userId: string, agencyId: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(await streamAgencyExport(userId, agencyId)).arrayBuffer());
}
