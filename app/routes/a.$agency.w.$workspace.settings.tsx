import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useResetOnSuccess } from "~/hooks/useResetOnSuccess";
import { z } from "zod";
import { forbidden, notFound, requireWorkspace } from "~/.server/auth";
import { expectedFailure } from "~/.server/errors";
import { echoValues, parseForm } from "~/.server/forms";
import { appBaseUrl } from "~/.server/mail";
import { deleteClient, listViewers, renameClient, revokeViewer, setClientArchived } from "~/.server/tenancy/clients";
import { inviteViewer, listOpenInvitations, resendInvitation, revokeInvitation } from "~/.server/tenancy/invitations";
import { getWorkspaceAttribution, setWorkspaceAttribution } from "~/.server/sync/attribution-choice";
import { ATTRIBUTION_OPTIONS } from "~/.server/meta/attribution";
import { Alert, Badge, Button, Card, CardTitle, Field, PageHeader, RouteErrorAlert } from "~/components/ui";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.workspace.name} settings · Spendlane` : "Spendlane" }];

/** Client viewers get the same 404 as outsiders; members see the page exists but may not manage it. */
async function requireManager(request: Request, params: LoaderFunctionArgs["params"]) {
  const access = await requireWorkspace(request, params.agency, params.workspace);
  if (access.role === "viewer") notFound();
  if (!access.canManage) forbidden();
  return access;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role, workspace } = await requireManager(request, params);
  const [viewers, invitations, attribution] = await Promise.all([
    listViewers(user.id, agency.id, workspace.id),
    listOpenInvitations(user.id, agency.id, { workspaceId: workspace.id }),
    getWorkspaceAttribution(user.id, workspace.id),
  ]);
  return { agency, workspace, isOwner: role === "owner", viewers, invitations, attribution, attributionOptions: ATTRIBUTION_OPTIONS };
}

const uuid = z.uuid({ error: "Unknown person or invitation" });
const intentSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("invite"), email: z.string() }),
  z.object({ intent: z.literal("resend"), invitationId: uuid }),
  z.object({ intent: z.literal("revoke-invitation"), invitationId: uuid }),
  z.object({ intent: z.literal("revoke-viewer"), userId: uuid }),
  z.object({ intent: z.literal("rename"), name: z.string() }),
  z.object({ intent: z.literal("archive") }),
  z.object({ intent: z.literal("restore") }),
  z.object({ intent: z.literal("delete"), confirm: z.string() }),
  z.object({ intent: z.literal("attribution"), attribution: z.string().max(100) }),
]);

const DONE: Record<string, string> = {
  invite: "Invitation sent.",
  resend: "Invitation sent again with a new link.",
  "revoke-invitation": "Invitation revoked.",
  "revoke-viewer": "Access removed.",
  rename: "Client renamed.",
  archive: "Client archived. Its data stays; syncing stops.",
  restore: "Client restored.",
  attribution: "Attribution window saved. Conversions are being re-read from Meta under it; spend is unchanged.",
};

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, agency, workspace } = await requireManager(request, params);
  const form = Object.fromEntries(await request.formData());
  const values = echoValues(form, { email: 254, name: 200 });
  try {
    const input = parseForm(intentSchema, form, "Check the form");
    const baseUrl = appBaseUrl(request);
    let emailSent = true;
    switch (input.intent) {
      case "invite":
        ({ emailSent } = await inviteViewer(user.id, agency.id, workspace.id, { email: input.email }, { baseUrl }));
        break;
      case "resend":
        ({ emailSent } = await resendInvitation(user.id, agency.id, input.invitationId, { baseUrl }));
        break;
      case "revoke-invitation":
        await revokeInvitation(user.id, agency.id, input.invitationId);
        break;
      case "revoke-viewer":
        await revokeViewer(user.id, agency.id, workspace.id, input.userId);
        break;
      case "rename":
        await renameClient(user.id, agency.id, workspace.id, { name: input.name });
        break;
      case "archive":
      case "restore":
        await setClientArchived(user.id, agency.id, workspace.id, input.intent === "archive");
        break;
      case "attribution":
        await setWorkspaceAttribution(user.id, workspace.id, input.attribution);
        break;
      case "delete":
        await deleteClient(user.id, agency.id, workspace.id, { confirm: input.confirm });
        return redirect(`/a/${agency.slug}/clients?deleted=${encodeURIComponent(workspace.slug)}`);
    }
    const ok = emailSent ? DONE[input.intent] : "The invitation is saved, but the email could not be sent. Try Resend in a moment.";
    return data({ ok, warn: !emailSent, intent: input.intent, error: null, fields: {} as Record<string, string>, limit: undefined, values: undefined });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: null, warn: false, intent: String(form.intent ?? ""), ...failure, values }, { status: failure.status });
  }
}

const dateFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export default function WorkspaceSettings() {
  const { agency, workspace, isOwner, viewers, invitations, attribution, attributionOptions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const inviteForm = useResetOnSuccess(result, (r) => r.intent === "invite" && !!r.ok);
  const busy = useNavigation().state === "submitting";
  const err = (intent: string) =>
    result?.error && result.intent === intent ? (
      <Alert tone="error" title={result.error}>
        {result.limit ? (
          <Link to={`/a/${agency.slug}/billing`} className="underline">
            Upgrade on the Billing page
          </Link>
        ) : null}
      </Alert>
    ) : null;
  const otherError = result?.error && !["invite", "rename", "delete"].includes(result.intent) ? err(result.intent) : null;
  return (
    <>
      <PageHeader
        title={`${workspace.name}: settings`}
        description="Client access, name and lifecycle of this client workspace."
        actions={workspace.archivedAt ? <Badge tone="amber">Archived</Badge> : undefined}
      />
      {result?.ok ? (
        <Alert tone={result.warn ? "warning" : "success"} className="mb-4">
          {result.ok}
        </Alert>
      ) : null}
      {otherError ? <div className="mb-4">{otherError}</div> : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card>
          <CardTitle description="Which conversions the dashboard counts: within how many days after a click or a view of an ad. Meta stopped reporting the 7-day and 28-day view windows on 2026-01-12. Changing it re-reads conversions from Meta; spend does not change.">
            Attribution window
          </CardTitle>
          <Form method="post" className="mt-3 flex flex-wrap items-end gap-3">
            <input type="hidden" name="intent" value="attribution" />
            <label className="flex min-w-0 max-w-full flex-col gap-1 text-sm text-zinc-300">
              Conversions count
              <select
                name="attribution"
                defaultValue={attribution}
                className="max-w-full rounded-md border border-zinc-800 bg-zinc-950 px-3 py-2 text-sm text-zinc-100"
                data-testid="attribution-select"
              >
                {attributionOptions.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
            <Button type="submit" disabled={busy}>
              Save
            </Button>
          </Form>
        </Card>
        <Card>
          <CardTitle description="Client viewers see this client's dashboard read-only, nothing else. They do not use seats.">Client access</CardTitle>
          {viewers.length === 0 ? (
            <p className="text-sm text-zinc-400" data-testid="client-access-state">
              {/* a pending invitation is not access yet, but it is not "nobody" either */}
              {invitations.some((i) => !i.expired) ? "Nobody from the client has accepted an invitation yet." : "Nobody from the client has access yet."}
            </p>
          ) : (
            <ul className="divide-y divide-zinc-800" aria-label="Client viewers">
              {viewers.map((v) => (
                <li key={v.userId} className="flex items-center gap-3 py-2">
                  <div className="min-w-0 flex-1">
                    <p className="truncate text-sm text-zinc-100">{v.name ?? v.email}</p>
                    <p className="truncate text-xs text-zinc-500">
                      {v.email} · since {dateFmt.format(new Date(v.createdAt))}
                    </p>
                  </div>
                  <Form method="post">
                    <input type="hidden" name="intent" value="revoke-viewer" />
                    <input type="hidden" name="userId" value={v.userId} />
                    <Button type="submit" size="sm" variant="ghost" disabled={busy}>
                      Remove access
                    </Button>
                  </Form>
                </li>
              ))}
            </ul>
          )}
          {invitations.length ? (
            <>
              <p className="mt-4 text-xs font-medium uppercase tracking-wide text-zinc-400">Invited, not accepted yet</p>
              <ul className="mt-1 divide-y divide-zinc-800 border-t border-zinc-800" aria-label="Pending client invitations">
                {invitations.map((i) => (
                  <li key={i.id} className="flex items-center gap-3 py-2">
                    <div className="min-w-0 flex-1">
                      <p className="truncate text-sm text-zinc-100">{i.email}</p>
                      <p className="text-xs text-zinc-500">{i.expired ? "Expired" : `Invited · expires ${dateFmt.format(new Date(i.expiresAt))}`}</p>
                    </div>
                    <Form method="post">
                      <input type="hidden" name="intent" value="resend" />
                      <input type="hidden" name="invitationId" value={i.id} />
                      <Button type="submit" size="sm" variant="secondary" disabled={busy}>
                        Resend
                      </Button>
                    </Form>
                    <Form method="post">
                      <input type="hidden" name="intent" value="revoke-invitation" />
                      <input type="hidden" name="invitationId" value={i.id} />
                      <Button type="submit" size="sm" variant="ghost" disabled={busy}>
                        Revoke
                      </Button>
                    </Form>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <Form ref={inviteForm} method="post" className="mt-4 space-y-3" noValidate>
            <input type="hidden" name="intent" value="invite" />
            {err("invite")}
            <Field
              label="Invite a client viewer by email"
              name="email"
              type="email"
              required
              defaultValue={result?.intent === "invite" ? result?.values?.email : undefined}
              error={result?.intent === "invite" ? result.fields?.email : undefined}
            />
            <Button type="submit" busy={busy} busyLabel="Sending…">
              Send invitation
            </Button>
          </Form>
        </Card>

        <div className="space-y-6">
          <Card>
            <CardTitle>Name</CardTitle>
            <Form method="post" className="space-y-3" noValidate>
              <input type="hidden" name="intent" value="rename" />
              {err("rename")}
              <Field
                label="Client name"
                name="name"
                required
                maxLength={120}
                defaultValue={workspace.name}
                error={result?.intent === "rename" ? result.fields?.name : undefined}
              />
              <Button type="submit" variant="secondary" disabled={busy}>
                Rename
              </Button>
            </Form>
          </Card>
          <Card>
            <CardTitle description="Archived clients stop syncing and free their plan slot; their data stays.">
              {workspace.archivedAt ? "Restore" : "Archive"}
            </CardTitle>
            <Form method="post">
              <input type="hidden" name="intent" value={workspace.archivedAt ? "restore" : "archive"} />
              <Button type="submit" variant="secondary" disabled={busy}>
                {workspace.archivedAt ? "Restore client" : "Archive client"}
              </Button>
            </Form>
          </Card>
          {isOwner ? (
            <Card className="border-red-900/60">
              <CardTitle description="Deletes the client with its Meta connections and tokens, ad accounts, all synced data and client access. This cannot be undone.">
                Delete client
              </CardTitle>
              <Form method="post" className="space-y-3" noValidate>
                <input type="hidden" name="intent" value="delete" />
                {err("delete")}
                <Field
                  label={`Type ${workspace.name} to confirm`}
                  name="confirm"
                  autoComplete="off"
                  required
                  error={result?.intent === "delete" ? result.fields?.confirm : undefined}
                />
                <Button type="submit" variant="danger" disabled={busy}>
                  Delete client permanently
                </Button>
              </Form>
            </Card>
          ) : null}
        </div>
      </div>
    </>
  );
}

export function ErrorBoundary() {
  // a member who opens this page is refused plainly (403); nothing went wrong, so nothing is logged
  return (
    <RouteErrorAlert
      notFound="This client does not exist, or you do not have access to it."
      forbidden="Only owners and admins of the agency manage clients. Ask one of them to change this client's settings."
      failed="The client settings could not be loaded"
    />
  );
}
