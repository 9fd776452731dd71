import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { createUserSession, getUser } from "~/.server/auth";
import { clearPendingFacebook, completeFacebookSignUp, readPendingFacebook, signUp } from "~/.server/auth/accounts";
import { expectedFailure } from "~/.server/errors";
import { echoValues } from "~/.server/forms";
import { checkRateLimit, clientIp, rateLimitResponse } from "~/.server/security/rate-limit";
import { AuthShell, Button, Field, FormErrorSummary } from "~/components/ui";
import { TRIAL_DAYS } from "~/utils/trial";

export const meta: MetaFunction = () => [{ title: "Create your agency · Spendlane" }];

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getUser(request)) throw redirect("/a");
  const pending = await readPendingFacebook(request);
  // Only what the form shows: the Facebook id stays in the signed cookie.
  return { facebook: pending ? { name: pending.name, email: pending.email } : null };
}

const FIELDS = ["name", "email", "password", "agencyName", "agencySlug"];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const limit = await checkRateLimit("signup", { ip: clientIp(context), account: String(form.get("email") ?? "") });
  if (!limit.ok) return rateLimitResponse(limit);
  const values = Object.fromEntries(FIELDS.map((k) => [k, form.get(k) ?? undefined]));
  try {
    if (form.get("intent") === "facebook") {
      const pending = await readPendingFacebook(request);
      if (!pending)
        return data({ error: "Your Facebook login expired. Continue with Facebook again.", fields: {} as Record<string, string>, values: {} }, { status: 400 });
      const { userId } = await completeFacebookSignUp(pending, values);
      const headers = new Headers();
      headers.append("Set-Cookie", await clearPendingFacebook());
      headers.append("Set-Cookie", await createUserSession(request, userId));
      return redirect("/a", { headers });
    }
    const { userId } = await signUp(values);
    return redirect("/a", { headers: { "Set-Cookie": await createUserSession(request, userId) } });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    // Echo back what was typed (never the password) so a correction does not mean retyping.
    const values = echoValues(form, { name: 300, email: 300, agencyName: 300, agencySlug: 300 });
    return data({ error: failure.error, fields: failure.fields, values }, { status: failure.status });
  }
}

export default function SignUp() {
  const { facebook } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const v = (result?.values ?? {}) as Record<string, string>;
  const f = result?.fields ?? {};
  const footer = (
    <>
      Already have an account?{" "}
      <Link to="/login" className="text-blue-400 hover:underline">
        Log in
      </Link>
    </>
  );
  if (facebook) {
    return (
      <AuthShell
        title="Finish signing up"
        subtitle={`Signed in with Facebook${facebook.name ? ` as ${facebook.name}` : ""}. Two more details and you are in.`}
        footer={footer}
      >
        <Form method="post" className="space-y-4" noValidate>
          <input type="hidden" name="intent" value="facebook" />
          <FormErrorSummary error={result?.error} fields={f} visibleFields={["email", "agencyName", "agencySlug"]} />
          <Field
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            required
            defaultValue={v.email ?? facebook.email ?? ""}
            error={f.email}
            hint="For invitations and billing receipts."
          />
          <Field label="Agency name" name="agencyName" required maxLength={120} defaultValue={v.agencyName} error={f.agencyName} />
          <Field
            label="Agency URL name (optional)"
            name="agencySlug"
            maxLength={48}
            defaultValue={v.agencySlug}
            error={f.agencySlug}
            hint="Lowercase letters, digits and dashes. Derived from the name when empty."
          />
          <Button type="submit" className="w-full" busy={busy} busyLabel="Creating…">
            Create agency
          </Button>
        </Form>
      </AuthShell>
    );
  }
  return (
    <AuthShell title="Create your agency" subtitle={`Start a ${TRIAL_DAYS}-day trial. No card needed.`} footer={footer}>
      <Form method="post" className="space-y-4" noValidate>
        <FormErrorSummary error={result?.error} fields={f} visibleFields={FIELDS} />
        <Field label="Your name" name="name" autoComplete="name" required maxLength={120} defaultValue={v.name} error={f.name} />
        <Field label="Work email" name="email" type="email" autoComplete="email" required defaultValue={v.email} error={f.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          error={f.password}
          hint="At least 10 characters, mixing letters with digits or symbols."
        />
        <Field label="Agency name" name="agencyName" autoComplete="organization" required maxLength={120} defaultValue={v.agencyName} error={f.agencyName} />
        <Field
          label="Agency URL name (optional)"
          name="agencySlug"
          maxLength={48}
          defaultValue={v.agencySlug}
          error={f.agencySlug}
          hint="Lowercase letters, digits and dashes. Derived from the name when empty."
        />
        <Button type="submit" className="w-full" busy={busy} busyLabel="Creating…">
          Create agency
        </Button>
      </Form>
    </AuthShell>
  );
}
