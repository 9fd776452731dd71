import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { requireAgency, requireAgencyRole } from "~/.server/auth";
import { viewerWorkspaces } from "~/.server/auth/shell";
import { expectedFailure, NotFoundError } from "~/.server/errors";
import { parseForm } from "~/.server/forms";
import { agencyOverview } from "~/.server/reporting/dashboard";
import { overviewPacing, sortByPacing } from "~/.server/alerts/views";
import { PacingBadge } from "~/components/alerts/pacing";
import { setClientArchived } from "~/.server/tenancy/clients";
import { setupChecklist } from "~/.server/tenancy/setup";
import { SetupChecklist } from "~/components/setup/checklist";
import { Delta } from "~/components/dashboard/kpi";
import { RangePicker } from "~/components/dashboard/range-picker";
import { Sparkline } from "~/components/dashboard/sparkline";
import { SyncBadge } from "~/components/dashboard/status";
import { Alert, ConfirmAction, RouteErrorAlert, ButtonLink, Card, cx, EmptyState, PageHeader } from "~/components/ui";
import { formatCount, formatDateRange, formatMetric, formatRelativeTime } from "~/utils/format";
import { LiveDot } from "~/components/live/live";
import { useLiveUpdates } from "~/hooks/useLiveUpdates";
import { realtimeConfig } from "~/.server/realtime/supabase-token";
import { useCarriedQuery } from "~/components/dashboard/carried-query";

/** This page holds its own live stream (the agency layout then opens none for the bell). */
export const handle = { liveStream: true };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role } = await requireAgency(request, params.agency);
  if (role === "viewer") {
    // a client viewer has no agency overview: their own workspace is their home
    const [ws] = await viewerWorkspaces(user.id, agency.id);
    if (!ws) throw new Response("Not found", { status: 404 });
    throw redirect(`/a/${agency.slug}/w/${ws.slug}`);
  }
  const url = new URL(request.url);
  const canManage = role === "owner" || role === "admin";
  const [view, pacing, setup] = await Promise.all([
    agencyOverview({ userId: user.id, agencyId: agency.id, url }),
    overviewPacing(user.id, agency.id),
    // the first-run checklist is for those who can do its steps
    canManage ? setupChecklist(user.id, agency) : null,
  ]);
  // pacing is sorted here (its figures come from the alerts module), the other columns by the overview
  const byPacing = url.searchParams.get("sort") === "pacing";
  const dir = url.searchParams.get("dir") === "asc" ? "asc" : "desc";
  const rows = byPacing ? sortByPacing(view.rows, pacing, dir) : view.rows;
  const query: Omit<typeof view.query, "sort"> & { sort?: string } = byPacing ? { ...view.query, sort: "pacing", dir } : view.query;
  return { ...view, rows, query, pacing, agency, canManage, setup: setup && !setup.complete ? setup : null, now: Date.now(), realtime: realtimeConfig() };
}

const archiveSchema = z.object({ intent: z.enum(["archive", "restore"]), workspaceId: z.uuid() });

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner", "admin"]);
  const form = await request.formData();
  try {
    const input = parseForm(archiveSchema, form, "Choose a client to archive or restore");
    const ws = await setClientArchived(user.id, agency.id, input.workspaceId, input.intent === "archive");
    const archived = input.intent === "archive";
    return { ok: `${ws.name} ${archived ? "archived." : "restored."}`, undo: archived ? input.workspaceId : null };
  } catch (err) {
    // A client that is gone (or never was this agency's) is the page's 404, not a form message.
    if (err instanceof NotFoundError) throw new Response("Not found", { status: 404 });
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ error: failure.error }, { status: failure.status });
  }
}

const SORTS: [string, string][] = [
  ["name", "Client"],
  ["spend", "Spend"],
  ["change", "Change"],
  ["conversions", "Conv."],
  ["cpa", "CPA"],
  ["roas", "ROAS"],
  ["pacing", "Pacing"],
];

