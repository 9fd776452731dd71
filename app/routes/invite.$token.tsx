import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { createUserSession, getUser } from "~/.server/auth";
import { acceptInvitation, acceptInvitationWithNewAccount, landingPath, previewInvitation, statusMessage } from "~/.server/tenancy/invitation-accept";
import { expectedFailure } from "~/.server/errors";
import { checkRateLimit, clientIp, rateLimitResponse } from "~/.server/security/rate-limit";
import { Alert, AuthShell, Button, Field, FormErrorSummary } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Invitation · Spendlane" }, { name: "referrer", content: "same-origin" }];
// The token is in the URL: never send it to another site in a Referer header, never cache the page.
// (same-origin, not no-referrer: with no-referrer browsers post the form with `Origin: null`, which
// the CSRF checks rightly refuse.)
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "same-origin", "Cache-Control": "no-store" });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await getUser(request);
  const token = params.token ?? "";
  const preview = await previewInvitation(token, user?.id ?? null);
  if (!preview) {
    return { state: "invalid" as const, message: "This invitation link is not valid. Check that you copied all of it, or ask for a new one." };
  }
  const what = {
    agencyName: preview.agencyName,
    workspaceName: preview.workspaceName,
    role: preview.role,
    email: preview.email,
  };
  if (preview.status !== "pending") return { state: "closed" as const, message: statusMessage(preview.status), ...what };
  if (user) {
    if (user.email.toLowerCase() !== preview.email) {
      return {
        state: "wrong-user" as const,
        message: `This invitation was sent to ${preview.email}, but you are logged in as ${user.email}. Log out and open the link again, or ask for an invitation to ${user.email}.`,
        ...what,
      };
    }
    return { state: "accept" as const, ...what };
  }
  return {
    state: preview.accountExists ? ("login" as const) : ("create" as const),
    loginHref: `/login?${new URLSearchParams({ redirectTo: `/invite/${token}` })}`,
    ...what,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const token = params.token ?? "";
  const form = Object.fromEntries(await request.formData());
  const user = await getUser(request);
  // Token guesses and account creation are counted per IP (and per signed-in account).
  const limit = await checkRateLimit("invite_accept", { ip: clientIp(context), account: user?.email ?? null });
  if (!limit.ok) return rateLimitResponse(limit);
  try {
    if (user) {
      const accepted = await acceptInvitation(user.id, token);
      return redirect(landingPath(accepted));
    }
    const accepted = await acceptInvitationWithNewAccount(token, { name: form.name, password: form.password });
    return redirect(landingPath(accepted), { headers: { "Set-Cookie": await createUserSession(request, accepted.userId) } });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ...failure, name: String(form.name ?? "").slice(0, 120) }, { status: failure.status });
  }
}

export default function Invite() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  if (d.state === "invalid" || d.state === "closed" || d.state === "wrong-user") {
    return (
      <AuthShell
        title="Invitation"
        footer={
          <Link to="/login" className="text-blue-400 hover:underline">
            Go to log in
          </Link>
        }
      >
        <Alert tone={d.state === "wrong-user" ? "warning" : "error"}>{d.message}</Alert>
        {d.state === "wrong-user" ? (
          <Form method="post" action="/logout" className="mt-4">
            <Button type="submit" variant="secondary" className="w-full">
              Log out
            </Button>
          </Form>
        ) : null}
      </AuthShell>
    );
  }
  const subtitle =
    d.role === "viewer"
      ? `${d.agencyName} invited ${d.email} to view the ${d.workspaceName} dashboard (read-only).`
      : `${d.agencyName} invited ${d.email} to join as ${d.role === "admin" ? "an admin" : "a member"}.`;
  return (
    <AuthShell title="You're invited" subtitle={subtitle}>
      <FormErrorSummary error={result?.error} fields={result?.fields} visibleFields={["name", "password"]} />
      {d.state === "accept" ? (
        <Form method="post" className="mt-4">
          <Button type="submit" className="w-full" busy={busy} busyLabel="Joining…">
            Accept invitation
          </Button>
        </Form>
      ) : d.state === "login" ? (
        <div className="space-y-3">
          <p className="text-sm text-zinc-400">You already have an account with {d.email}. Log in to accept.</p>
          <Link to={d.loginHref} className="block rounded-lg bg-blue-600 px-4 py-2 text-center text-sm font-medium text-white hover:bg-blue-500">
            Log in to accept
          </Link>
        </div>
      ) : (
        <Form method="post" className="mt-4 space-y-4" noValidate>
          <Field label="Email" name="email" value={d.email} readOnly disabled hint="The invitation is bound to this address." />
          <Field label="Your name" name="name" autoComplete="name" required maxLength={120} defaultValue={result?.name} error={result?.fields?.name} />
          <Field
            label="Choose a password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            error={result?.fields?.password}
            hint="At least 10 characters, letters mixed with digits or symbols."
          />
          <Button type="submit" className="w-full" busy={busy} busyLabel="Creating account…">
            Create account and accept
          </Button>
        </Form>
      )}
    </AuthShell>
  );
}
