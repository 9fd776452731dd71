import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireAgencyRole } from "~/.server/auth";
import { listAuditLog } from "~/.server/tenancy/members";
import { Card, EmptyState, PageHeader } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Audit log · Spendlane" }];

const PAGE_SIZE = 50;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner", "admin"]);
  const before = new URL(request.url).searchParams.get("before") ?? undefined;
  const page = await listAuditLog(user.id, agency.id, { before, limit: PAGE_SIZE });
  return { agency, ...page, paged: Boolean(before) };
}

const timeFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** One readable line per action; targets hold ids, emails, names and roles only (never secrets). */
function describe(action: string, t: Record<string, unknown>): string {
  const s = (k: string) => (t[k] == null ? "" : String(t[k]));
  switch (action) {
    case "invitation.create":
      return t.workspaceId ? `invited ${s("email")} as a client viewer` : `invited ${s("email")} as ${s("role")}`;
    case "invitation.resend":
      return `resent the invitation to ${s("email")}`;
    case "invitation.revoke":
      return `revoked the invitation to ${s("email")}`;
    case "invitation.accept":
      return `accepted an invitation (${s("role")})`;
    case "member.role_change":
      return `changed a member's role from ${s("from")} to ${s("to")}`;
    case "member.remove":
      return `removed ${s("email")} (${s("role")})`;
    case "member.transfer_ownership":
      return "transferred ownership";
    case "viewer.revoke":
      return `removed client access of ${s("email")}`;
    case "client.create":
      return `added client ${s("name")}`;
    case "client.rename":
      return `renamed client ${s("from")} to ${s("to")}`;
    case "client.archive":
      return `archived client ${s("name")}`;
    case "client.restore":
      return `restored client ${s("name")}`;
    case "client.delete":
      return `deleted client ${s("name")}`;
    default:
      return action;
  }
}

export default function Audit() {
  const { agency, entries, nextBefore, paged } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeader title="Audit log" description="Changes to members, invitations and clients, newest first. Times in UTC." />
      {entries.length === 0 ? (
        <EmptyState title="Nothing recorded yet" />
      ) : (
        <Card className="p-0">
          <ol className="divide-y divide-zinc-800" aria-label="Audit entries">
            {entries.map((e) => (
              <li key={e.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 px-5 py-3 text-sm">
                <time className="w-44 shrink-0 text-xs text-zinc-500" dateTime={new Date(e.createdAt).toISOString()}>
                  {timeFmt.format(new Date(e.createdAt))}
                </time>
                <span className="font-medium text-zinc-200">{e.actorName ?? e.actorEmail ?? "Someone"}</span>
                <span className="text-zinc-400">{describe(e.action, e.target)}</span>
                <code className="ml-auto text-xs text-zinc-600">{e.action}</code>
              </li>
            ))}
          </ol>
        </Card>
      )}
      <div className="mt-4 flex gap-4 text-sm">
        {paged ? <Link to={`/a/${agency.slug}/audit`} className="text-blue-400 hover:underline">Newest</Link> : null}
        {nextBefore ? <Link to={`/a/${agency.slug}/audit?before=${nextBefore}`} className="text-blue-400 hover:underline">Older entries</Link> : null}
      </div>
    </>
  );
}
