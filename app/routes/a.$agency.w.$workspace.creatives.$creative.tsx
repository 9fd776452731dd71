import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireWorkspace } from "~/.server/auth";
import { creativeImage } from "~/.server/reporting/drill-pages";

// A creative image from our database: the browser never calls Meta (img-src 'self'). Private cache:
// the image belongs to a client; its hash is the ETag.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, workspace } = await requireWorkspace(request, params.agency, params.workspace);
  const img = await creativeImage({ userId: user.id, workspaceId: workspace.id, creativeId: params.creative ?? "" });
  const etag = img.sha256 ? `"${img.sha256}"` : null;
  const headers: Record<string, string> = {
    "Content-Type": img.content_type,
    "Cache-Control": "private, max-age=86400",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
  };
  if (etag) headers.ETag = etag;
  if (etag && request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(Buffer.from(img.bytes), { headers: { ...headers, "Content-Length": String(img.bytes.length) } });
}
