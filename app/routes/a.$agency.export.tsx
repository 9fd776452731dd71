// Owner data export: GET downloads the agency's data as CSV files in a zip.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireAgencyRole } from "~/.server/auth";
import { buildAgencyExport } from "~/.server/security/export";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner"]);
  const zip = await buildAgencyExport(user.id, agency.id);
  const day = new Date().toISOString().slice(0, 10);
  return new Response(new Uint8Array(zip), {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="spendlane-${agency.slug}-${day}.zip"`,
      "Content-Length": String(zip.byteLength),
      "Cache-Control": "no-store",
    },
  });
}
