// Meta's "Data deletion request URL": deletes the person's Meta data and answers the status URL and
// confirmation code Meta shows them. Authenticated by the signed_request signature.
import type { ActionFunctionArgs } from "@remix-run/node";
import { InputError } from "~/.server/errors";
import { handleDataDeletion } from "~/.server/security/meta-callbacks";
import { appBaseUrl } from "~/.server/mail";

// Meta probes the URL with GET when it is saved in the app dashboard.
export const loader = () => new Response("ok", { headers: { "Content-Type": "text/plain" } });

export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return Response.json({ error: "Use POST" }, { status: 405 });
  const form = await request.formData().catch(() => null);
  try {
    const answer = await handleDataDeletion(form?.get("signed_request"), appBaseUrl(request));
    return Response.json(answer);
  } catch (err) {
    if (err instanceof InputError) return Response.json({ error: err.message }, { status: 400 });
    throw err;
  }
}
