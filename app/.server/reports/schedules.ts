/**
 * Report templates and schedules of a client workspace, managed by agency staff (owners, admins,
 * members) under RLS; client viewers see none of it (migration 0090). Input is parsed with zod; bad
 * input is an InputError naming the field and changes nothing.
 */
import { z } from "zod";
import { asUser, type Tx } from "../db/connection";
import { InputError, NotFoundError, fieldErrors } from "../errors";
import { limitErrorFrom } from "../billing/limits";
import { COMPARES } from "../reporting/dates";
import { getBranding } from "./branding";
import { nextRunAfter, REPORT_PRESETS } from "./periods";
import { DEFAULT_SECTIONS, readSections, sectionsSchema, type SectionKind } from "./sections";

export const templateSchema = z.object({
  name: z.string().trim().min(1, "Give the template a name").max(120, "At most 120 characters"),
  sections: sectionsSchema,
  rangePreset: z.enum(REPORT_PRESETS, { error: "Choose a period" }),
  compare: z.enum(COMPARES, { error: "Choose a comparison" }),
  commentary: z.string().max(5000, "At most 5,000 characters").default(""),
});
export type TemplateInput = z.input<typeof templateSchema>;

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^[^@\s<>"',;]+@[^@\s<>"',;]+\.[^@\s<>"',;]+$/, "Not an email address");

export const scheduleSchema = z
  .object({
    templateId: z.uuid({ error: "Choose a template" }),
    name: z.string().trim().min(1, "Give the schedule a name").max(120, "At most 120 characters"),
    frequency: z.enum(["weekly", "monthly"], { error: "Choose weekly or monthly" }),
    weekday: z.coerce.number().int().min(1).max(7).optional(),
    dayOfMonth: z.coerce.number().int().min(1, "Days 1 to 28").max(28, "Days 1 to 28 (every month has them)").optional(),
    hour: z.coerce.number().int().min(0, "Hours 0 to 23").max(23, "Hours 0 to 23"),
    viewerIds: z.array(z.uuid()).max(50).default([]),
    externalEmails: z.array(email).max(50, "At most 50 addresses").default([]),
    enabled: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (v.frequency === "weekly" && !v.weekday) ctx.addIssue({ code: "custom", path: ["weekday"], message: "Choose a weekday" });
    if (v.frequency === "monthly" && !v.dayOfMonth) ctx.addIssue({ code: "custom", path: ["dayOfMonth"], message: "Choose a day of the month" });
    if (v.viewerIds.length + v.externalEmails.length === 0) ctx.addIssue({ code: "custom", path: ["recipients"], message: "Add at least one recipient" });
  });
export type ScheduleInput = z.input<typeof scheduleSchema>;

/** Splits a textarea of addresses (commas, semicolons, spaces, new lines) into a list. */
export function splitEmails(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

function parse<T extends z.ZodType>(schema: T, input: unknown, message: string): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new InputError(message, fieldErrors(r.error.issues));
  return r.data;
}

export interface TemplateRow {
  id: string;
  name: string;
  sections: SectionKind[];
  rangePreset: (typeof REPORT_PRESETS)[number];
  compare: (typeof COMPARES)[number];
  commentary: string;
}

export interface ScheduleRowView {
  id: string;
  templateId: string;
  name: string;
  frequency: "weekly" | "monthly";
  weekday: number | null;
  dayOfMonth: number | null;
  hour: number;
  viewerIds: string[];
  externalEmails: string[];
  enabled: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
}

export async function listTemplates(tx: Tx, workspaceId: string): Promise<TemplateRow[]> {
  const rows = await tx<(Omit<TemplateRow, "sections"> & { sections: unknown })[]>`
    select id, name, sections, range_preset as "rangePreset", compare, commentary
    from public.report_templates where workspace_id = ${workspaceId} order by created_at`;
  return rows.map((r) => ({ ...r, sections: readSections(r.sections) }));
}

export async function listSchedules(tx: Tx, workspaceId: string): Promise<ScheduleRowView[]> {
  return tx<ScheduleRowView[]>`
    select id, template_id as "templateId", name, frequency, weekday, day_of_month as "dayOfMonth", hour,
           viewer_ids::text[] as "viewerIds", external_emails as "externalEmails", enabled, next_run_at as "nextRunAt", last_run_at as "lastRunAt"
    from public.report_schedules where workspace_id = ${workspaceId} order by created_at`;
}

/** Creates (no id) or updates a template as `userId`. Returns its id. */
export async function saveTemplate(userId: string, workspaceId: string, input: TemplateInput, id?: string): Promise<string> {
  const v = parse(templateSchema, input, "Check the template");
  return asUser(userId, async (tx) => {
    const rows = id
      ? await tx<{ id: string }[]>`
          update public.report_templates set name = ${v.name}, sections = ${tx.json(v.sections)}, range_preset = ${v.rangePreset},
            compare = ${v.compare}, commentary = ${v.commentary}, updated_at = now()
          where id = ${id} and workspace_id = ${workspaceId} returning id`
      : await tx<{ id: string }[]>`
          insert into public.report_templates (workspace_id, name, sections, range_preset, compare, commentary, created_by)
          values (${workspaceId}, ${v.name}, ${tx.json(v.sections)}, ${v.rangePreset}, ${v.compare}, ${v.commentary}, ${userId}) returning id`;
    if (!rows[0]) throw new NotFoundError("No such template");
    return rows[0].id;
  });
}

