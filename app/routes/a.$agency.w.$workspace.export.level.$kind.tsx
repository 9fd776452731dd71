import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireWorkspace } from "~/.server/auth";
import { levelExport } from "~/.server/reporting/drill-pages";

// CSV of campaigns, ad sets, ads or one audience breakdown for the range, account and scope
// (?campaign=, ?adset=) in the URL. Anyone who may see the workspace may export it.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, workspace } = await requireWorkspace(request, params.agency, params.workspace);
  const { csv, fileName } = await levelExport({
    userId: user.id,
    workspaceId: workspace.id,
    workspaceSlug: workspace.slug,
    kind: params.kind ?? "",
    url: new URL(request.url),
  });
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "private, no-store",
    },
  });
}
