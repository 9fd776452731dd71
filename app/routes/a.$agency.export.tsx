// Owner data export: GET downloads the agency's data as CSV files in a zip, streamed as it is built.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireAgencyRole } from "~/.server/auth";
import { streamAgencyExport } from "~/.server/security/export";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner"]);
  const zip = await streamAgencyExport(user.id, agency.id);
  const day = new Date().toISOString().slice(0, 10);
  return new Response(zip, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="spendlane-${agency.slug}-${day}.zip"`,
      "Cache-Control": "no-store",
    },
  });
}
