import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { forbidden, notFound, requireWorkspace, type WorkspaceAccess } from "~/.server/auth";
import { expectedFailure, NotFoundError } from "~/.server/errors";
import { parseForm } from "~/.server/forms";
import { logger } from "~/.server/logger";
import { MetaApiError } from "~/.server/meta/errors";
import { disconnectConnection, listAvailableAdAccounts, removeAdAccount } from "~/.server/connections/accounts";
import { attachAndBackfill } from "~/.server/connections/attach-and-sync";
import { connectSystemUser, startConnect } from "~/.server/connections/connect";
import { listConnections } from "~/.server/connections/read";
import type { MetaAdAccount } from "~/.server/meta/ad-accounts";
import { metaConfigured } from "~/.server/meta/oauth";
import { configuredVersionStatus } from "~/.server/meta/version-health";
import { Alert, Badge, Button, Card, CardTitle, EmptyState, Field, FormErrorSummary, PageHeader, ConfirmAction, buttonClass } from "~/components/ui";
import { appBaseUrl } from "~/.server/mail";

export const meta: MetaFunction = () => [{ title: "Meta connections · Spendlane" }];

/** Connections are agency business: client viewers never see this page (404, like any hidden page). */
async function guard(request: Request, params: LoaderFunctionArgs["params"]): Promise<WorkspaceAccess> {
  const access = await requireWorkspace(request, params.agency, params.workspace);
  if (access.role === "viewer") notFound();
  return access;
}

async function guardManage(request: Request, params: LoaderFunctionArgs["params"]): Promise<WorkspaceAccess> {
  const access = await guard(request, params);
  if (!access.canManage) forbidden();
  return access;
}

const uuid = z.string().uuid();

export async function loader({ request, params }: LoaderFunctionArgs) {
  const access = await guard(request, params);
  const url = new URL(request.url);
  const connections = await listConnections(access.user.id, access.workspace.id);
  let picker: { connectionId: string; accounts: (MetaAdAccount & { attached: boolean })[]; error?: string } | null = null;
  const pick = uuid.safeParse(url.searchParams.get("pick"));
  if (access.canManage && pick.success && connections.some((c) => c.id === pick.data && c.status === "active")) {
    const attached = new Set(connections.flatMap((c) => c.adAccounts.map((a) => a.metaAccountId)));
    try {
      const accounts = await listAvailableAdAccounts(access.workspace.id, pick.data);
      picker = { connectionId: pick.data, accounts: accounts.map((a) => ({ ...a, attached: attached.has(a.id) })) };
    } catch (err) {
      if (!(err instanceof MetaApiError)) throw err;
      logger.warn({ err, workspaceId: access.workspace.id }, "listing Meta ad accounts failed");
      picker = { connectionId: pick.data, accounts: [], error: pickerError(err) };
    }
  }
  return {
    agency: access.agency,
    workspace: { id: access.workspace.id, slug: access.workspace.slug, name: access.workspace.name, archived: !!access.workspace.archivedAt },
    canManage: access.canManage,
    metaReady: metaConfigured(),
    connections: connections.map((c) => ({ ...c, tokenExpiresAt: c.tokenExpiresAt?.toISOString() ?? null, createdAt: c.createdAt.toISOString() })),
    picker,
    notice: noticeFrom(url.searchParams),
    apiVersion: configuredVersionStatus(),
  };
}

function pickerError(err: MetaApiError): string {
  // deprecated API version: the message names the version and what to set
  if (err.code === 2635) return err.message;
  switch (err.kind) {
    case "token_invalid":
      return "Meta no longer accepts this connection's token. Reconnect to continue.";
    case "rate_limited":
      return "Meta asked us to slow down. Try again in a few minutes.";
    case "permission":
      return "This Meta login may not read ad accounts (ads_read is missing).";
    default:
      return "Meta did not answer as expected. Try again in a moment.";
  }
}

