/**
 * Request-path reads and writes of goals and alerts, always as the user (asUser): RLS decides which
 * alerts, targets and settings exist for them. Routes call these; the evaluator runs on the service
 * path (evaluate.ts) and is only triggered from here after a target changed.
 */
import { z } from "zod";
import { asUser } from "../db/connection";
import { InputError, fieldErrors } from "../errors";
import { logger } from "../logger";
import { evaluateWorkspace } from "./evaluate";
import { RULES, RULE_LABELS, type Rule } from "./rules";

const log = logger.child({ module: "alerts" });

export interface AlertView {
  id: string;
  rule: Rule;
  ruleLabel: string;
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  subject: string;
  subjectLabel: string;
  message: string;
  link: string;
  day: string | null;
  openedAt: string;
  resolvedAt: string | null;
}

export const alertFilterSchema = z.object({
  status: z.enum(["open", "resolved", "all"]).catch("open").default("open"),
  rule: z.enum(RULES).optional().catch(undefined),
  client: z
    .string()
    .regex(/^[a-z0-9-]{1,48}$/)
    .optional()
    .catch(undefined),
});
export type AlertFilter = z.infer<typeof alertFilterSchema>;

export function parseAlertFilter(url: URL): AlertFilter {
  const p = url.searchParams;
  return alertFilterSchema.parse({ status: p.get("status") || undefined, rule: p.get("rule") || undefined, client: p.get("client") || undefined });
}

/** Alerts of the agency the user may see (RLS), newest first, optionally one client's. */
export async function listAlerts(
  userId: string,
  agencyId: string,
  filter: AlertFilter,
  opts: { workspaceId?: string; limit?: number } = {},
): Promise<AlertView[]> {
  const limit = Math.min(Math.max(opts.limit ?? 200, 1), 500);
  const rows = await asUser(
    userId,
    (tx) => tx<(Omit<AlertView, "ruleLabel" | "openedAt" | "resolvedAt"> & { openedAt: Date; resolvedAt: Date | null })[]>`
    select x.id, x.rule, x.workspace_id as "workspaceId", w.slug as "workspaceSlug", w.name as "workspaceName", x.subject,
           x.subject_label as "subjectLabel", x.message, x.link, x.day::text as day, x.opened_at as "openedAt", x.resolved_at as "resolvedAt"
    from public.alerts x join public.workspaces w on w.id = x.workspace_id
    where x.agency_id = ${agencyId}
      and (${filter.status} = 'all' or (${filter.status} = 'open') = (x.resolved_at is null))
      and (${filter.rule ?? null}::text is null or x.rule = ${filter.rule ?? null}::text)
      and (${filter.client ?? null}::text is null or w.slug = ${filter.client ?? null}::text)
      and (${opts.workspaceId ?? null}::uuid is null or x.workspace_id = ${opts.workspaceId ?? null}::uuid)
    order by (x.resolved_at is null) desc, x.opened_at desc
    limit ${limit}`,
  );
  return rows.map((r) => ({ ...r, ruleLabel: RULE_LABELS[r.rule], openedAt: r.openedAt.toISOString(), resolvedAt: r.resolvedAt?.toISOString() ?? null }));
}

/**
 * The bell: open alerts the user may see in this agency, limited to followed clients when they chose
 * "only clients I follow".
 */
export async function openAlertCount(userId: string, agencyId: string): Promise<number> {
  const [r] = await asUser(
    userId,
    (tx) => tx<{ n: number }[]>`
    select count(*)::int as n from public.alerts x
    where x.agency_id = ${agencyId} and x.resolved_at is null
      and (coalesce((select s.scope from public.alert_user_settings s where s.user_id = private.current_user_id() and s.agency_id = ${agencyId}), 'all') = 'all'
           or exists (select 1 from public.alert_follows f where f.user_id = private.current_user_id() and f.workspace_id = x.workspace_id)
           or not exists (select 1 from public.agency_members m where m.user_id = private.current_user_id() and m.agency_id = ${agencyId}))`,
  );
  return r?.n ?? 0;
}

// ------------------------------------------------------------------------------ targets

const money = (label: string) =>
  z
    .string()
    .trim()
    .transform((v) => v.replace(/[,\s_]/g, ""))
    .pipe(z.union([z.literal(""), z.string().regex(/^\d{1,14}(\.\d{1,4})?$/, `${label}: a positive amount like 1500 or 1500.50`)]))
    .transform((v) => (v === "" ? null : v))
    .refine((v) => v === null || Number(v) > 0, `${label} must be more than 0`);

