import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useResetOnSuccess } from "~/hooks/useResetOnSuccess";
import { z } from "zod";
import { requireAgencyRole } from "~/.server/auth";
import { expectedFailure } from "~/.server/errors";
import { echoValues, parseForm } from "~/.server/forms";
import { appBaseUrl } from "~/.server/mail";
import { inviteMember, listOpenInvitations, resendInvitation, revokeInvitation, seatSummary } from "~/.server/tenancy/invitations";
import { changeMemberRole, listMembers, removeMember, transferOwnership } from "~/.server/tenancy/members";
import { Alert, Badge, Button, Card, CardTitle, Field, PageHeader, Select } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Team · Spendlane" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role } = await requireAgencyRole(request, params.agency, ["owner", "admin", "member"]);
  const manage = role === "owner" || role === "admin";
  const [members, invitations, seats] = await Promise.all([
    listMembers(user.id, agency.id),
    manage ? listOpenInvitations(user.id, agency.id, { workspaceId: null }) : Promise.resolve([]),
    seatSummary(user.id, agency.id),
  ]);
  return { agency, me: user.id, role, manage, members, invitations, seats };
}

const uuid = z.uuid({ error: "Unknown person or invitation" });
const intentSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("invite"), email: z.string(), role: z.string() }),
  z.object({ intent: z.literal("resend"), invitationId: uuid }),
  z.object({ intent: z.literal("revoke"), invitationId: uuid }),
  z.object({ intent: z.literal("role"), userId: uuid, role: z.enum(["owner", "admin", "member"], { error: "Choose a role" }) }),
  z.object({ intent: z.literal("remove"), userId: uuid }),
  z.object({ intent: z.literal("transfer"), userId: uuid }),
]);

const DONE: Record<string, string> = {
  invite: "Invitation sent.",
  resend: "Invitation sent again with a new link.",
  revoke: "Invitation revoked.",
  role: "Role changed.",
  remove: "Member removed.",
  transfer: "Ownership transferred. You are now an admin.",
};

export async function action({ request, params }: ActionFunctionArgs) {
  // Members may look at the team but change nothing: 403 here, RLS underneath.
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner", "admin"]);
  const form = Object.fromEntries(await request.formData());
  const echo = echoValues(form, { email: 254, role: 20 }, { role: "member" });
  try {
    const input = parseForm(intentSchema, form, "Check the form");
    const baseUrl = appBaseUrl(request);
    let emailSent = true;
    switch (input.intent) {
      case "invite":
        ({ emailSent } = await inviteMember(user.id, agency.id, { email: input.email, role: input.role }, { baseUrl }));
        break;
      case "resend":
        ({ emailSent } = await resendInvitation(user.id, agency.id, input.invitationId, { baseUrl }));
        break;
      case "revoke":
        await revokeInvitation(user.id, agency.id, input.invitationId);
        break;
      case "role":
        await changeMemberRole(user.id, agency.id, input.userId, input.role);
        break;
      case "remove":
        await removeMember(user.id, agency.id, input.userId);
        break;
      case "transfer":
        await transferOwnership(user.id, agency.id, input.userId);
        break;
    }
    const ok = emailSent ? DONE[input.intent] : "The invitation is saved, but the email could not be sent. Try Resend in a moment.";
    return data({ ok, warn: !emailSent, intent: input.intent, error: null, fields: {} as Record<string, string>, limit: undefined, values: undefined });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: null, warn: false, intent: String(form.intent ?? ""), ...failure, values: echo }, { status: failure.status });
  }
}

const dateFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });
const ROLE_TONE = { owner: "blue", admin: "green", member: "neutral" } as const;

