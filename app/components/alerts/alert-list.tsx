/**
 * The alerts table (agency and client pages): status, rule, client, what happened, when it opened
 * and cleared, and the link to where to act. Filters are a plain GET form (works without JavaScript).
 */
import { Form, Link } from "@remix-run/react";
import { Badge, EmptyState } from "~/components/ui";

export interface AlertItem {
  id: string;
  rule: string;
  ruleLabel: string;
  workspaceSlug: string;
  workspaceName: string;
  subjectLabel: string;
  message: string;
  link: string;
  openedAt: string;
  resolvedAt: string | null;
}

const timeFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const when = (iso: string) => `${timeFmt.format(new Date(iso))} UTC`;

export function AlertFilters({
  filter,
  rules,
  clients,
}: {
  filter: { status: string; rule?: string; client?: string };
  rules: { value: string; label: string }[];
  clients?: { slug: string; name: string }[];
}) {
  const select = "rounded-lg border border-zinc-700 bg-zinc-900 px-2 py-1.5 text-sm text-zinc-100";
  return (
    <Form method="get" className="flex flex-wrap items-end gap-3" aria-label="Filter alerts">
      <label className="text-xs text-zinc-400">
        Status
        <select name="status" defaultValue={filter.status} className={`${select} ml-2`}>
          <option value="open">Open</option>
          <option value="resolved">Resolved</option>
          <option value="all">All</option>
        </select>
      </label>
      <label className="text-xs text-zinc-400">
        Rule
        <select name="rule" defaultValue={filter.rule ?? ""} className={`${select} ml-2`}>
          <option value="">Any rule</option>
          {rules.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {clients ? (
        <label className="text-xs text-zinc-400">
          Client
          <select name="client" defaultValue={filter.client ?? ""} className={`${select} ml-2`}>
            <option value="">Every client</option>
            {clients.map((c) => (
              <option key={c.slug} value={c.slug}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <button type="submit" className="rounded-lg border border-zinc-700 px-3 py-1.5 text-sm text-zinc-300 hover:bg-zinc-800">
        Apply
      </button>
    </Form>
  );
}

export function AlertList({ alerts, showClient = true }: { alerts: AlertItem[]; showClient?: boolean }) {
  if (alerts.length === 0) return <EmptyState title="No alerts match">Alerts open here when a client needs attention.</EmptyState>;
  return (
    <ul className="divide-y divide-zinc-800 rounded-xl border border-zinc-800" aria-label="Alerts">
      {alerts.map((a) => (
        <li
          key={a.id}
          className="flex flex-col gap-2 p-4 sm:flex-row sm:items-start"
          data-testid="alert-row"
          data-rule={a.rule}
          data-status={a.resolvedAt ? "resolved" : "open"}
        >
          <div className="shrink-0 sm:w-44">
            {a.resolvedAt ? <Badge>Resolved</Badge> : <Badge tone="red">Open</Badge>}
            <p className="mt-1 text-sm font-medium text-zinc-200">{a.ruleLabel}</p>
          </div>
          <div className="min-w-0 flex-1">
            <p className="text-sm text-zinc-100">{a.message}</p>
            <p className="mt-1 text-xs text-zinc-500">
              {showClient ? <>{a.workspaceName} · </> : null}
              {a.subjectLabel} · opened {when(a.openedAt)}
              {a.resolvedAt ? ` · resolved ${when(a.resolvedAt)}` : ""}
            </p>
          </div>
          <Link to={a.link} className="shrink-0 text-sm text-blue-400 hover:underline" data-testid="alert-link">
            Open{" "}
            <span className="sr-only">
              {a.ruleLabel} for {a.workspaceName}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
