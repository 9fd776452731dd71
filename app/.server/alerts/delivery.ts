/**
 * Who hears about an alert, and the emails (through the mail module, so without SMTP they land in
 * the outbox). Rules (ADR 0100):
 * - agency staff (owner, admin, member) get every client's alerts, or only the clients they follow
 *   when their scope is "followed";
 * - client viewers get nothing, unless the agency opted viewers into budget alerts: then the budget
 *   alerts (projected over/underspend) of the workspaces they view;
 * - per rule, each person chooses immediately / daily digest at an hour / off (defaults in rules.ts).
 * Each alert reaches each person at most once per channel (private.alert_deliveries).
 */
import { TZDate } from "@date-fns/tz";
import { asService, type Tx } from "../db/connection";
import { logger } from "../logger";
import { appBaseUrl, sendMail } from "../mail";
import { alertDigestMail, alertMail, type MailAlert } from "./mail";
import { BUDGET_RULES, DEFAULT_DELIVERY, type Rule } from "./rules";

const log = logger.child({ module: "alerts.delivery" });

export type Delivery = "immediate" | "digest" | "off";

interface Recipient {
  user_id: string;
  email: string;
  agency_id: string;
  workspace_id: string;
  viewer: boolean;
  scope: "all" | "followed";
  follows: boolean;
  delivery: Delivery | null;
}

type AlertRow = MailAlert & { id: string; agency_id: string; workspace_id: string };

/** The people an alert may go to, with their settings for its rule. */
async function recipients(tx: Tx, alert: AlertRow): Promise<Recipient[]> {
  const budget = (BUDGET_RULES as string[]).includes(alert.rule);
  return tx<Recipient[]>`
    with people as (
      select m.user_id, false as viewer from public.agency_members m where m.agency_id = ${alert.agency_id}
      union
      select v.user_id, true from public.workspace_viewers v
      join public.agency_alert_settings s on s.agency_id = v.agency_id and s.viewers_get_budget_alerts
      where v.workspace_id = ${alert.workspace_id} and ${budget}
        and not exists (select 1 from public.agency_members m2 where m2.agency_id = v.agency_id and m2.user_id = v.user_id)
    )
    select p.user_id, u.email, ${alert.agency_id}::uuid as agency_id, ${alert.workspace_id}::uuid as workspace_id, p.viewer,
           coalesce(st.scope, 'all') as scope,
           exists (select 1 from public.alert_follows f where f.user_id = p.user_id and f.workspace_id = ${alert.workspace_id}) as follows,
           pr.delivery
    from people p
    join public.users u on u.id = p.user_id
    left join public.alert_user_settings st on st.user_id = p.user_id and st.agency_id = ${alert.agency_id}
    left join public.alert_rule_preferences pr on pr.user_id = p.user_id and pr.agency_id = ${alert.agency_id} and pr.rule = ${alert.rule}`;
}

/** The channel a recipient wants for a rule, or null when they should not get it at all. */
export function channelFor(r: Pick<Recipient, "viewer" | "scope" | "follows" | "delivery">, rule: Rule): Delivery {
  // a viewer sees only their own workspace, so "followed" does not apply to them
  if (!r.viewer && r.scope === "followed" && !r.follows) return "off";
  return r.delivery ?? DEFAULT_DELIVERY[rule];
}

async function loadAlerts(tx: Tx, ids: string[]): Promise<AlertRow[]> {
  return tx<AlertRow[]>`
    select x.id, x.agency_id, x.workspace_id, x.rule, x.message, x.link, x.subject_label as "subjectLabel", x.opened_at as "openedAt",
           x.resolved_at as "resolvedAt", w.name as "workspaceName", a.name as "agencyName"
    from public.alerts x join public.workspaces w on w.id = x.workspace_id join public.agencies a on a.id = x.agency_id
    where x.id = any(${ids}::uuid[]) order by x.opened_at`;
}

/** Claims a delivery (alert, user, channel); false when it was already sent. */
async function claim(tx: Tx, alertId: string, userId: string, channel: "immediate" | "digest"): Promise<boolean> {
  const r = await tx`insert into private.alert_deliveries (alert_id, user_id, channel) values (${alertId}, ${userId}, ${channel})
    on conflict do nothing returning 1`;
  return r.length > 0;
}