export const targetInputSchema = z
  .object({
    currency: z
      .string()
      .trim()
      .regex(/^[A-Z]{3}$/, "Choose a currency"),
    effectiveFrom: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "Use YYYY-MM-DD")
      .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), "Not a calendar date"),
    monthlyBudget: money("Monthly budget"),
    dailyBudget: money("Daily budget"),
    targetCpa: money("Target CPA"),
    targetRoas: z
      .string()
      .trim()
      .pipe(z.union([z.literal(""), z.string().regex(/^\d{1,6}(\.\d{1,4})?$/, "Target ROAS: a ratio like 3 or 2.5")]))
      .transform((v) => (v === "" ? null : v))
      .refine((v) => v === null || Number(v) > 0, "Target ROAS must be more than 0"),
  })
  .refine((v) => v.monthlyBudget || v.dailyBudget || v.targetCpa || v.targetRoas, { message: "Set at least one target", path: ["monthlyBudget"] });

export interface TargetView {
  id: string;
  currency: string;
  effectiveFrom: string;
  monthlyBudget: string | null;
  dailyBudget: string | null;
  targetCpa: string | null;
  targetRoas: string | null;
  createdAt: string;
  createdBy: string | null;
}

/** Every target row of the workspace (history), newest first per currency. */
export async function listTargets(userId: string, workspaceId: string): Promise<TargetView[]> {
  const rows = await asUser(
    userId,
    (tx) => tx<(Omit<TargetView, "createdAt"> & { createdAt: Date })[]>`
    select t.id, t.currency, t.effective_from::text as "effectiveFrom", t.monthly_budget::text as "monthlyBudget",
           t.daily_budget::text as "dailyBudget", t.target_cpa::text as "targetCpa", t.target_roas::text as "targetRoas",
           t.created_at as "createdAt", coalesce(u.name, u.email) as "createdBy"
    from public.workspace_targets t left join public.users u on u.id = t.created_by
    where t.workspace_id = ${workspaceId}
    order by t.currency, t.effective_from desc`,
  );
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

/**
 * Adds a target row (owners and admins; RLS refuses anyone else). A row for the same currency and
 * date replaces nothing: it is refused, because history is kept as it was. Re-evaluates the
 * workspace's alerts at once, so a new budget shows its pacing alert without waiting for a sync.
 */
export async function addTarget(userId: string, workspaceId: string, input: Record<string, unknown>, currencies: string[]): Promise<void> {
  const parsed = targetInputSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the targets", fieldErrors(parsed.error.issues));
  const t = parsed.data;
  if (!currencies.includes(t.currency)) throw new InputError("Check the targets", { currency: "This client has no ad account in that currency" });
  try {
    await asUser(
      userId,
      (tx) => tx`
      insert into public.workspace_targets (workspace_id, currency, effective_from, monthly_budget, daily_budget, target_cpa, target_roas, created_by)
      values (${workspaceId}, ${t.currency}, ${t.effectiveFrom}, ${t.monthlyBudget}, ${t.dailyBudget}, ${t.targetCpa}, ${t.targetRoas}, ${userId})`,
    );
  } catch (err) {
    const e = err as { code?: string };
    if (e.code === "23505")
      throw new InputError("Check the targets", { effectiveFrom: "Targets for this currency already start on that day; choose another day" });
    throw err;
  }
  await evaluateWorkspace(workspaceId).catch((err) => log.error({ err, workspaceId }, "alert evaluation after a target change failed"));
}

// ------------------------------------------------------------------------------ preferences

export interface AlertPreferences {
  scope: "all" | "followed";
  digestHour: number;
  digestTimezone: string;
  rules: Record<Rule, "immediate" | "digest" | "off" | null>;
  follows: string[];
}

export async function getPreferences(userId: string, agencyId: string): Promise<AlertPreferences> {
  return asUser(userId, async (tx) => {
    const [s] = await tx<{ scope: "all" | "followed"; digest_hour: number; digest_timezone: string }[]>`
      select scope, digest_hour, digest_timezone from public.alert_user_settings where user_id = ${userId} and agency_id = ${agencyId}`;
    const prefs = await tx<{ rule: Rule; delivery: "immediate" | "digest" | "off" }[]>`
      select rule, delivery from public.alert_rule_preferences where user_id = ${userId} and agency_id = ${agencyId}`;
    const follows = await tx<{ workspace_id: string }[]>`select workspace_id from public.alert_follows where user_id = ${userId} and agency_id = ${agencyId}`;
    const rules = Object.fromEntries(RULES.map((r) => [r, prefs.find((p) => p.rule === r)?.delivery ?? null])) as AlertPreferences["rules"];
    return {
      scope: s?.scope ?? "all",
      digestHour: s?.digest_hour ?? 8,
      digestTimezone: s?.digest_timezone ?? "UTC",
      rules,
      follows: follows.map((f) => f.workspace_id),
    };
  });
}

function validTimezone(tz: string) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const preferencesSchema = z.object({
  scope: z.enum(["all", "followed"], { error: "Choose all clients or followed clients" }),
  digestHour: z.coerce.number().int().min(0, "An hour from 0 to 23").max(23, "An hour from 0 to 23"),
  digestTimezone: z.string().trim().min(1).max(64).refine(validTimezone, "Unknown time zone"),
  rules: z.record(z.enum(RULES), z.enum(["immediate", "digest", "off"])),
  follows: z.array(z.uuid()).max(1000),
});

/** Saves the user's own preferences (RLS: only their rows, only in agencies they can enter). */
export async function savePreferences(userId: string, agencyId: string, input: unknown, followable: string[]): Promise<void> {
  const parsed = preferencesSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check your alert settings", fieldErrors(parsed.error.issues));
  const p = parsed.data;
  const follows = p.follows.filter((id) => followable.includes(id));
  await asUser(userId, async (tx) => {
    await tx`insert into public.alert_user_settings (user_id, agency_id, scope, digest_hour, digest_timezone)
      values (${userId}, ${agencyId}, ${p.scope}, ${p.digestHour}, ${p.digestTimezone})
      on conflict (user_id, agency_id) do update set scope = excluded.scope, digest_hour = excluded.digest_hour,
        digest_timezone = excluded.digest_timezone, updated_at = now()`;
    for (const [rule, delivery] of Object.entries(p.rules)) {
      await tx`insert into public.alert_rule_preferences (user_id, agency_id, rule, delivery) values (${userId}, ${agencyId}, ${rule}, ${delivery})
        on conflict (user_id, agency_id, rule) do update set delivery = excluded.delivery`;
    }
    if (followable.length) {
      await tx`delete from public.alert_follows where user_id = ${userId} and agency_id = ${agencyId} and not (workspace_id = any(${follows}::uuid[]))`;
      for (const id of follows) await tx`insert into public.alert_follows (user_id, workspace_id) values (${userId}, ${id}) on conflict do nothing`;
    }
  });
}

export const agencySettingsSchema = z.object({
  viewersGetBudgetAlerts: z.boolean(),
  pacingAlertPct: z.coerce.number().min(1, "1 to 100 %").max(100, "1 to 100 %"),
  targetWindowDays: z.coerce.number().int().min(1, "1 to 28 days").max(28, "1 to 28 days"),
});

/** Agency-wide alert settings (owners and admins: RLS refuses the rest). */
export async function saveAgencySettings(userId: string, agencyId: string, input: unknown): Promise<void> {
  const parsed = agencySettingsSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the agency settings", fieldErrors(parsed.error.issues));
  const s = parsed.data;
  await asUser(
    userId,
    (tx) => tx`
    insert into public.agency_alert_settings (agency_id, viewers_get_budget_alerts, pacing_alert_pct, target_window_days)
    values (${agencyId}, ${s.viewersGetBudgetAlerts}, ${s.pacingAlertPct}, ${s.targetWindowDays})
    on conflict (agency_id) do update set viewers_get_budget_alerts = excluded.viewers_get_budget_alerts,
      pacing_alert_pct = excluded.pacing_alert_pct, target_window_days = excluded.target_window_days, updated_at = now()`,
  );
}

/** Clients of the agency the user may see (filters, follow checkboxes). */
export async function visibleClients(userId: string, agencyId: string): Promise<{ id: string; slug: string; name: string }[]> {
  return asUser(
    userId,
    (tx) => tx<{ id: string; slug: string; name: string }[]>`
    select id, slug, name from public.workspaces where agency_id = ${agencyId} and archived_at is null order by name, slug`,
  );
}

export async function getAgencySettings(userId: string, agencyId: string) {
  const [s] = await asUser(
    userId,
    (tx) => tx<{ viewers_get_budget_alerts: boolean; pacing_alert_pct: string; target_window_days: number }[]>`
    select viewers_get_budget_alerts, pacing_alert_pct::text, target_window_days from public.agency_alert_settings where agency_id = ${agencyId}`,
  );
  return {
    viewersGetBudgetAlerts: s?.viewers_get_budget_alerts ?? false,
    pacingAlertPct: Number(s?.pacing_alert_pct ?? 10),
    targetWindowDays: s?.target_window_days ?? 3,
  };
}
