import { data, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireUser } from "~/.server/auth";
import { InputError, NotFoundError } from "~/.server/errors";
import { logger } from "~/.server/logger";
import { completeConnect, MetaConnectDenied } from "~/.server/connections/connect";
import { connectionsPath } from "~/.server/connections/read";
import { MetaApiError } from "~/.server/meta/errors";
import { Alert, AuthShell } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Connecting Meta · Spendlane" }];

/**
 * The single OAuth redirect URI for connecting ad accounts. The state must belong to the signed-in
 * user's current session (CSRF and replay protection); the code never leaves the server.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const q = new URL(request.url).searchParams;
  const param = (k: string) => {
    const v = q.get(k);
    return v && v.length <= 2000 ? v : null;
  };
  try {
    const done = await completeConnect({ userId: user.id, sessionId: user.sessionId, state: param("state"), code: param("code"), error: param("error") });
    const path = await connectionsPath(user.id, done.workspaceId);
    return redirect(`${path}?pick=${done.connectionId}&${done.reconnected ? "reconnected" : "connected"}=1`);
  } catch (err) {
    if (err instanceof MetaConnectDenied && err.workspaceId) {
      const path = await connectionsPath(user.id, err.workspaceId).catch(() => null);
      if (path) return redirect(`${path}?denied=1`);
    }
    if (err instanceof InputError || err instanceof NotFoundError) return data({ message: err.message }, { status: 400 });
    if (err instanceof MetaApiError) {
      logger.warn({ err, userId: user.id }, "Meta connect callback failed");
      return data({ message: "Meta did not complete the connection. Please try again from the connections page." }, { status: 502 });
    }
    throw err;
  }
}

export default function MetaCallback() {
  const { message } = useLoaderData<typeof loader>();
  return (
    <AuthShell title="Meta connection not completed">
      <Alert tone="error">{message}</Alert>
      <p className="mt-4 text-sm text-zinc-400">
        <Link to="/a" className="text-blue-300 hover:text-blue-200">
          Back to Spendlane
        </Link>
      </p>
    </AuthShell>
  );
}
