import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireAgencyRole } from "~/.server/auth";
import { listAuditLog } from "~/.server/tenancy/members";
import { auditNames } from "~/.server/tenancy/audit-names";
import { auditIds, auditSentence } from "~/utils/audit-sentences";
import { Card, EmptyState, PageHeader } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Audit log · Spendlane" }];

const PAGE_SIZE = 50;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner", "admin"]);
  const before = new URL(request.url).searchParams.get("before") ?? undefined;
  const page = await listAuditLog(user.id, agency.id, { before, limit: PAGE_SIZE });
  // one sentence per entry, naming the client, the account and the person (not "meta.attach")
  const names = await auditNames(user.id, agency.id, auditIds(page.entries));
  const entries = page.entries.map((e) => ({ ...e, sentence: auditSentence(e, names) }));
  return { agency, entries, nextBefore: page.nextBefore, paged: Boolean(before) };
}

const timeFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

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
                <time className="w-44 shrink-0 text-xs text-zinc-400" dateTime={new Date(e.createdAt).toISOString()}>
                  {timeFmt.format(new Date(e.createdAt))}
                </time>
                {/* at 375 px the sentence goes below the time; ids in parentheses may break */}
                <span className="min-w-0 flex-1 basis-64 [overflow-wrap:anywhere] text-zinc-200" data-action={e.action}>
                  {e.sentence}
                </span>
              </li>
            ))}
          </ol>
        </Card>
      )}
      <div className="mt-4 flex gap-4 text-sm">
        {paged ? (
          <Link to={`/a/${agency.slug}/audit`} className="text-blue-400 hover:underline">
            Newest
          </Link>
        ) : null}
        {nextBefore ? (
          <Link to={`/a/${agency.slug}/audit?before=${nextBefore}`} className="text-blue-400 hover:underline">
            Older entries
          </Link>
        ) : null}
      </div>
    </>
  );
}
