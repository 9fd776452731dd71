// Status page for a Meta data-deletion request (the URL Meta shows the person). Public: the
// unguessable confirmation code is the capability.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { getDeletionStatus } from "~/.server/security/meta-callbacks";

export const meta: MetaFunction = () => [{ title: "Data deletion status · Spendlane" }, { name: "robots", content: "noindex" }];

export async function loader({ params }: LoaderFunctionArgs) {
  const status = await getDeletionStatus(params.code ?? "");
  if (!status) throw new Response("Not found", { status: 404 });
  return {
    code: params.code!,
    status: status.status,
    requestedAt: status.requestedAt.toISOString(),
    completedAt: status.completedAt?.toISOString() ?? null,
    connectionsRemoved: status.connectionsRemoved,
  };
}

export default function DeletionStatus() {
  const d = useLoaderData<typeof loader>();
  return (
    <main className="mx-auto max-w-lg p-10">
      <p className="text-sm text-zinc-500">Data deletion request</p>
      <h1 className="mt-2 text-xl font-semibold text-zinc-100">
        {d.status === "completed" ? "Your Facebook data has been deleted" : "Your deletion request is being processed"}
      </h1>
      <dl className="mt-6 space-y-2 text-sm text-zinc-300">
        <div>
          <dt className="inline text-zinc-500">Confirmation code: </dt>
          <dd className="inline font-mono">{d.code}</dd>
        </div>
        <div>
          <dt className="inline text-zinc-500">Requested: </dt>
          <dd className="inline">{new Date(d.requestedAt).toUTCString()}</dd>
        </div>
        {d.completedAt ? (
          <div>
            <dt className="inline text-zinc-500">Completed: </dt>
            <dd className="inline">{new Date(d.completedAt).toUTCString()}</dd>
          </div>
        ) : null}
      </dl>
      <p className="mt-6 text-sm text-zinc-400">
        Spendlane removed the access tokens, the ad-account connections made with your Facebook login, and the link between your Facebook account and any
        Spendlane login. Advertising reports that belong to the agencies you worked with are their business records and stay with them.
      </p>
    </main>
  );
}
