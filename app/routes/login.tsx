import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { getUser, createUserSession, safeRedirect } from "~/.server/auth";
import { authenticatePassword } from "~/.server/auth/authenticator";
import { facebookLoginEnabled } from "~/.server/auth/facebook";
import { expectedFailure } from "~/.server/errors";
import { echoValues } from "~/.server/forms";
import { beginLoginAttempt } from "~/.server/security/login-limits";
import { clientIp, rateLimitResponse } from "~/.server/security/rate-limit";
import { Alert, AuthShell, Button, Field, FormErrorSummary } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Log in · Spendlane" }];

const FB_NOTICES: Record<string, string> = {
  denied: "Facebook login was cancelled.",
  failed: "Facebook login did not complete. Try again.",
};

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const redirectTo = safeRedirect(url.searchParams.get("redirectTo"));
  if (await getUser(request)) throw redirect(redirectTo);
  const fb = url.searchParams.get("fb");
  const notice = fb ? (FB_NOTICES[fb] ?? null) : url.searchParams.has("email-changed") ? "Your email address is changed. Log in with the new one." : null;
  return { facebook: facebookLoginEnabled(), notice };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.clone().formData();
  const redirectTo = safeRedirect(form.get("redirectTo"));
  // Failures count per IP, per e-mail and IP, and per e-mail (unless this browser signed in to it
  // before); a success hands its attempt back. Same answer for unknown e-mails. See login-limits.ts.
  const attempt = await beginLoginAttempt({ ip: clientIp(context), email: String(form.get("email") ?? ""), cookieHeader: request.headers.get("Cookie") });
  if (!attempt.ok) return rateLimitResponse(attempt);
  try {
    const userId = await authenticatePassword(request);
    const headers = new Headers();
    headers.append("Set-Cookie", await createUserSession(request, userId));
    headers.append("Set-Cookie", await attempt.succeeded());
    return redirect(redirectTo, { headers });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ error: failure.error, fields: failure.fields, email: echoValues(form, { email: 254 }).email }, { status: failure.status });
  }
}

export default function Login() {
  const { facebook, notice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  const redirectTo = params.get("redirectTo") ?? "";
  return (
    <AuthShell
      title="Log in"
      subtitle="Welcome back to Spendlane."
      footer={
        <>
          New here?{" "}
          <Link to="/signup" className="text-blue-400 hover:underline">
            Create an agency account
          </Link>
        </>
      }
    >
      {notice ? (
        <Alert tone="warning" className="mb-4">
          {notice}
        </Alert>
      ) : null}
      <Form method="post" className="space-y-4" noValidate>
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <FormErrorSummary error={result?.error} fields={result?.fields} visibleFields={["email", "password"]} />
        <Field label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.email} error={result?.fields?.email} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required error={result?.fields?.password} />
        <div className="flex justify-end text-sm">
          <Link to="/forgot-password" className="text-zinc-400 hover:text-zinc-200">
            Forgot your password?
          </Link>
        </div>
        <Button type="submit" className="w-full" busy={busy} busyLabel="Logging in…">
          Log in
        </Button>
      </Form>
      {facebook ? (
        <>
          <div className="my-5 flex items-center gap-3 text-xs text-zinc-500">
            <span className="h-px flex-1 bg-zinc-800" /> or <span className="h-px flex-1 bg-zinc-800" />
          </div>
          <Form method="post" action="/auth/facebook">
            <Button type="submit" variant="secondary" className="w-full">
              Continue with Facebook
            </Button>
          </Form>
        </>
      ) : null}
    </AuthShell>
  );
}
