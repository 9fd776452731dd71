import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireAgency } from "~/.server/auth";
import { listAlerts, parseAlertFilter, visibleClients } from "~/.server/alerts/service";
import { RULES, RULE_LABELS } from "~/.server/alerts/rules";
import { AlertFilters, AlertList } from "~/components/alerts/alert-list";
import { LiveDot } from "~/components/live/live";
import { PageHeader, RouteErrorAlert } from "~/components/ui";
import { useLiveUpdates } from "~/hooks/useLiveUpdates";

export const meta: MetaFunction = () => [{ title: "Alerts · Spendlane" }];

// Every alert of the agency the person may see: staff all clients, opted-in client viewers the
// budget alerts of their own workspace (RLS decides).
export const handle = { liveStream: true };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role } = await requireAgency(request, params.agency);
  const filter = parseAlertFilter(new URL(request.url));
  const [alerts, clients] = await Promise.all([
    listAlerts(user.id, agency.id, filter),
    role === "viewer" ? Promise.resolve([]) : visibleClients(user.id, agency.id),
  ]);
  return { agency, filter, alerts, clients, isStaff: role !== "viewer", rules: RULES.map((r) => ({ value: r, label: RULE_LABELS[r] })) };
}

export default function AgencyAlerts() {
  const d = useLoaderData<typeof loader>();
  const live = useLiveUpdates({ agency: d.agency.slug });
  return (
    <div className="space-y-6">
      <PageHeader
        title="Alerts"
        description="Opened when new data arrives; resolved by themselves when the condition clears."
        actions={
          <div className="flex items-center gap-3 text-xs text-zinc-400">
            <LiveDot connected={live.connected} />
            {d.isStaff ? (
              <Link to={`/a/${d.agency.slug}/alerts/settings`} className="text-sm text-blue-400 hover:underline">
                Email settings
              </Link>
            ) : null}
          </div>
        }
      />
      <AlertFilters filter={d.filter} rules={d.rules} clients={d.isStaff ? d.clients : undefined} />
      <AlertList alerts={d.alerts} />
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorAlert notFound="This agency does not exist, or you do not have access to it." failed="The alerts could not be loaded" />;
}
