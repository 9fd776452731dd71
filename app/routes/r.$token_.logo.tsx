import type { LoaderFunctionArgs } from "@remix-run/node";
import { readShareLogo } from "~/.server/reports/branding";
import { SHARE_HEADERS, requireShareLink } from "~/.server/reports/share-route";

// The agency's logo for report emails (mail clients load images by URL); only behind a live link.
export async function loader({ params, context }: LoaderFunctionArgs) {
  const link = await requireShareLink(params.token, context as { clientIp?: string });
  const logo = await readShareLogo(link.agencyId);
  if (!logo) throw new Response("Not found", { status: 404, headers: SHARE_HEADERS });
  return new Response(new Uint8Array(logo.bytes), {
    headers: { ...SHARE_HEADERS, "Content-Type": logo.type, "Content-Length": String(logo.bytes.length), "X-Content-Type-Options": "nosniff" },
  });
}
