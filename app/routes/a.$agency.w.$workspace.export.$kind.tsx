import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requireWorkspace } from "~/.server/auth";
import { workspaceExport } from "~/.server/reporting/dashboard";

const kindSchema = z.enum(["campaigns", "daily"]);

// CSV of the campaign table or the daily series for the range in the URL (the same query string as
// the dashboard), named after the client and the range. Anyone who may see the workspace may export it.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, workspace } = await requireWorkspace(request, params.agency, params.workspace);
  const kind = kindSchema.safeParse(params.kind);
  if (!kind.success) throw new Response("Not found", { status: 404 });
  const { csv, fileName } = await workspaceExport({
    userId: user.id,
    workspaceId: workspace.id,
    workspaceSlug: workspace.slug,
    url: new URL(request.url),
    kind: kind.data,
  });
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "private, no-store",
    },
  });
}
