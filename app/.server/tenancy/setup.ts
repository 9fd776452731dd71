/**
 * The first-run checklist of an agency's overview: add a client → connect Meta → attach ad accounts →
 * first numbers → invite the client → schedule a report. Every step is read from the agency's real
 * rows under RLS (nothing is stored about the checklist itself), so it cannot drift from what the
 * agency has done and disappears by itself once every step is done. Each open step links to the
 * client workspace where it is done next (the first active client lacking it).
 */
import { asUser } from "../db/connection";

export type SetupStepKey = "client" | "meta" | "accounts" | "numbers" | "invite" | "report";

export interface SetupStep {
  key: SetupStepKey;
  label: string;
  done: boolean;
  /** where to do it (absent when done, or when an earlier step must come first) */
  href?: string;
}

export interface SetupChecklist {
  steps: SetupStep[];
  done: number;
  complete: boolean;
}

interface Row {
  id: string;
  slug: string;
  has_connection: boolean;
  has_accounts: boolean;
  has_numbers: boolean;
  has_viewer: boolean;
  has_schedule: boolean;
}

export async function setupChecklist(userId: string, agency: { id: string; slug: string }): Promise<SetupChecklist> {
  const rows = await asUser(
    userId,
    (tx) => tx<Row[]>`
    select w.id, w.slug,
      exists (select 1 from public.meta_connections c where c.workspace_id = w.id and c.status <> 'disconnected') as has_connection,
      exists (select 1 from public.ad_accounts a where a.workspace_id = w.id) as has_accounts,
      exists (select 1 from public.insights_daily d where d.workspace_id = w.id) as has_numbers,
      (exists (select 1 from public.workspace_viewers v where v.workspace_id = w.id)
        or exists (select 1 from public.invitations i where i.workspace_id = w.id and i.revoked_at is null)) as has_viewer,
      exists (select 1 from public.report_schedules s where s.workspace_id = w.id) as has_schedule
    from public.workspaces w
    where w.agency_id = ${agency.id} and w.archived_at is null
    order by w.created_at, w.slug`,
  );
  const base = `/a/${agency.slug}`;
  const ws = (path: string, has: (r: Row) => boolean, after?: (r: Row) => boolean) => {
    const r = rows.find((x) => !has(x) && (!after || after(x)));
    return r ? `${base}/w/${r.slug}${path}` : undefined;
  };
  const any = (f: (r: Row) => boolean) => rows.some(f);
  const steps: SetupStep[] = [
    { key: "client", label: "Add a client", done: rows.length > 0, href: `${base}/clients` },
    { key: "meta", label: "Connect Meta", done: any((r) => r.has_connection), href: ws("/connections", (r) => r.has_connection) },
    {
      key: "accounts",
      label: "Attach ad accounts",
      done: any((r) => r.has_accounts),
      href: ws(
        "/connections",
        (r) => r.has_accounts,
        (r) => r.has_connection,
      ),
    },
    {
      key: "numbers",
      label: "See the first numbers",
      done: any((r) => r.has_numbers),
      href: ws(
        "",
        (r) => r.has_numbers,
        (r) => r.has_accounts,
      ),
    },
    { key: "invite", label: "Invite the client", done: any((r) => r.has_viewer), href: ws("/settings", (r) => r.has_viewer) },
    // reports need numbers to show: offered once a client has them
    {
      key: "report",
      label: "Schedule a report",
      done: any((r) => r.has_schedule),
      href: ws(
        "/reports",
        (r) => r.has_schedule,
        (r) => r.has_numbers,
      ),
    },
  ];
  for (const s of steps) if (s.done) delete s.href;
  const done = steps.filter((s) => s.done).length;
  return { steps, done, complete: done === steps.length };
}
