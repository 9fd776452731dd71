import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { requireUser } from "~/.server/auth";
import { changePassword, listSessions, signOutOtherSessions } from "~/.server/auth/account";
import { requestEmailChange } from "~/.server/auth/email-change";
import { facebookLoginEnabled } from "~/.server/auth/facebook";
import { linkedIdentities, unlinkFacebook } from "~/.server/auth/identities";
import { appBaseUrl } from "~/.server/mail";
import { TooManyAttemptsError, clientIp } from "~/.server/security/rate-limit";
import { expectedFailure } from "~/.server/errors";
import { parseForm } from "~/.server/forms";
import { Alert, Badge, Button, Card, CardTitle, Field, PageHeader } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Account · Spendlane" }];

const FB_NOTICES: Record<string, string> = {
  linked: "Facebook login linked: you can now sign in with Facebook too.",
  taken: "That Facebook login already belongs to another Spendlane account.",
  other: "Another Facebook login is linked to your account; remove it first.",
};

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const sessions = await listSessions(user.id, user.sessionId);
  const identities = await linkedIdentities(user.id);
  const fb = new URL(request.url).searchParams.get("fb");
  return {
    user: { email: user.email, name: user.name },
    sessions,
    facebook: { enabled: facebookLoginEnabled(), linked: Boolean(identities?.facebook), linkedAt: identities?.facebook?.linkedAt ?? null },
    fbNotice: fb ? (FB_NOTICES[fb] ?? null) : null,
  };
}

const intentSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("password"), currentPassword: z.string(), newPassword: z.string(), confirm: z.string() }),
  z.object({ intent: z.literal("email"), email: z.string(), password: z.string() }),
  z.object({ intent: z.literal("signout-others") }),
  z.object({ intent: z.literal("facebook-unlink") }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = Object.fromEntries(await request.formData());
  const intent = String(form.intent ?? "");
  try {
    const input = parseForm(intentSchema, form, "Check the form");
    let ok: string;
    if (input.intent === "password") {
      const { sessionsEnded } = await changePassword(user.id, user.sessionId, input, { ip: clientIp(context) });
      ok = `Password changed. ${sessionsEnded} other session${sessionsEnded === 1 ? "" : "s"} signed out.`;
    } else if (input.intent === "email") {
      // Verified: the address changes once the link mailed to it is confirmed (ADR 0063).
      const { pendingEmail } = await requestEmailChange(user.id, input, { baseUrl: appBaseUrl(request), ip: clientIp(context) });
      ok = `We sent a confirmation link to ${pendingEmail}. Your sign-in email changes when you open it.`;
    } else if (input.intent === "facebook-unlink") {
      await unlinkFacebook(user.id);
      ok = "Facebook login removed from your account.";
    } else {
      const n = await signOutOtherSessions(user.id, user.sessionId);
      ok = `${n} other session${n === 1 ? "" : "s"} signed out.`;
    }
    return data({ ok, intent, error: null, fields: {} as Record<string, string> });
  } catch (err) {
    if (err instanceof TooManyAttemptsError) {
      const headers = { "Retry-After": String(err.retryAfterSeconds) };
      return data({ ok: null, intent, error: err.message, fields: {} as Record<string, string> }, { status: 429, headers });
    }
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: null, intent, error: failure.error, fields: failure.fields }, { status: failure.status });
  }
}

const timeFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** "Chrome on macOS" from a user agent, good enough to recognise one's own devices. */
function device(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Windows/.test(ua)
    ? "Windows"
    : /Mac OS X|Macintosh/.test(ua)
      ? "macOS"
      : /Android/.test(ua)
        ? "Android"
        : /iPhone|iPad/.test(ua)
          ? "iOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

export default function Account() {
  const { user, sessions, facebook, fbNotice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const f = (intent: string, field: string) => (result?.intent === intent ? result.fields?.[field] : undefined);
  const notice = (intent: string) =>
    result?.intent === intent ? result.ok ? <Alert tone="success">{result.ok}</Alert> : result.error ? <Alert tone="error">{result.error}</Alert> : null : null;
  return (
    <main className="mx-auto max-w-4xl px-4 py-8 sm:px-6">
      <p className="mb-4 text-sm">
        <Link to="/a" className="text-blue-400 hover:underline">
          ← Back to Spendlane
        </Link>
      </p>
      <PageHeader title="Account" description={`Signed in as ${user.email}`} />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card>
          <CardTitle description="Changing it signs out your other sessions.">Password</CardTitle>
          <Form method="post" className="space-y-3" noValidate>
            <input type="hidden" name="intent" value="password" />
            {notice("password")}
            <Field
              label="Current password"
              name="currentPassword"
              type="password"
              autoComplete="current-password"
              required
              error={f("password", "currentPassword")}
            />
            <Field label="New password" name="newPassword" type="password" autoComplete="new-password" required error={f("password", "newPassword")} />
            <Field label="Repeat new password" name="confirm" type="password" autoComplete="new-password" required error={f("password", "confirm")} />
            <Button type="submit" busy={busy} busyLabel="Saving…">
              Change password
            </Button>
          </Form>
          <p className="mt-3 text-xs text-zinc-500">
            No password yet (signed up with Facebook)?{" "}
            <Link to="/forgot-password" className="text-blue-400 hover:underline">
              Set one by email
            </Link>
            .
          </p>
        </Card>
        <Card>
          <CardTitle description="The address you sign in with and receive email at. A new one must be confirmed from its inbox.">Email</CardTitle>
          <Form method="post" className="space-y-3" noValidate>
            <input type="hidden" name="intent" value="email" />
            {notice("email")}
            <Field label="New email" name="email" type="email" autoComplete="email" required error={f("email", "email")} />
            <Field label="Current password" name="password" type="password" autoComplete="current-password" required error={f("email", "password")} />
            <Button type="submit" variant="secondary" disabled={busy}>
              Change email
            </Button>
          </Form>
        </Card>
        {facebook.enabled || facebook.linked ? (
          <Card className="lg:col-span-2">
            <CardTitle description="Ways to sign in besides your password.">Sign-in methods</CardTitle>
            {fbNotice ? <Alert tone="info">{fbNotice}</Alert> : null}
            {notice("facebook-unlink")}
            <div className="mt-2 flex flex-wrap items-center gap-3 text-sm" data-testid="facebook-login">
              <span className="font-medium text-zinc-100">Facebook</span>
              {facebook.linked ? (
                <>
                  <Badge tone="green">Linked</Badge>
                  {facebook.linkedAt ? <span className="text-zinc-500">since {timeFmt.format(new Date(facebook.linkedAt))}</span> : null}
                  <Form method="post">
                    <input type="hidden" name="intent" value="facebook-unlink" />
                    <Button type="submit" variant="secondary" disabled={busy}>
                      Remove
                    </Button>
                  </Form>
                </>
              ) : (
                <Form method="post" action="/auth/facebook">
                  <Button type="submit" variant="secondary">
                    Link Facebook login
                  </Button>
                </Form>
              )}
            </div>
          </Card>
        ) : null}
        <Card className="scroll-mt-6 lg:col-span-2" id="sessions">
          <CardTitle description="Where your account is signed in. Times in UTC.">Sessions</CardTitle>
          {notice("signout-others")}
          <ul className="mt-2 divide-y divide-zinc-800" aria-label="Sessions">
            {sessions.map((s, i) => (
              <li key={i} className="flex flex-wrap items-center gap-3 py-2 text-sm">
                <span className="font-medium text-zinc-100" title={s.userAgent ?? undefined}>
                  {device(s.userAgent)}
                </span>
                {s.current ? <Badge tone="green">This browser</Badge> : null}
                <span className="text-zinc-500">
                  last active {timeFmt.format(new Date(s.lastSeenAt))} · signed in {timeFmt.format(new Date(s.createdAt))}
                  {s.ip ? ` · ${s.ip}` : ""}
                </span>
              </li>
            ))}
          </ul>
          {sessions.length > 1 ? (
            <Form method="post" className="mt-4">
              <input type="hidden" name="intent" value="signout-others" />
              <Button type="submit" variant="secondary" disabled={busy}>
                Sign out all other sessions
              </Button>
            </Form>
          ) : null}
        </Card>
      </div>
    </main>
  );
}
