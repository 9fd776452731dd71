/**
 * Alert evaluation for one client workspace: compute the conditions that hold now, open an alert
 * for each new one, refresh the open ones, and resolve the open alerts whose condition cleared; all
 * in one service transaction. The database keeps at most one open alert per (workspace, rule,
 * subject) (a partial unique index), so concurrent evaluations (a sync finishing while the hourly
 * pass runs) cannot duplicate one.
 *
 * When anything opened or resolved, the workspace's data version is bumped and a `data` event is
 * published in the same transaction: open pages revalidate and the bell count follows live. After
 * commit, newly opened alerts are emailed to the people who chose "immediately".
 *
 * Runs after every sync of the workspace (sync/service.ts) and in the hourly pass (jobs.ts), which
 * catches the time-based rules (token expiry, failing syncs, a quiet day).
 */
import { asService, type Tx } from "../db/connection";
import { logger } from "../logger";
import { publishEvent } from "../realtime/publish";
import { workspaceConditions, type WorkspaceRef } from "./conditions";
import type { Condition, Rule } from "./rules";

const log = logger.child({ module: "alerts" });

export interface AlertChange {
  id: string;
  rule: Rule;
  subject: string;
}

export interface EvaluationResult {
  workspaceId: string;
  opened: AlertChange[];
  resolved: AlertChange[];
  open: number;
}

async function workspaceRef(tx: Tx, workspaceId: string): Promise<WorkspaceRef | null> {
  const [w] = await tx<{ id: string; slug: string; name: string; agency_id: string; agency_slug: string; archived: boolean }[]>`
    select w.id, w.slug, w.name, w.agency_id, a.slug as agency_slug, w.archived_at is not null as archived
    from public.workspaces w join public.agencies a on a.id = w.agency_id where w.id = ${workspaceId}`;
  if (!w) return null;
  return { workspaceId: w.id, workspaceSlug: w.slug, workspaceName: w.name, agencyId: w.agency_id, agencySlug: w.agency_slug };
}

/**
 * Reconciles stored alerts with `conditions` (inside the caller's transaction). Open alerts matching
 * an `undetermined` prefix ("rule|subject") are left as they are.
 */
export async function reconcile(
  tx: Tx,
  ws: WorkspaceRef,
  conditions: Condition[],
  undetermined: string[] = [],
): Promise<Omit<EvaluationResult, "workspaceId">> {
  // one condition per rule+subject (a rule may find the same subject twice, e.g. two anomalous days)
  const wanted = new Map<string, Condition>();
  for (const c of conditions) if (!wanted.has(`${c.rule}|${c.subject}`)) wanted.set(`${c.rule}|${c.subject}`, c);
  const open = await tx<{ id: string; rule: Rule; subject: string }[]>`
    select id, rule, subject from public.alerts where workspace_id = ${ws.workspaceId} and resolved_at is null for update`;
  const opened: AlertChange[] = [];
  const resolved: AlertChange[] = [];
  for (const a of open) {
    const c = wanted.get(`${a.rule}|${a.subject}`);
    if (c) {
      await tx`update public.alerts set last_seen_at = now(), message = ${c.message}, link = ${c.link}, day = ${c.day},
        subject_label = ${c.subjectLabel}, details = ${tx.json(c.details as never)} where id = ${a.id}`;
      wanted.delete(`${a.rule}|${a.subject}`);
    } else if (undetermined.some((p) => `${a.rule}|${a.subject}`.startsWith(p))) {
      continue;
    } else {
      await tx`update public.alerts set resolved_at = greatest(now(), opened_at) where id = ${a.id}`;
      resolved.push(a);
    }
  }
  for (const c of wanted.values()) {
    const [row] = await tx<{ id: string }[]>`
      insert into public.alerts (agency_id, workspace_id, rule, subject, subject_label, message, link, day, details)
      values (${ws.agencyId}, ${ws.workspaceId}, ${c.rule}, ${c.subject}, ${c.subjectLabel.slice(0, 300)}, ${c.message.slice(0, 1000)},
              ${c.link}, ${c.day}, ${tx.json(c.details as never)})
      on conflict (workspace_id, rule, subject) where resolved_at is null do nothing
      returning id`;
    if (row) opened.push({ id: row.id, rule: c.rule, subject: c.subject });
  }
  if (opened.length || resolved.length) {
    const [v] = await tx<{ version: string }[]>`
      update public.data_versions set version = version + 1, updated_at = now() where workspace_id = ${ws.workspaceId} returning version`;
    if (v) await publishEvent(tx, { type: "data", workspaceId: ws.workspaceId, version: Number(v.version) });
  }
  const [{ n }] = await tx<{ n: number }[]>`select count(*)::int as n from public.alerts where workspace_id = ${ws.workspaceId} and resolved_at is null`;
  return { opened, resolved, open: n };
}

