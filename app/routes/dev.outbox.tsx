import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { notFound } from "~/.server/auth";
import { env } from "~/.server/env";
import { firstLink, listOutbox } from "~/.server/mail";
import { isDemo } from "~/.server/runtime";
import { Card, EmptyState, PageHeader } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Dev outbox · Spendlane" }, { name: "robots", content: "noindex" }];

/**
 * Development tool: the emails Spendlane would have sent (no SMTP configured). Production answers 404
 * unless it is the demo (SPENDLANE_DEMO=1, explicit), where there is no mail server and the outbox is
 * the only way to follow an invitation. With SMTP configured the outbox stays empty.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  if (env().NODE_ENV === "production" && !isDemo()) notFound();
  const to = new URL(request.url).searchParams.get("to")?.trim().slice(0, 254) || undefined;
  const messages = await listOutbox({ to, limit: 100 });
  return {
    to: to ?? null,
    smtp: Boolean(env().SMTP_URL),
    messages: messages.map((m) => ({
      id: m.id,
      to: m.toAddress,
      subject: m.subject,
      template: m.template,
      text: m.textBody,
      link: firstLink(m.textBody) ?? null,
      replyTo: m.replyTo,
      attachments: m.attachments,
      createdAt: m.createdAt,
    })),
  };
}

const timeFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" });

export default function DevOutbox() {
  const { to, smtp, messages } = useLoaderData<typeof loader>();
  return (
    <main className="mx-auto max-w-4xl px-4 py-8 sm:px-6">
      <PageHeader
        title="Dev outbox"
        description={smtp ? "SMTP is configured, so new email goes to the mail server, not here." : "Email that would have been sent. Newest first."}
        actions={
          to ? (
            <Link to="/dev/outbox" className="text-sm text-blue-400 hover:underline">
              Show all
            </Link>
          ) : undefined
        }
      />
      {messages.length === 0 ? (
        <EmptyState title="No email yet" />
      ) : (
        <div className="space-y-4">
          {messages.map((m) => (
            <Card key={m.id} data-testid="outbox-message">
              <p className="text-xs text-zinc-500">
                {timeFmt.format(new Date(m.createdAt))} · {m.template} · to{" "}
                <Link to={`/dev/outbox?to=${encodeURIComponent(m.to)}`} className="text-zinc-300 hover:underline">
                  {m.to}
                </Link>
              </p>
              <h2 className="mt-1 font-medium text-zinc-100">{m.subject}</h2>
              {m.replyTo ? <p className="text-xs text-zinc-500">Reply-To: {m.replyTo}</p> : null}
              <pre className="mt-3 whitespace-pre-wrap break-all text-sm text-zinc-400">{m.text}</pre>
              {m.attachments.map((a) => (
                <p key={a.filename} className="mt-2 text-xs text-zinc-500" data-testid="outbox-attachment">
                  Attachment: {a.filename} ({a.contentType}, {a.bytes} bytes)
                </p>
              ))}
              {m.link ? (
                <a href={m.link} className="mt-3 inline-block text-sm text-blue-400 hover:underline" data-testid="outbox-link">
                  Open link
                </a>
              ) : null}
            </Card>
          ))}
        </div>
      )}
    </main>
  );
}
