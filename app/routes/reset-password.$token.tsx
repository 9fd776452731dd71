import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { destroyUserSession } from "~/.server/auth";
import { previewReset, resetPassword } from "~/.server/auth/password-reset";
import { expectedFailure } from "~/.server/errors";
import { checkRateLimit, clientIp, rateLimitResponse } from "~/.server/security/rate-limit";
import { Alert, AuthShell, Button, Field, FormErrorSummary } from "~/components/ui";
import { LinkedIdentityChoice } from "~/components/account/linked-identity-choice";

export const meta: MetaFunction = () => [{ title: "Choose a new password · Spendlane" }, { name: "referrer", content: "same-origin" }];
// The token is in the URL: never send it to another site in a Referer header, never cache the page.
// (same-origin, not no-referrer: with no-referrer browsers post the form with `Origin: null`, which
// the CSRF checks rightly refuse.)
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "same-origin", "Cache-Control": "no-store" });

export async function loader({ params }: LoaderFunctionArgs) {
  const { valid, identities } = await previewReset(params.token ?? "");
  // Linked sign-in methods are listed so whoever takes the account over by email can remove them.
  return { valid, facebook: identities?.facebook ?? null };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  const limit = await checkRateLimit("password_reset", { ip: clientIp(context) });
  if (!limit.ok) return rateLimitResponse(limit);
  try {
    await resetPassword(params.token ?? "", { password: form.password, confirm: form.confirm, facebook: form.facebook });
    // Every session of the account is gone; clear this browser's cookie too and log in afresh.
    return redirect("/login?reset=1", { headers: { "Set-Cookie": await destroyUserSession(request) } });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data(failure, { status: failure.status });
  }
}

export default function ResetPassword() {
  const { valid, facebook } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <AuthShell
      title="Choose a new password"
      footer={
        <Link to="/login" className="text-blue-400 hover:underline">
          Back to log in
        </Link>
      }
    >
      {!valid ? (
        <Alert tone="error">
          This reset link is invalid, used or expired.{" "}
          <Link to="/forgot-password" className="underline">
            Ask for a new one
          </Link>
          .
        </Alert>
      ) : (
        <Form method="post" className="space-y-4" noValidate>
          <FormErrorSummary error={result?.error} fields={result?.fields} visibleFields={["password", "confirm"]} />
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            error={result?.fields?.password}
            hint="At least 10 characters, letters mixed with digits or symbols."
          />
          <Field label="Repeat new password" name="confirm" type="password" autoComplete="new-password" required error={result?.fields?.confirm} />
          <LinkedIdentityChoice facebook={facebook} />
          <p className="text-xs text-zinc-500">Saving signs you out everywhere.</p>
          <Button type="submit" className="w-full" busy={busy} busyLabel="Saving…">
            Save new password
          </Button>
        </Form>
      )}
    </AuthShell>
  );
}
