// Meta's "Deauthorize callback URL": called when a person removes the app. Authenticated by the
// signed_request signature (so it is exempt from the CSRF origin check).
import type { ActionFunctionArgs } from "@remix-run/node";
import { InputError } from "~/.server/errors";
import { handleDeauthorize } from "~/.server/security/meta-callbacks";

// Meta probes the URL with GET when it is saved in the app dashboard.
export const loader = () => new Response("ok", { headers: { "Content-Type": "text/plain" } });

export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return Response.json({ error: "Use POST" }, { status: 405 });
  const form = await request.formData().catch(() => null);
  try {
    await handleDeauthorize(form?.get("signed_request"));
    return Response.json({ ok: true });
  } catch (err) {
    if (err instanceof InputError) return Response.json({ error: err.message }, { status: 400 });
    throw err;
  }
}
