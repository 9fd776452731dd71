import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, NavLink, Outlet, useLoaderData, useMatches, useRouteError, useRouteLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { listMyAgencies, requireAgency } from "~/.server/auth";
import { viewerWorkspaces } from "~/.server/auth/shell";
import { getBillingBanner } from "~/.server/billing/banner";
import { openAlertCount } from "~/.server/alerts/service";
import { AlertBell } from "~/components/alerts/bell";
import { useLiveUpdates } from "~/hooks/useLiveUpdates";
import { BillingBanner } from "~/components/billing/BillingBanner";
import { Badge, ErrorPanel, Logo, cx, navItemsFor } from "~/components/ui";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.agency.name} · Spendlane` : "Spendlane" }];

// Members and client viewers of one of this agency's workspaces get in; everyone else gets 404.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role } = await requireAgency(request, params.agency);
  const [agencies, workspaces, alertCount] = await Promise.all([
    listMyAgencies(user.id),
    role === "viewer" ? viewerWorkspaces(user.id, agency.id) : Promise.resolve([]),
    openAlertCount(user.id, agency.id),
  ]);
  return {
    user: { name: user.name, email: user.email },
    agency,
    role,
    agencies: agencies.map((a) => ({ slug: a.slug, name: a.name, role: a.role })),
    viewerWorkspaces: workspaces,
    alertCount,
    billingBanner: role === "viewer" ? null : await getBillingBanner(user.id, agency.id),
  };
}

const navClass = ({ isActive }: { isActive: boolean }) =>
  cx(
    "whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium transition-colors",
    isActive ? "bg-zinc-800 text-zinc-50" : "text-zinc-400 hover:bg-zinc-900 hover:text-zinc-100",
  );

type LayoutData = Awaited<ReturnType<typeof loader>>;

export default function AgencyLayout() {
  const data = useLoaderData<typeof loader>();
  // The bell counts live on every page: pages with their own live stream revalidate this loader
  // too; on the others (team, clients, settings…) the layout listens to the agency's stream itself.
  const pageStreams = useMatches().some((m) => (m.handle as { liveStream?: boolean } | undefined)?.liveStream);
  useLiveUpdates({ agency: pageStreams || (data.role === "viewer" && data.alertCount === 0) ? undefined : data.agency.slug });
  return (
    <Shell data={data}>
      <Outlet />
    </Shell>
  );
}

/**
 * Errors of the pages inside the agency keep the shell (navigation, agency switcher, log out);
 * when the layout's own loader failed (404 for other tenants) there is no shell to show.
 */
export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof loader>("routes/a.$agency");
  if (!data) {
    return (
      <main className="flex min-h-screen items-center justify-center px-4">
        <ErrorPanel error={error} />
      </main>
    );
  }
  return (
    <Shell data={data}>
      <ErrorPanel error={error} homeHref={`/a/${data.agency.slug}`} homeLabel={`Back to ${data.agency.name}`} />
    </Shell>
  );
}

function Shell({ data, children }: { data: LayoutData; children: ReactNode }) {
  const { user, agency, role, agencies, viewerWorkspaces, billingBanner, alertCount } = data;
  const base = `/a/${agency.slug}`;
  const items =
    role === "viewer"
      ? viewerWorkspaces.map((w) => ({ label: w.name, to: `${base}/w/${w.slug}`, end: false }))
      : navItemsFor(role).map((i) => ({ label: i.label, to: i.path ? `${base}/${i.path}` : base, end: i.end ?? false }));
  return (
    <div className="min-h-screen">
      <header className="border-b border-zinc-800 bg-zinc-950/80 backdrop-blur">
        <div className="mx-auto flex max-w-7xl items-center gap-3 px-4 py-3 sm:px-6">
          <Link to={base} className="shrink-0" aria-label="Spendlane home">
            <Logo />
          </Link>
          <AgencySwitcher current={agency} agencies={agencies} />
          {role === "viewer" ? (
            <Badge tone="blue" className="shrink-0 whitespace-nowrap">
              Client view
            </Badge>
          ) : null}
          <div className="ml-auto flex shrink-0 items-center gap-2">
            {role !== "viewer" || alertCount > 0 ? <AlertBell count={alertCount} href={`${base}/alerts`} /> : null}
            <UserMenu user={user} />
          </div>
        </div>
        <nav aria-label="Agency" className="mx-auto flex max-w-7xl flex-wrap gap-1 px-4 pb-2 sm:px-6">
          {items.map((i) => (
            <NavLink key={i.to} to={i.to} end={i.end} prefetch="intent" className={navClass}>
              {i.label}
            </NavLink>
          ))}
        </nav>
      </header>
      <BillingBanner banner={billingBanner} agencySlug={agency.slug} isOwner={role === "owner"} />
      <main className="mx-auto max-w-7xl px-4 py-6 sm:px-6 sm:py-8">{children}</main>
    </div>
  );
}

/** A disclosure menu (native <details>): works without JavaScript and with the keyboard. */
function AgencySwitcher({ current, agencies }: { current: { slug: string; name: string }; agencies: { slug: string; name: string; role: string }[] }) {
  // the agency name wraps rather than truncates: on a phone it is the page's context
  if (agencies.length <= 1)
    return (
      <span className="min-w-0 text-sm font-semibold leading-tight text-zinc-100 [overflow-wrap:anywhere]" data-agency-name>
        {current.name}
      </span>
    );
  return (
    <details className="relative min-w-0">
      <summary className="flex cursor-pointer list-none items-center gap-1 rounded-md px-2 py-1 text-sm font-semibold text-zinc-100 hover:bg-zinc-900">
        <span className="leading-tight [overflow-wrap:anywhere]" data-agency-name>
          {current.name}
        </span>
        <span aria-hidden="true" className="text-zinc-500">
          ▾
        </span>
        <span className="sr-only">Switch agency</span>
      </summary>
      <ul className="absolute left-0 z-20 mt-1 w-64 rounded-lg border border-zinc-800 bg-zinc-900 p-1 shadow-xl">
        {agencies.map((a) => (
          <li key={a.slug}>
            <Link
              to={`/a/${a.slug}`}
              aria-current={a.slug === current.slug ? "page" : undefined}
              className={cx(
                "flex items-center justify-between rounded-md px-3 py-2 text-sm hover:bg-zinc-800",
                a.slug === current.slug ? "text-zinc-50" : "text-zinc-300",
              )}
            >
              <span className="truncate">{a.name}</span>
              <span className="ml-2 text-xs text-zinc-400">{a.role}</span>
            </Link>
          </li>
        ))}
      </ul>
    </details>
  );
}

/**
 * The signed-in person: a disclosure menu (native <details>, like the agency switcher) with the
 * account page, its sessions, and log out. On a phone only the initials show.
 */
function UserMenu({ user }: { user: { name: string | null; email: string } }) {
  const label = user.name ?? user.email;
  const initials = label
    .split(/[\s@.]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
  const item = "block rounded-md px-3 py-2 text-sm text-zinc-200 hover:bg-zinc-800";
  return (
    <details className="relative" data-user-menu>
      <summary className="flex cursor-pointer list-none items-center gap-2 rounded-md px-1.5 py-1 text-sm text-zinc-300 hover:bg-zinc-900 [&::-webkit-details-marker]:hidden">
        <span aria-hidden="true" className="flex h-7 w-7 items-center justify-center rounded-full bg-zinc-800 text-xs font-semibold text-zinc-100">
          {initials}
        </span>
        <span className="hidden max-w-[12rem] truncate sm:inline">{label}</span>
        <span className="sr-only">Account menu for {label}</span>
      </summary>
      <div className="absolute right-0 z-30 mt-1 w-60 rounded-lg border border-zinc-800 bg-zinc-900 p-1 shadow-xl">
        <p className="px-3 py-2 text-xs text-zinc-400 [overflow-wrap:anywhere]">
          Signed in as <span className="text-zinc-200">{user.email}</span>
        </p>
        <Link to="/account" className={item}>
          Account settings
        </Link>
        <Link to="/account#sessions" className={item}>
          Sessions
        </Link>
        <Form method="post" action="/logout">
          <button type="submit" className={cx(item, "w-full text-left")}>
            Log out
          </button>
        </Form>
      </div>
    </details>
  );
}
