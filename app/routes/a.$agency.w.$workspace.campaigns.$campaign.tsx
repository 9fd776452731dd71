import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireWorkspace } from "~/.server/auth";
import { drillPage } from "~/.server/reporting/drill-pages";
import { DrillPage } from "~/components/dashboard/drill-page";
import { RouteErrorAlert } from "~/components/ui";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.object.name} · Spendlane` : "Spendlane" }];

// The campaign page: its ad sets and the audience of the same scope; read-only for everyone who may see the
// workspace (viewers included). Another tenant's id is a 404 (RLS).
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, workspace } = await requireWorkspace(request, params.agency, params.workspace);
  const view = await drillPage({ userId: user.id, workspaceId: workspace.id, kind: "campaign", id: params.campaign ?? "", url: new URL(request.url) });
  return { ...view, agencySlug: agency.slug, workspaceSlug: workspace.slug };
}

export default function CampaignPage() {
  const d = useLoaderData<typeof loader>();
  return <DrillPage d={d} />;
}

export function ErrorBoundary() {
  return <RouteErrorAlert notFound="This campaign does not exist in this client, or you do not have access to it." failed="This page could not be loaded" />;
}
