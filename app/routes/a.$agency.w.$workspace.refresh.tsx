/**
 * POST: queue a manual sync of every ad account of the workspace (agency members and above).
 * Answers JSON with each account's state and when its sync will run (later when Meta's rate limit
 * asked us to wait). Client viewers get the same 404 as outsiders.
 */
import { data, type ActionFunctionArgs } from "@remix-run/node";
import { notFound, requireWorkspace } from "~/.server/auth";
import { expectedFailure } from "~/.server/errors";
import { queueWorkspaceRefresh } from "~/.server/sync/refresh";

export async function loader() {
  throw new Response("Method Not Allowed", { status: 405, headers: { Allow: "POST" } });
}

export async function action({ request, params }: ActionFunctionArgs) {
  if (request.method !== "POST") throw new Response("Method Not Allowed", { status: 405, headers: { Allow: "POST" } });
  const { user, role, workspace } = await requireWorkspace(request, params.agency, params.workspace);
  if (role === "viewer") notFound();
  if (workspace.archivedAt) return data({ ok: false as const, error: "This client is archived; restore it to sync again." }, { status: 400 });
  try {
    const accounts = await queueWorkspaceRefresh(user.id, workspace.id);
    return data({ ok: true as const, accounts });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: false as const, error: failure.error }, { status: failure.status });
  }
}
