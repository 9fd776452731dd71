import { data, type ActionFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { requestPasswordReset } from "~/.server/auth/password-reset";
import { appBaseUrl } from "~/.server/mail";
import { expectedFailure } from "~/.server/errors";
import { checkRateLimit, clientIp, rateLimitResponse } from "~/.server/security/rate-limit";
import { Alert, AuthShell, Button, Field } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Forgot password · Spendlane" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  // Counted for unknown addresses exactly like known ones, so the limit reveals nothing either.
  const limit = await checkRateLimit("password_reset", { ip: clientIp(context), account: String(form.email ?? "") });
  if (!limit.ok) return rateLimitResponse(limit);
  try {
    await requestPasswordReset({ email: form.email }, { baseUrl: appBaseUrl(request) });
    // The same answer whether or not the address has an account.
    return data({ sent: true, error: null, fields: {} as Record<string, string> });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ sent: false, error: failure.error, fields: failure.fields }, { status: failure.status });
  }
}

export default function ForgotPassword() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <AuthShell
      title="Reset your password"
      subtitle="We email you a link to choose a new password."
      footer={
        <Link to="/login" className="text-blue-400 hover:underline">
          Back to log in
        </Link>
      }
    >
      {result?.sent ? (
        <Alert tone="success" title="Check your email">
          If an account exists for that address, a reset link is on its way. It works once and expires in one hour.
        </Alert>
      ) : (
        <Form method="post" className="space-y-4" noValidate>
          <Field label="Email" name="email" type="email" autoComplete="email" required error={result?.fields?.email ?? result?.error ?? undefined} />
          <Button type="submit" className="w-full" busy={busy} busyLabel="Sending…">
            Send reset link
          </Button>
        </Form>
      )}
    </AuthShell>
  );
}