/** Emails newly opened alerts to everyone who chose "immediately" for their rule. */
export async function deliverImmediate(alertIds: string[]): Promise<number> {
  if (alertIds.length === 0) return 0;
  const base = appBaseUrl();
  const plan = await asService(async (tx) => {
    const out: { to: string; alert: AlertRow; userId: string }[] = [];
    for (const alert of await loadAlerts(tx, alertIds)) {
      if (alert.resolvedAt) continue;
      for (const r of await recipients(tx, alert)) {
        if (channelFor(r, alert.rule) !== "immediate") continue;
        if (await claim(tx, alert.id, r.user_id, "immediate")) out.push({ to: r.email, alert, userId: r.user_id });
      }
    }
    return out;
  });
  let sent = 0;
  for (const p of plan) {
    try {
      await sendMail(p.to, alertMail(p.alert, base));
      sent++;
    } catch (err) {
      // not sent: release the claim so the next evaluation or the digest can try again
      log.error({ err, alertId: p.alert.id }, "alert email not sent");
      await asService((tx) => tx`delete from private.alert_deliveries where alert_id = ${p.alert.id} and user_id = ${p.userId} and channel = 'immediate'`);
    }
  }
  return sent;
}

function hourIn(timezone: string, now: Date): number {
  try {
    return new TZDate(now.getTime(), timezone).getHours();
  } catch {
    return now.getUTCHours();
  }
}

/**
 * Sends the daily digests that are due: for each person whose digest hour (in their time zone) is
 * the current hour and who had no digest in the last 20 hours, the alerts of the last 7 days that
 * they get by digest and have not had yet. `force` ignores the hour (CLI, tests).
 */
export async function sendDueDigests(opts: { now?: Date; force?: boolean; agencyId?: string } = {}): Promise<{ sent: number; alerts: number }> {
  const now = opts.now ?? new Date();
  const base = appBaseUrl();
  const people = await asService(
    (tx) => tx<{ user_id: string; agency_id: string; digest_hour: number | null; digest_timezone: string | null; last_digest_at: Date | null }[]>`
    with people as (
      select m.user_id, m.agency_id from public.agency_members m
      union
      select v.user_id, v.agency_id from public.workspace_viewers v
      join public.agency_alert_settings s on s.agency_id = v.agency_id and s.viewers_get_budget_alerts
    )
    select p.user_id, p.agency_id, st.digest_hour, st.digest_timezone, st.last_digest_at
    from people p left join public.alert_user_settings st on st.user_id = p.user_id and st.agency_id = p.agency_id
    where (${opts.agencyId ?? null}::uuid is null or p.agency_id = ${opts.agencyId ?? null}::uuid)
      and exists (select 1 from public.alerts x where x.agency_id = p.agency_id and x.opened_at > ${now.toISOString()}::timestamptz - interval '7 days')`,
  );
  let sent = 0;
  let alerts = 0;
  for (const p of people) {
    const due =
      opts.force ||
      (hourIn(p.digest_timezone ?? "UTC", now) === (p.digest_hour ?? 8) && (!p.last_digest_at || now.getTime() - p.last_digest_at.getTime() > 20 * 3600_000));
    if (!due) continue;
    const batch = await asService(async (tx) => {
      const candidates = await tx<{ id: string }[]>`
        select x.id from public.alerts x
        where x.agency_id = ${p.agency_id} and x.opened_at > ${now.toISOString()}::timestamptz - interval '7 days'
          and not exists (select 1 from private.alert_deliveries d where d.alert_id = x.id and d.user_id = ${p.user_id} and d.channel = 'digest')
        order by x.opened_at`;
      const picked: { to: string; alert: AlertRow }[] = [];
      for (const alert of await loadAlerts(
        tx,
        candidates.map((c) => c.id),
      )) {
        const r = (await recipients(tx, alert)).find((x) => x.user_id === p.user_id);
        if (!r || channelFor(r, alert.rule) !== "digest") continue;
        if (await claim(tx, alert.id, p.user_id, "digest")) picked.push({ to: r.email, alert });
      }
      if (picked.length) {
        await tx`insert into public.alert_user_settings (user_id, agency_id, last_digest_at) values (${p.user_id}, ${p.agency_id}, ${now.toISOString()})
          on conflict (user_id, agency_id) do update set last_digest_at = excluded.last_digest_at`;
      }
      return picked;
    });
    if (batch.length === 0) continue;
    try {
      await sendMail(
        batch[0]!.to,
        alertDigestMail(
          batch.map((b) => b.alert),
          base,
        ),
      );
      sent++;
      alerts += batch.length;
    } catch (err) {
      log.error({ err, userId: p.user_id }, "alert digest not sent");
      await asService(
        (tx) =>
          tx`delete from private.alert_deliveries where user_id = ${p.user_id} and channel = 'digest' and alert_id = any(${batch.map((b) => b.alert.id)}::uuid[])`,
      );
    }
  }
  return { sent, alerts };
}
