import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { destroyUserSession } from "~/.server/auth";
import { confirmEmailChange, previewEmailChange } from "~/.server/auth/email-change";
import { expectedFailure } from "~/.server/errors";
import { checkRateLimit, clientIp, rateLimitResponse } from "~/.server/security/rate-limit";
import { LinkedIdentityChoice } from "~/components/account/linked-identity-choice";
import { Alert, AuthShell, Button, FormErrorSummary } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Confirm your new email · Spendlane" }, { name: "referrer", content: "same-origin" }];
// The token is in the URL: no Referer to other sites, no caching (as on the reset page).
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "same-origin", "Cache-Control": "no-store" });

// GET only shows what will happen (mail scanners open links); the change needs the POST.
export async function loader({ params }: LoaderFunctionArgs) {
  const preview = await previewEmailChange(params.token ?? "");
  return preview ? { valid: true as const, newEmail: preview.newEmail, facebook: preview.identities?.facebook ?? null } : { valid: false as const };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  // token guesses are counted like reset-link guesses
  const limit = await checkRateLimit("password_reset", { ip: clientIp(context) });
  if (!limit.ok) return rateLimitResponse(limit);
  try {
    await confirmEmailChange(params.token ?? "", { facebook: form.facebook });
    // Every session of the account was signed out; this browser logs in afresh with the new address.
    return redirect("/login?email-changed=1", { headers: { "Set-Cookie": await destroyUserSession(request) } });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data(failure, { status: failure.status });
  }
}

export default function ConfirmEmail() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <AuthShell
      title="Confirm your new email"
      footer={
        <Link to="/login" className="text-blue-400 hover:underline">
          Back to log in
        </Link>
      }
    >
      {!d.valid ? (
        <Alert tone="error">This confirmation link is invalid, used or expired. Ask for the change again from your account page.</Alert>
      ) : (
        <Form method="post" className="space-y-4" noValidate>
          <FormErrorSummary error={result?.error} fields={result?.fields} visibleFields={[]} />
          <p className="text-sm text-zinc-300">
            Your Spendlane sign-in email becomes <strong className="text-zinc-100">{d.newEmail}</strong>.
          </p>
          <LinkedIdentityChoice facebook={d.facebook} />
          <p className="text-xs text-zinc-500">Confirming signs you out everywhere; log in again with the new address.</p>
          <Button type="submit" className="w-full" busy={busy} busyLabel="Confirming…">
            Confirm new email
          </Button>
        </Form>
      )}
    </AuthShell>
  );
}
