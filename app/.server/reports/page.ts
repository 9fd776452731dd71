/**
 * The workspace's Reports page for agency staff: templates, schedules, the client's viewers (possible
 * recipients), the delivery log with each period's share link, and the actions behind its forms.
 * Everything reads under asUser (RLS); sends go through the delivery engine after an access check.
 */
import { z } from "zod";
import { asUser } from "../db/connection";
import { InputError, fieldErrors } from "../errors";
import { appBaseUrl } from "../mail";
import { getBranding } from "./branding";
import { runSchedule } from "./delivery";
import { REPORT_PRESET_LABELS } from "./periods";
import {
  deleteSchedule,
  deliveryLog,
  listSchedules,
  listTemplates,
  requireScheduleAccess,
  saveSchedule,
  saveTemplate,
  splitEmails,
  standardTemplate,
} from "./schedules";
import { SECTION_KINDS, SECTION_LABELS } from "./sections";
import { revokeShareLink, shareUrl } from "./share";

export async function reportsPage(userId: string, agencyId: string, workspaceId: string) {
  return asUser(userId, async (tx) => {
    const [templates, schedules, log, branding] = [
      await listTemplates(tx, workspaceId),
      await listSchedules(tx, workspaceId),
      await deliveryLog(tx, workspaceId),
      await getBranding(tx, agencyId),
    ];
    const viewers = await tx<{ userId: string; email: string; name: string | null }[]>`
      select v.user_id as "userId", u.email, u.name from public.workspace_viewers v join public.users u on u.id = v.user_id
      where v.workspace_id = ${workspaceId} order by u.email`;
    const base = appBaseUrl();
    return {
      timezone: branding.timezone,
      templates,
      schedules,
      viewers,
      log: log.map((d) => ({
        ...d,
        // staff may open and copy a live link; the token is derived, never stored
        shareUrl: d.shareLinkId && !d.linkRevoked && d.linkExpiresAt && d.linkExpiresAt > new Date() ? shareUrl(base, d.shareLinkId) : null,
      })),
      sectionKinds: SECTION_KINDS.map((k) => ({ kind: k, label: SECTION_LABELS[k] })),
      presets: Object.entries(REPORT_PRESET_LABELS).map(([value, label]) => ({ value, label })),
    };
  });
}

const uuid = z.uuid({ error: "Unknown item" });
const intentSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("create-standard-template") }),
  z.object({ intent: z.literal("save-template"), templateId: uuid.optional() }),
  z.object({ intent: z.literal("save-schedule"), scheduleId: uuid.optional() }),
  z.object({ intent: z.literal("delete-schedule"), scheduleId: uuid }),
  z.object({ intent: z.literal("send-test"), scheduleId: uuid }),
  z.object({ intent: z.literal("send-now"), scheduleId: uuid }),
  z.object({ intent: z.literal("revoke-link"), linkId: uuid }),
]);

/** Handles one form post of the Reports page. Returns the message to show. */
export async function reportsAction(user: { id: string; email: string }, agencyId: string, workspaceId: string, form: FormData): Promise<string> {
  const flat = Object.fromEntries(form);
  const parsed = intentSchema.safeParse({ ...flat, templateId: flat.templateId || undefined, scheduleId: flat.scheduleId || undefined });
  if (!parsed.success) throw new InputError("Check the form", fieldErrors(parsed.error.issues));
  const input = parsed.data;
  switch (input.intent) {
    case "create-standard-template":
      await saveTemplate(user.id, workspaceId, standardTemplate());
      return "Template created.";
    case "save-template": {
      // sections: the ticked kinds, ordered by their position fields
      const sections = SECTION_KINDS.filter((k) => form.get(`section_${k}`) === "on").sort(
        (a, b) => Number(form.get(`order_${a}`) ?? 0) - Number(form.get(`order_${b}`) ?? 0),
      );
      await saveTemplate(
        user.id,
        workspaceId,
        {
          name: String(flat.name ?? ""),
          sections,
          rangePreset: String(flat.rangePreset ?? "") as never,
          compare: String(flat.compare ?? "") as never,
          commentary: String(flat.commentary ?? ""),
        },
        input.templateId,
      );
      return "Template saved.";
    }
    case "save-schedule":
      await saveSchedule(
        user.id,
        workspaceId,
        {
          templateId: String(flat.templateId ?? ""),
          name: String(flat.name ?? ""),
          frequency: String(flat.frequency ?? "") as never,
          weekday: flat.frequency === "weekly" ? (flat.weekday as never) : undefined,
          dayOfMonth: flat.frequency === "monthly" ? (flat.dayOfMonth as never) : undefined,
          hour: flat.hour as never,
          viewerIds: form.getAll("viewerIds").map(String),
          externalEmails: splitEmails(String(flat.externalEmails ?? "").slice(0, 20_000)),
          enabled: flat.enabled !== "off",
        },
        input.scheduleId,
      );
      return "Schedule saved.";
    case "delete-schedule":
      await deleteSchedule(user.id, workspaceId, input.scheduleId);
      return "Schedule deleted.";
    case "send-test": {
      await requireScheduleAccess(user.id, workspaceId, input.scheduleId);
      const { outcomes } = await runSchedule(input.scheduleId, { kind: "test", testRecipient: user.email });
      return Object.values(outcomes).includes("sent") ? `Test sent to ${user.email}.` : "The test could not be sent; see the delivery log.";
    }
    case "send-now": {
      await requireScheduleAccess(user.id, workspaceId, input.scheduleId);
      const { outcomes, plan } = await runSchedule(input.scheduleId, { kind: "manual" });
      const sent = Object.values(outcomes).filter((o) => o === "sent").length;
      const skipped = plan.deliveryIds.length - Object.values(outcomes).filter((o) => o !== "skipped").length;
      return `Sent to ${sent} recipient${sent === 1 ? "" : "s"}${skipped ? `; ${skipped} already had this period's report` : ""}.`;
    }
    case "revoke-link":
      await revokeShareLink(user.id, agencyId, input.linkId);
      return "Link revoked. It now answers “not available”.";
  }
}
