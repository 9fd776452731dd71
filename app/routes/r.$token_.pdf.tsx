import type { LoaderFunctionArgs } from "@remix-run/node";
import { reportFileName } from "~/.server/reports/delivery";
import { renderReportPdf } from "~/.server/reports/pdf";
import { SHARE_HEADERS, requireShareLink } from "~/.server/reports/share-route";
import { loadShareDocument } from "~/.server/reports/web";

// The PDF of a shared report (the same file the email attached, rendered from the same data).
export async function loader({ params, context }: LoaderFunctionArgs) {
  const link = await requireShareLink(params.token, context as { clientIp?: string });
  const doc = await loadShareDocument(link);
  const pdf = await renderReportPdf(doc);
  return new Response(new Uint8Array(pdf), {
    headers: {
      ...SHARE_HEADERS,
      "Content-Type": "application/pdf",
      "Content-Length": String(pdf.length),
      "Content-Disposition": `inline; filename="${reportFileName(doc)}"`,
    },
  });
}