export default function Team() {
  const { agency, me, role, manage, members, invitations, seats } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const inviteForm = useResetOnSuccess(result, (r) => r.intent === "invite" && !!r.ok);
  const busy = useNavigation().state === "submitting";
  const isOwner = role === "owner";
  return (
    <>
      <PageHeader
        title="Team"
        description={`${seats.used} of ${seats.seats} seats in use on the ${seats.planName} plan (${seats.members} members, ${seats.pending} pending invitations). Client viewers are free.`}
      />
      {result?.ok ? (
        <Alert tone={result.warn ? "warning" : "success"} className="mb-4">
          {result.ok}
        </Alert>
      ) : null}
      {result?.error && result.intent !== "invite" ? (
        <Alert tone="error" className="mb-4" title={result.error}>
          {result.limit ? (
            <Link to={`/a/${agency.slug}/billing`} className="underline">
              Upgrade on the Billing page
            </Link>
          ) : null}
        </Alert>
      ) : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card className="p-0">
            <ul className="divide-y divide-zinc-800" aria-label="Members">
              {members.map((m) => {
                const self = m.userId === me;
                const canEdit = manage && !self && (isOwner || m.role !== "owner");
                return (
                  <li key={m.userId} className="flex flex-wrap items-center gap-3 px-5 py-3">
                    <div className="min-w-0 flex-1">
                      <p className="truncate font-medium text-zinc-100">
                        {m.name ?? m.email} {self ? <span className="text-xs text-zinc-500">(you)</span> : null}
                      </p>
                      <p className="truncate text-xs text-zinc-500">
                        {m.email} · since {dateFmt.format(new Date(m.createdAt))}
                      </p>
                    </div>
                    <Badge tone={ROLE_TONE[m.role]}>{m.role}</Badge>
                    {canEdit ? (
                      <div className="flex flex-wrap items-center gap-2">
                        <Form method="post" className="flex items-center gap-2">
                          <input type="hidden" name="intent" value="role" />
                          <input type="hidden" name="userId" value={m.userId} />
                          <Select name="role" defaultValue={m.role} aria-label={`Role of ${m.email}`} className="h-8 w-28 py-0">
                            {isOwner ? <option value="owner">Owner</option> : null}
                            <option value="admin">Admin</option>
                            <option value="member">Member</option>
                          </Select>
                          <Button type="submit" size="sm" variant="secondary" disabled={busy}>
                            Change
                          </Button>
                        </Form>
                        <Form
                          method="post"
                          onSubmit={(e) => {
                            if (!confirm(`Remove ${m.email} from ${agency.name}?`)) e.preventDefault();
                          }}
                        >
                          <input type="hidden" name="intent" value="remove" />
                          <input type="hidden" name="userId" value={m.userId} />
                          <Button type="submit" size="sm" variant="ghost" disabled={busy}>
                            Remove
                          </Button>
                        </Form>
                        {isOwner && m.role !== "owner" ? (
                          <Form
                            method="post"
                            onSubmit={(e) => {
                              if (!confirm(`Make ${m.email} the owner? You become an admin.`)) e.preventDefault();
                            }}
                          >
                            <input type="hidden" name="intent" value="transfer" />
                            <input type="hidden" name="userId" value={m.userId} />
                            <Button type="submit" size="sm" variant="ghost" disabled={busy}>
                              Transfer ownership
                            </Button>
                          </Form>
                        ) : null}
                      </div>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </Card>
          {manage ? (
            <Card>
              <CardTitle description="Links work once and expire after 7 days. Resend makes a new link.">Pending invitations</CardTitle>
              {invitations.length === 0 ? (
                <p className="text-sm text-zinc-500">No pending invitations.</p>
              ) : (
                <ul className="divide-y divide-zinc-800" aria-label="Pending invitations">
                  {invitations.map((i) => (
                    <li key={i.id} className="flex flex-wrap items-center gap-3 py-2">
                      <div className="min-w-0 flex-1">
                        <p className="truncate text-sm text-zinc-100">{i.email}</p>
                        <p className="text-xs text-zinc-500">
                          {i.expired ? "Expired" : `Expires ${dateFmt.format(new Date(i.expiresAt))}`}
                          {i.invitedByEmail ? ` · invited by ${i.invitedByEmail}` : ""}
                        </p>
                      </div>
                      <Badge tone={i.expired ? "amber" : "neutral"}>{i.role}</Badge>
                      <Form method="post">
                        <input type="hidden" name="intent" value="resend" />
                        <input type="hidden" name="invitationId" value={i.id} />
                        <Button type="submit" size="sm" variant="secondary" disabled={busy}>
                          Resend
                        </Button>
                      </Form>
                      <Form method="post">
                        <input type="hidden" name="intent" value="revoke" />
                        <input type="hidden" name="invitationId" value={i.id} />
                        <Button type="submit" size="sm" variant="ghost" disabled={busy}>
                          Revoke
                        </Button>
                      </Form>
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          ) : null}
        </div>
        {manage ? (
          <Card>
            <CardTitle description="They get an email with a link to join.">Invite a teammate</CardTitle>
            <Form ref={inviteForm} method="post" className="space-y-4" noValidate>
              <input type="hidden" name="intent" value="invite" />
              {result?.intent === "invite" && result.error ? (
                <Alert tone="error" title={result.error}>
                  {result.limit ? (
                    <Link to={`/a/${agency.slug}/billing`} className="underline">
                      Upgrade on the Billing page
                    </Link>
                  ) : null}
                </Alert>
              ) : null}
              <Field label="Email" name="email" type="email" required defaultValue={result?.values?.email} error={result?.fields?.email} />
              <div className="space-y-1.5">
                <label htmlFor="invite-role" className="block text-sm font-medium text-zinc-300">
                  Role
                </label>
                <Select id="invite-role" name="role" defaultValue={result?.values?.role ?? "member"}>
                  <option value="member">Member: works on all clients</option>
                  <option value="admin">Admin: also manages team and clients</option>
                </Select>
              </div>
              <Button type="submit" busy={busy} busyLabel="Sending…">
                Send invitation
              </Button>
            </Form>
            <p className="mt-4 text-xs text-zinc-500">To share one client's dashboard read-only, invite a client viewer from that client's settings.</p>
          </Card>
        ) : (
          <Alert tone="info">Only owners and admins can invite or change roles.</Alert>
        )}
      </div>
    </>
  );
}