function noticeFrom(q: URLSearchParams): { tone: "success" | "warning" | "info"; text: string } | null {
  if (q.get("denied")) return { tone: "warning", text: "You did not grant access on Meta, so nothing was connected. You can try again any time." };
  if (q.get("connected")) return { tone: "success", text: "Meta is connected. Choose the ad accounts that belong to this client." };
  if (q.get("reconnected")) return { tone: "success", text: "Meta is reconnected. Syncing resumes shortly." };
  if (q.get("attached")) return { tone: "success", text: `Attached ${q.get("attached")} ad account(s). Their history is being loaded.` };
  if (q.get("disconnected")) return { tone: "info", text: "Disconnected. Our copy of the token was deleted." };
  return null;
}

const actionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("connect") }),
  z.object({ intent: z.literal("reconnect"), connectionId: uuid }),
  z.object({ intent: z.literal("system_token"), token: z.string({ error: "Paste the token" }) }),
  z.object({
    intent: z.literal("attach"),
    connectionId: uuid,
    accounts: z
      .array(z.string().regex(/^act_\d{1,32}$/, "Invalid ad account id"))
      .min(1, "Choose at least one ad account")
      .max(50),
  }),
  z.object({ intent: z.literal("detach"), adAccountId: uuid }),
  z.object({ intent: z.literal("disconnect"), connectionId: uuid, deleteData: z.literal("on").optional() }),
]);

export async function action({ request, params }: ActionFunctionArgs) {
  // Owners and admins manage connections: members get 403, viewers and outsiders 404.
  const access = await guardManage(request, params);
  const form = await request.formData();
  const here = `/a/${access.agency.slug}/w/${access.workspace.slug}/connections`;
  const actor = access.user.id;
  const workspaceId = access.workspace.id;
  try {
    const input = parseForm(actionSchema, { ...Object.fromEntries(form), accounts: form.getAll("accounts") as string[] });
    switch (input.intent) {
      case "connect":
      case "reconnect":
        return redirect(
          await startConnect({
            userId: actor,
            sessionId: access.user.sessionId,
            workspaceId,
            connectionId: input.intent === "reconnect" ? input.connectionId : undefined,
            origin: appBaseUrl(request),
          }),
        );
      case "system_token": {
        const r = await connectSystemUser({ workspaceId, actorUserId: actor, token: input.token });
        return redirect(`${here}?pick=${r.connectionId}&${r.reconnected ? "reconnected" : "connected"}=1`);
      }
      case "attach": {
        for (const metaAccountId of input.accounts)
          await attachAndBackfill({ workspaceId, connectionId: input.connectionId, metaAccountId, actorUserId: actor });
        return redirect(`${here}?attached=${input.accounts.length}`);
      }
      case "detach":
        await removeAdAccount({ workspaceId, adAccountId: input.adAccountId, actorUserId: actor });
        return redirect(here);
      case "disconnect":
        await disconnectConnection({ workspaceId, connectionId: input.connectionId, deleteData: input.deleteData === "on", actorUserId: actor });
        return redirect(`${here}?disconnected=1`);
    }
  } catch (err) {
    // A connection or account that is gone is the page's 404, not a form message.
    if (err instanceof NotFoundError) notFound();
    if (err instanceof MetaApiError) {
      logger.warn({ err, workspaceId }, "Meta call failed in connections action");
      return data({ error: pickerError(err), fields: {} as Record<string, string> }, { status: 502 });
    }
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ error: failure.error, fields: failure.fields }, { status: failure.status });
  }
}

const dateFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export default function Connections() {
  const { workspace, canManage, metaReady, connections, picker, notice, apiVersion } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const busy = (intent: string) => nav.state !== "idle" && nav.formData?.get("intent") === intent;
  const live = connections.filter((c) => c.status !== "disconnected");
  const past = connections.filter((c) => c.status === "disconnected");
  return (
    <>
      <PageHeader title="Meta connections" description={`Meta logins and ad accounts that feed ${workspace.name}'s dashboard.`} />
      <div className="space-y-6">
        {notice ? <Alert tone={notice.tone}>{notice.text}</Alert> : null}
        {apiVersion.state !== "ok" ? (
          <Alert
            tone={apiVersion.state === "expiring" ? "warning" : "error"}
            title={apiVersion.state === "expiring" ? "Meta API version expires soon" : "Meta API version no longer works"}
          >
            <span data-testid="api-version-status">{apiVersion.message}</span>
          </Alert>
        ) : null}
        <FormErrorSummary error={result?.error} fields={result?.fields} visibleFields={["token"]} />
        {!canManage ? <Alert tone="info">Only owners and admins can connect or change Meta accounts.</Alert> : null}

        {live.length === 0 ? (
          <EmptyState title="No Meta connection yet">
            {canManage
              ? "Connect the client's Meta login, or paste a Business Manager system-user token, then pick the ad accounts."
              : "Ask an owner or admin to connect Meta."}
          </EmptyState>
        ) : (
          live.map((c) => (
            <Card key={c.id} className="space-y-4">
              <div className="flex flex-wrap items-start justify-between gap-3">
                <div>
                  <p className="font-medium text-zinc-100">
                    {c.facebookUserName ?? (c.kind === "system_user" ? "System user" : "Meta user")}{" "}
                    <span className="text-xs text-zinc-500">({c.kind === "system_user" ? "system-user token" : "Facebook login"})</span>
                  </p>
                  <p className="text-xs text-zinc-500">
                    Connected {dateFmt.format(new Date(c.createdAt))} ·{" "}
                    {c.tokenExpiresAt ? `token expires ${dateFmt.format(new Date(c.tokenExpiresAt))}` : "token does not expire"}
                  </p>
                </div>
                {c.health === "ok" ? <Badge tone="green">Active</Badge> : <Badge tone="amber">Needs re-authorisation</Badge>}
              </div>
              {c.health === "needs_reauth" ? (
                <Alert tone="warning" title="Needs re-authorisation">
                  {c.healthReason?.replace(/\.$/, "")}.{" "}
                  {c.kind === "oauth" ? "Reconnect with the same Facebook login to keep syncing." : "Paste a new system-user token below."}
                  {canManage && c.kind === "oauth" ? (
                    <Form method="post" className="mt-3">
                      <input type="hidden" name="intent" value="reconnect" />
                      <input type="hidden" name="connectionId" value={c.id} />
                      <Button type="submit" size="sm" busy={busy("reconnect")} busyLabel="Opening Meta…" disabled={!metaReady}>
                        Reconnect Meta
                      </Button>
                    </Form>
                  ) : null}
                </Alert>
              ) : null}
              <div>
                <p className="mb-2 text-sm font-medium text-zinc-300">Ad accounts</p>
                {c.adAccounts.length === 0 ? (
                  <p className="text-sm text-zinc-500">None attached yet.</p>
                ) : (
                  <ul className="divide-y divide-zinc-800 rounded-lg border border-zinc-800" aria-label="Attached ad accounts">
                    {c.adAccounts.map((a) => (
                      <li key={a.id} className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1 px-4 py-2 text-sm">
                        {/* names wrap rather than truncate (two accounts of one brand differ at the end); at 375 px
                            the status and Detach move below the name instead of squeezing it */}
                        <span className="min-w-0 flex-1 basis-48 [overflow-wrap:anywhere] text-zinc-200" data-account-name>
                          {a.name}{" "}
                          <span className="block text-xs text-zinc-400">
                            {a.metaAccountId} · {a.currency} · {a.timezoneName}
                          </span>
                        </span>
                        <span className="flex shrink-0 items-center gap-2">
                          <Badge tone={a.syncStatus === "ok" ? "green" : a.syncStatus === "needs_reauth" || a.syncStatus === "error" ? "amber" : "neutral"}>
                            {a.syncStatus}
                          </Badge>
                          {canManage ? (
                            <Form method="post" onSubmit={(e) => !confirm(`Remove ${a.name} and its stored numbers from this client?`) && e.preventDefault()}>
                              <input type="hidden" name="intent" value="detach" />
                              <input type="hidden" name="adAccountId" value={a.id} />
                              <Button type="submit" size="sm" variant="ghost">
                                Detach
                              </Button>
                            </Form>
                          ) : null}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
              {canManage ? (
                <div className="flex flex-wrap items-end justify-between gap-3 border-t border-zinc-800 pt-4">
                  {c.status === "active" && picker?.connectionId !== c.id ? (
                    <a className="text-sm text-blue-300 hover:text-blue-200" href={`?pick=${c.id}`}>
                      Add ad accounts…
                    </a>
                  ) : (
                    <span />
                  )}
                  {/* disconnecting asks first; deleting the stored numbers is a choice inside the confirmation */}
                  <Form method="post">
                    <input type="hidden" name="connectionId" value={c.id} />
                    <ConfirmAction
                      label={busy("disconnect") ? "Disconnecting…" : "Disconnect"}
                      title="Disconnect this Meta connection?"
                      confirmLabel="Disconnect"
                      value="disconnect"
                      testId="disconnect"
                      triggerClassName={buttonClass("danger", "sm")}
                    >
                      <p>
                        Syncing stops for its ad accounts and our copy of the token is deleted. The numbers already synced stay unless you choose otherwise.
                      </p>
                      <label className="mt-2 flex items-center gap-2">
                        <input type="checkbox" name="deleteData" className="rounded border-zinc-700 bg-zinc-900" /> Also delete this client's Meta data
                      </label>
                    </ConfirmAction>
                  </Form>
                </div>
              ) : null}
              {picker && picker.connectionId === c.id ? <Picker picker={picker} busy={busy("attach")} /> : null}
            </Card>
          ))
        )}

        {canManage ? (
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
            <Card>
              <CardTitle description="Opens Meta's login; you choose what Spendlane may read (ads_read, business_management).">Connect with Facebook</CardTitle>
              {metaReady ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="connect" />
                  <Button type="submit" busy={busy("connect")} busyLabel="Opening Meta…" disabled={workspace.archived}>
                    Connect Meta
                  </Button>
                </Form>
              ) : (
                <Alert tone="info">Meta is not configured on this server yet (META_APP_ID, META_APP_SECRET). See docs/meta-app-setup.md.</Alert>
              )}
            </Card>
            <Card>
              <CardTitle description="A token from Business Settings → System users never expires. It is stored encrypted and never shown again.">
                Paste a system-user token
              </CardTitle>
              <Form method="post" className="space-y-3" autoComplete="off">
                <input type="hidden" name="intent" value="system_token" />
                <Field
                  label="System-user access token"
                  name="token"
                  type="password"
                  required
                  autoComplete="off"
                  spellCheck={false}
                  error={result?.fields?.token}
                />
                <Button
                  type="submit"
                  variant="secondary"
                  busy={busy("system_token")}
                  busyLabel="Checking with Meta…"
                  disabled={!metaReady || workspace.archived}
                >
                  Connect token
                </Button>
              </Form>
            </Card>
          </div>
        ) : null}

        {past.length ? (
          <p className="text-xs text-zinc-500">
            {past.length} earlier connection{past.length === 1 ? " was" : "s were"} disconnected; their tokens are deleted.
          </p>
        ) : null}
      </div>
    </>
  );
}

function Picker({ picker, busy }: { picker: { connectionId: string; accounts: (MetaAdAccount & { attached: boolean })[]; error?: string }; busy: boolean }) {
  if (picker.error) return <Alert tone="error">{picker.error}</Alert>;
  const free = picker.accounts.filter((a) => !a.attached);
  return (
    <Form method="post" className="space-y-3 rounded-lg border border-zinc-800 p-4" aria-label="Choose ad accounts">
      <input type="hidden" name="intent" value="attach" />
      <input type="hidden" name="connectionId" value={picker.connectionId} />
      <p className="text-sm font-medium text-zinc-200">Which ad accounts belong to this client?</p>
      {picker.accounts.length === 0 ? <p className="text-sm text-zinc-500">This login cannot read any ad accounts.</p> : null}
      <ul className="space-y-1">
        {picker.accounts.map((a) => (
          <li key={a.id}>
            <label className="flex items-center gap-2 text-sm text-zinc-300">
              <input type="checkbox" name="accounts" value={a.id} disabled={a.attached} className="rounded border-zinc-700 bg-zinc-900" />
              <span className="min-w-0">
                {a.name}{" "}
                <span className="break-words text-xs text-zinc-500">
                  {a.id} · {a.currency} · {a.timezone}
                </span>
              </span>
              {a.attached ? <Badge>attached</Badge> : null}
            </label>
          </li>
        ))}
      </ul>
      {free.length ? (
        <Button type="submit" busy={busy} busyLabel="Attaching…">
          Attach selected
        </Button>
      ) : null}
    </Form>
  );
}