export default function AgencyOverview() {
  const d = useLoaderData<typeof loader>();
  // opening a client keeps the range and comparison chosen here
  const carried = useCarriedQuery();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const nav = useNavigation();
  // Every client of the agency the user may see: a data event reloads the overview's numbers.
  const live = useLiveUpdates({ agency: d.agency.slug, workspaceIds: d.rows.map((r) => r.id), realtime: d.realtime });
  const base = `/a/${d.agency.slug}`;
  const sort = d.query.sort ?? "name";
  const dir = d.query.dir ?? (sort === "name" ? "asc" : "desc");
  const sortHref = (key: string) => {
    const p = new URLSearchParams(params);
    p.set("sort", key);
    p.set("dir", sort === key ? (dir === "asc" ? "desc" : "asc") : key === "name" ? "asc" : "desc");
    return `?${p}`;
  };
  const keep = { q: d.query.q, sort: d.query.sort, dir: d.query.dir, archived: d.query.archived };
  return (
    <div className={cx("space-y-6", nav.state === "loading" && nav.location?.pathname === base && "opacity-60")}>
      <PageHeader
        title="Overview"
        description={`${formatDateRange(d.range.since, d.range.until)} · every client, per currency`}
        actions={
          <div className="flex items-center gap-3 text-xs text-zinc-400">
            {/* with no client there is nothing to keep live: no "Offline" next to an empty list */}
            {d.total > 0 ? <LiveDot connected={live.connected} /> : null}
            {d.canManage ? (
              <ButtonLink to={`${base}/clients`} size="sm">
                Add client
              </ButtonLink>
            ) : null}
          </div>
        }
      />
      {d.setup ? <SetupChecklist steps={d.setup.steps} done={d.setup.done} /> : null}
      {d.notices.map((n) => (
        <Alert key={n} tone="warning">
          {n}
        </Alert>
      ))}
      {result && "error" in result ? <Alert tone="error">{result.error}</Alert> : null}
      {result && "ok" in result ? (
        <Alert tone="success">
          {result.ok}
          {result.undo ? (
            <Form method="post" preventScrollReset className="ml-2 inline">
              <input type="hidden" name="workspaceId" value={result.undo} />
              <button type="submit" name="intent" value="restore" className="font-medium underline">
                Undo
              </button>
            </Form>
          ) : null}
        </Alert>
      ) : null}

      {/* a new agency: no range or search over nothing */}
      {d.total > 0 || d.query.q ? (
        <div className="flex flex-col gap-3 lg:flex-row lg:items-end lg:justify-between">
          <RangePicker range={d.range.preset} compare={d.range.compare} since={d.range.since} until={d.range.until} keep={keep} />
          <Form method="get" role="search" className="flex gap-2">
            {Object.entries({
              range: params.get("range"),
              compare: params.get("compare"),
              since: params.get("since"),
              until: params.get("until"),
              sort: d.query.sort,
              dir: d.query.dir,
              archived: d.query.archived,
            }).map(([k, v]) => (v ? <input key={k} type="hidden" name={k} value={v} /> : null))}
            <label htmlFor="client-search" className="sr-only">
              Search clients
            </label>
            <input
              id="client-search"
              type="search"
              name="q"
              defaultValue={d.query.q ?? ""}
              placeholder="Search clients"
              className="w-full rounded-lg border border-zinc-700 bg-zinc-900 px-3 py-1.5 text-sm text-zinc-100 placeholder:text-zinc-500 lg:w-56"
            />
            <button type="submit" className="rounded-lg border border-zinc-700 px-3 text-sm text-zinc-300 hover:bg-zinc-800">
              Search
            </button>
          </Form>
        </div>
      ) : null}

      {d.totals.length > 0 ? (
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Totals by currency">
          {d.totals.map((t) => (
            <Card key={t.currency} className="p-4" data-total-currency={t.currency} data-value={t.spend}>
              <p className="text-xs font-medium uppercase tracking-wide text-zinc-400">
                {t.currency} · {t.clients} {t.clients === 1 ? "client" : "clients"}
              </p>
              <p className="mt-1 text-2xl font-semibold tabular-nums text-zinc-50">{formatMetric("spend", t.spend, t.currency)}</p>
              <p className="mt-1 flex flex-wrap gap-x-3 text-xs text-zinc-400">
                {t.change ? <Delta value={t.change.spend} inverted={false} /> : null}
                <span>{formatCount(t.conversions)} conv.</span>
                <span>CPA {formatMetric("cpa", t.cpa, t.currency)}</span>
                <span>ROAS {formatMetric("roas", t.roas, t.currency)}</span>
              </p>
            </Card>
          ))}
        </div>
      ) : null}

      {d.rows.length === 0 ? (
        <EmptyState
          title={d.query.q ? `No client matches “${d.query.q}”` : "No clients yet"}
          action={d.canManage && !d.query.q ? <ButtonLink to={`${base}/clients`}>Add client</ButtonLink> : undefined}
        >
          {d.query.q ? null : "Add a client, then connect its Meta ad accounts."}
        </EmptyState>
      ) : (
        <div className="relative overflow-x-auto rounded-xl border border-zinc-800">
          <table className="min-w-full text-sm" data-testid="overview-table">
            <thead className="border-b border-zinc-800 bg-zinc-900 text-xs text-zinc-400">
              <tr>
                {SORTS.map(([key, label]) => (
                  <th
                    key={key}
                    scope="col"
                    aria-sort={sort === key ? (dir === "asc" ? "ascending" : "descending") : undefined}
                    className={cx("whitespace-nowrap px-3 py-2 font-medium", key === "name" ? "text-left" : "text-right")}
                  >
                    <Link to={sortHref(key)} preventScrollReset className="hover:text-zinc-100" data-sort={key}>
                      {label} <span aria-hidden="true">{sort === key ? (dir === "asc" ? "↑" : "↓") : ""}</span>
                    </Link>
                  </th>
                ))}
                <th scope="col" className="px-3 py-2 text-left font-medium">
                  Trend
                </th>
                <th scope="col" className="px-3 py-2 text-left font-medium">
                  Status
                </th>
                <th scope="col" className="whitespace-nowrap px-3 py-2 text-left font-medium">
                  Last synced
                </th>
                {d.canManage ? (
                  <th scope="col" className="px-3 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-800/70">
              {d.rows.map((r) => {
                const lines = r.lines.length ? r.lines : [null];
                return lines.map((l, i) => (
                  <tr key={`${r.id}-${l?.currency ?? "none"}`} className="hover:bg-zinc-900/60" data-client={r.slug}>
                    <th scope="row" className="max-w-[14rem] px-3 py-2 text-left font-normal">
                      {i === 0 ? (
                        <Link to={`${base}/w/${r.slug}${carried}`} className="block truncate font-medium text-zinc-100 hover:text-blue-300">
                          {r.name}
                        </Link>
                      ) : (
                        // a second currency of the same client: named, so the row reads on its own
                        <span className="block truncate text-zinc-400" data-currency-line={l?.currency}>
                          {r.name}
                        </span>
                      )}
                      {r.lines.length > 1 && l ? <span className="text-xs text-zinc-400"> {l.currency}</span> : null}
                      {i === 0 && r.archived ? <span className="text-xs text-zinc-500">Archived</span> : null}
                    </th>
                    <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums text-zinc-200" data-value={l?.spend ?? ""}>
                      {l ? formatMetric("spend", l.spend, l.currency) : "—"}
                    </td>
                    <td className="whitespace-nowrap px-3 py-2 text-right text-xs">{l ? <Delta value={l.change.spend} inverted={false} /> : "—"}</td>
                    <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums text-zinc-300">{l ? formatCount(l.conversions) : "—"}</td>
                    <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums text-zinc-300">{l ? formatMetric("cpa", l.cpa, l.currency) : "—"}</td>
                    <td className="whitespace-nowrap px-3 py-2 text-right tabular-nums text-zinc-300">{l ? formatMetric("roas", l.roas, l.currency) : "—"}</td>
                    <td className="whitespace-nowrap px-3 py-2 text-right" data-testid="pacing-cell">
                      {l ? <PacingBadge line={d.pacing[r.id]?.find((p) => p.currency === l.currency)} /> : "—"}
                    </td>
                    <td className="px-3 py-1">{l ? <Sparkline values={l.sparkline} label={`Daily spend of ${r.name}`} /> : null}</td>
                    <td className="whitespace-nowrap px-3 py-2">{i === 0 ? <SyncBadge state={r.state} /> : null}</td>
                    <td className="whitespace-nowrap px-3 py-2 text-xs text-zinc-400" data-last-synced>
                      {/* during a first import the numbers already fill in: say so, not "never" */}
                      {i !== 0
                        ? null
                        : r.lastSyncedAt
                          ? formatRelativeTime(r.lastSyncedAt, d.now)
                          : r.state.kind === "syncing"
                            ? "First import running"
                            : "Not yet"}
                    </td>
                    {d.canManage ? (
                      <td className="whitespace-nowrap px-3 py-2 text-right">
                        {i === 0 ? (
                          <Form method="post" preventScrollReset>
                            <input type="hidden" name="workspaceId" value={r.id} />
                            {r.archived ? (
                              <button
                                type="submit"
                                name="intent"
                                value="restore"
                                className="rounded-md px-2 py-1 text-xs text-zinc-400 hover:bg-zinc-800 hover:text-zinc-100"
                              >
                                Restore<span className="sr-only"> {r.name}</span>
                              </button>
                            ) : (
                              <ConfirmAction
                                label="Archive"
                                srLabel={r.name}
                                title={`Archive ${r.name}?`}
                                confirmLabel="Archive client"
                                value="archive"
                                testId={`archive-${r.slug}`}
                                triggerClassName="rounded-md px-2 py-1 text-xs text-zinc-400 hover:bg-zinc-800 hover:text-zinc-100"
                              >
                                Syncing stops and the client leaves this list. Its numbers stay, and you can restore it at any time.
                              </ConfirmAction>
                            )}
                          </Form>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ));
              })}
            </tbody>
          </table>
        </div>
      )}
      <p className={cx("text-xs text-zinc-500", d.total === 0 && !d.query.archived && "hidden")}>
        {d.rows.length} of {d.total} clients shown. Money is never added across currencies.{" "}
        {d.query.archived ? (
          <Link to={`?${new URLSearchParams([...params.entries()].filter(([k]) => k !== "archived"))}`} className="text-blue-400 underline hover:text-blue-300">
            Hide archived
          </Link>
        ) : (
          <Link to={`?${new URLSearchParams([...params.entries(), ["archived", "1"]])}`} className="text-blue-400 underline hover:text-blue-300">
            Show archived
          </Link>
        )}
      </p>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorAlert notFound="This agency does not exist, or you do not have access to it." failed="The overview could not be loaded" />;
}