/** A ready-made template (every section, last month vs the previous month). */
export function standardTemplate(): TemplateInput {
  return { name: "Monthly performance", sections: DEFAULT_SECTIONS, rangePreset: "last_month", compare: "previous", commentary: "" };
}

/** Creates or updates a schedule as `userId`; recipients must be this workspace's viewers or addresses. */
export async function saveSchedule(userId: string, workspaceId: string, input: ScheduleInput, id?: string, now = new Date()): Promise<string> {
  const v = parse(scheduleSchema, input, "Check the schedule");
  try {
    return await asUser(userId, async (tx) => {
      const [ws] = await tx<{ agency_id: string }[]>`select agency_id from public.workspaces where id = ${workspaceId}`;
      if (!ws) throw new NotFoundError();
      const viewers = await tx<{ user_id: string }[]>`
        select user_id from public.workspace_viewers where workspace_id = ${workspaceId} and user_id = any(${v.viewerIds}::uuid[])`;
      if (viewers.length !== new Set(v.viewerIds).size) throw new InputError("Check the recipients", { viewerIds: "Not a viewer of this client" });
      const [tpl] = await tx`select 1 from public.report_templates where id = ${v.templateId} and workspace_id = ${workspaceId}`;
      if (!tpl) throw new InputError("Check the schedule", { templateId: "Choose a template of this client" });
      const { timezone } = await getBranding(tx, ws.agency_id);
      const next = v.enabled
        ? nextRunAfter({ frequency: v.frequency, weekday: v.weekday ?? null, dayOfMonth: v.dayOfMonth ?? null, hour: v.hour }, timezone, now)
        : null;
      const weekday = v.frequency === "weekly" ? v.weekday! : null;
      const day = v.frequency === "monthly" ? v.dayOfMonth! : null;
      const rows = id
        ? await tx<{ id: string }[]>`
            update public.report_schedules set template_id = ${v.templateId}, name = ${v.name}, frequency = ${v.frequency}, weekday = ${weekday},
              day_of_month = ${day}, hour = ${v.hour}, viewer_ids = ${v.viewerIds}::uuid[], external_emails = ${v.externalEmails}::text[],
              enabled = ${v.enabled}, next_run_at = ${next}, updated_at = now()
            where id = ${id} and workspace_id = ${workspaceId} returning id`
        : await tx<{ id: string }[]>`
            insert into public.report_schedules (workspace_id, template_id, name, frequency, weekday, day_of_month, hour, viewer_ids, external_emails, enabled, next_run_at, created_by)
            values (${workspaceId}, ${v.templateId}, ${v.name}, ${v.frequency}, ${weekday}, ${day}, ${v.hour}, ${v.viewerIds}::uuid[], ${v.externalEmails}::text[], ${v.enabled}, ${next}, ${userId})
            returning id`;
      if (!rows[0]) throw new NotFoundError("No such schedule");
      return rows[0].id;
    });
  } catch (err) {
    throw limitErrorFrom(err) ?? err;
  }
}

export async function deleteSchedule(userId: string, workspaceId: string, id: string): Promise<void> {
  const rows = await asUser(userId, (tx) => tx`delete from public.report_schedules where id = ${id} and workspace_id = ${workspaceId} returning 1`);
  if (!rows.length) throw new NotFoundError("No such schedule");
}

/** The schedule as `userId` sees it (staff of its agency), else NotFoundError: the check before a send. */
export async function requireScheduleAccess(userId: string, workspaceId: string, id: string): Promise<void> {
  const rows = await asUser(userId, (tx) => tx`select 1 from public.report_schedules where id = ${id} and workspace_id = ${workspaceId}`);
  if (!rows.length) throw new NotFoundError("No such schedule");
}

export interface DeliveryLogRow {
  id: string;
  scheduleId: string;
  scheduleName: string;
  kind: string;
  since: string;
  until: string;
  recipient: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
  createdAt: Date;
  shareLinkId: string | null;
  linkRevoked: boolean;
  linkExpiresAt: Date | null;
}

/** The delivery log of a workspace's schedules, newest first (staff; RLS). */
export async function deliveryLog(tx: Tx, workspaceId: string, limit = 100): Promise<DeliveryLogRow[]> {
  return tx<DeliveryLogRow[]>`
    select d.id, d.schedule_id as "scheduleId", s.name as "scheduleName", d.kind, d.period_since::text as since, d.period_until::text as until,
           d.recipient_email as recipient, d.status, d.attempts, d.last_error as "lastError", d.next_attempt_at as "nextAttemptAt",
           d.sent_at as "sentAt", d.created_at as "createdAt", d.share_link_id as "shareLinkId",
           (l.revoked_at is not null) as "linkRevoked", l.expires_at as "linkExpiresAt"
    from public.report_deliveries d
    join public.report_schedules s on s.id = d.schedule_id
    left join public.report_share_links l on l.id = d.share_link_id
    where d.workspace_id = ${workspaceId}
    order by d.created_at desc, d.recipient_email limit ${limit}`;
}
