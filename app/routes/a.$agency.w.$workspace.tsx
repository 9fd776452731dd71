import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { requireWorkspace } from "~/.server/auth";
import { viewerBranding } from "~/.server/reports/branding";
import { RouteErrorAlert, Badge, cx } from "~/components/ui";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.workspace.name} · Spendlane` : "Spendlane" }];

// The client workspace frame: name, sub-navigation. Viewers see only the dashboard; 404 for anyone
// RLS does not show the workspace to (requireWorkspace looks it up under asUser).
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role, workspace, canManage } = await requireWorkspace(request, params.agency, params.workspace);
  return {
    // client viewers see their agency's white label (issue 15)
    brand: await viewerBranding(user.id, agency.id, role),
    agency: { slug: agency.slug, name: agency.name },
    workspace: { slug: workspace.slug, name: workspace.name, archived: workspace.archivedAt != null },
    role,
    canManage,
  };
}

const tab = ({ isActive }: { isActive: boolean }) =>
  cx("whitespace-nowrap rounded-md px-3 py-1.5 text-sm", isActive ? "bg-zinc-800 text-zinc-50" : "text-zinc-400 hover:bg-zinc-900 hover:text-zinc-100");

export default function WorkspaceLayout() {
  const { agency, workspace, role, canManage, brand } = useLoaderData<typeof loader>();
  const base = `/a/${agency.slug}/w/${workspace.slug}`;
  return (
    <div>
      {brand ? (
        <div className="mb-4 flex items-center gap-3 border-l-4 pl-3" style={{ borderColor: brand.color }} data-testid="viewer-brand">
          {brand.logo ? <img src={brand.logo} alt={brand.name} className="h-8 max-w-[140px] rounded bg-white object-contain p-0.5" /> : null}
          <span className="text-sm font-medium text-zinc-200">{brand.name}</span>
        </div>
      ) : null}
      <div className="mb-5 flex flex-wrap items-center gap-x-4 gap-y-2">
        {role !== "viewer" ? (
          <Link to={`/a/${agency.slug}`} className="text-sm text-zinc-500 hover:text-zinc-300">
            ← All clients
          </Link>
        ) : null}
        <h1 className="min-w-0 truncate text-2xl font-semibold tracking-tight text-zinc-50">{workspace.name}</h1>
        {workspace.archived ? <Badge>Archived</Badge> : null}
        {role === "viewer" ? <Badge tone="blue">Read-only</Badge> : null}
        {role !== "viewer" ? (
          <nav aria-label="Client" className="ml-auto flex gap-1 overflow-x-auto">
            <NavLink to={base} end className={tab}>
              Dashboard
            </NavLink>
            <NavLink to={`${base}/alerts`} className={tab}>
              Goals &amp; alerts
            </NavLink>
            <NavLink to={`${base}/connections`} className={tab}>
              Connections
            </NavLink>
            <NavLink to={`${base}/reports`} className={tab}>
              Reports
            </NavLink>
            {canManage ? (
              <NavLink to={`${base}/settings`} className={tab}>
                Settings
              </NavLink>
            ) : null}
          </nav>
        ) : null}
      </div>
      <Outlet />
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorAlert notFound="This client does not exist, or you do not have access to it." failed="This client could not be loaded" />;
}