/**
 * Evaluates one workspace now. `now` is the clock of the data (tests freeze it with the emulator's);
 * opened/resolved times are the database's clock. Emails newly opened alerts unless `deliver` is false.
 */
export async function evaluateWorkspace(workspaceId: string, opts: { now?: Date; deliver?: boolean } = {}): Promise<EvaluationResult> {
  const now = opts.now ?? new Date();
  const result = await asService(async (tx) => {
    const ws = await workspaceRef(tx, workspaceId);
    if (!ws) return { workspaceId, opened: [], resolved: [], open: 0 };
    const { conditions, undetermined } = await workspaceConditions(tx, ws, now);
    return { workspaceId, ...(await reconcile(tx, ws, conditions, undetermined)) };
  });
  if (result.opened.length || result.resolved.length) {
    log.info({ workspaceId, opened: result.opened.map((a) => a.rule), resolved: result.resolved.map((a) => a.rule) }, "alerts changed");
  }
  if (opts.deliver !== false && result.opened.length) {
    const { deliverImmediate } = await import("./delivery");
    await deliverImmediate(result.opened.map((a) => a.id)).catch((err) => log.error({ err, workspaceId }, "alert email delivery failed"));
  }
  return result;
}

/**
 * After a sync of an ad account (success or failure): evaluates its workspace. Never throws: an alert
 * problem must not turn a good sync into a failed job.
 */
export async function evaluateAfterSync(info: { adAccountId: string; now?: Date }): Promise<EvaluationResult | null> {
  try {
    const [a] = await asService((tx) => tx<{ workspace_id: string }[]>`select workspace_id from public.ad_accounts where id = ${info.adAccountId}`);
    if (!a) return null;
    return await evaluateWorkspace(a.workspace_id, { now: info.now });
  } catch (err) {
    log.error({ err, adAccountId: info.adAccountId }, "alert evaluation after sync failed");
    return null;
  }
}

/** The hourly pass: every workspace of every agency (or of one agency) that has ad accounts or connections. */
export async function evaluateAll(opts: { agencyId?: string; now?: Date; deliver?: boolean } = {}): Promise<EvaluationResult[]> {
  const ids = await asService(
    (tx) => tx<{ id: string }[]>`
    select w.id from public.workspaces w
    where w.archived_at is null and (${opts.agencyId ?? null}::uuid is null or w.agency_id = ${opts.agencyId ?? null}::uuid)
      and (exists (select 1 from public.ad_accounts a where a.workspace_id = w.id)
           or exists (select 1 from public.meta_connections c where c.workspace_id = w.id)
           or exists (select 1 from public.alerts x where x.workspace_id = w.id and x.resolved_at is null))
    order by w.id`,
  );
  const results: EvaluationResult[] = [];
  for (const { id } of ids) {
    try {
      results.push(await evaluateWorkspace(id, opts));
    } catch (err) {
      log.error({ err, workspaceId: id }, "alert evaluation failed");
    }
  }
  return results;
}
