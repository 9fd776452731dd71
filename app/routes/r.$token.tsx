import type { HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { isRouteErrorResponse, useLoaderData, useRouteError } from "@remix-run/react";
import { SHARE_HEADERS, requireShareLink } from "~/.server/reports/share-route";
import { loadShareDocument, webReport } from "~/.server/reports/web";
import { WebReportView } from "~/components/reports/web-report";

// A client's report behind a share link: no login, nothing but this one report.
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.report.title} · ${data.report.client}` : "Report" },
  { name: "robots", content: "noindex, nofollow" },
  { name: "referrer", content: "no-referrer" },
];
export const headers: HeadersFunction = () => SHARE_HEADERS;

export async function loader({ params, context }: LoaderFunctionArgs) {
  const link = await requireShareLink(params.token, context as { clientIp?: string });
  const doc = await loadShareDocument(link);
  return { report: webReport(doc), pdfUrl: `/r/${params.token}/pdf`, expiresAt: link.expiresAt.toISOString().slice(0, 10) };
}

export default function SharedReport() {
  const { report, pdfUrl, expiresAt } = useLoaderData<typeof loader>();
  return <WebReportView report={report} pdfUrl={pdfUrl} expiresAt={expiresAt} />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const missing = isRouteErrorResponse(error) && error.status === 404;
  const limited = isRouteErrorResponse(error) && error.status === 429;
  return (
    <main className="flex min-h-screen items-center justify-center bg-white px-4 text-zinc-800">
      <div className="max-w-md text-center">
        <h1 className="text-xl font-semibold">
          {missing ? "This report link is not available" : limited ? "Too many requests" : "The report could not be loaded"}
        </h1>
        <p className="mt-2 text-sm text-zinc-500">
          {missing
            ? "It may have expired or been withdrawn. Ask the sender for a new link."
            : limited
              ? "Wait a minute and reload the page."
              : "Try again in a moment."}
        </p>
      </div>
    </main>
  );
}
