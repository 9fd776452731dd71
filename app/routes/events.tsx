import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getUser, requireAgency } from "~/.server/auth";
import { openEventStream, type StreamScope } from "~/.server/realtime/sse";

// GET /events?workspace=<id>&workspace=<id> (workspace pages) or /events?agency=<slug> (overview):
// Server-Sent Events of those workspaces, for the signed-in user, limited to what RLS shows them.
const query = z.union([
  z.object({ workspace: z.array(z.string().uuid()).min(1).max(50), agency: z.undefined() }),
  z.object({ workspace: z.array(z.string()).max(0), agency: z.string().min(1).max(48) }),
]);

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getUser(request);
  // An EventSource cannot follow a login redirect usefully: answer 401 and let the page handle it.
  if (!user) return new Response("Sign in to receive live updates", { status: 401, headers: { "Cache-Control": "no-store" } });
  const url = new URL(request.url);
  const parsed = query.safeParse({ workspace: url.searchParams.getAll("workspace"), agency: url.searchParams.get("agency") ?? undefined });
  if (!parsed.success) {
    return new Response("Name one agency (?agency=<slug>) or up to 50 workspace ids (?workspace=<uuid>)", {
      status: 400,
      headers: { "Cache-Control": "no-store" },
    });
  }
  let scope: StreamScope;
  if (parsed.data.agency !== undefined) {
    const { agency } = await requireAgency(request, parsed.data.agency);
    scope = { kind: "agency", agencyId: agency.id };
  } else {
    scope = { kind: "workspaces", ids: [...new Set(parsed.data.workspace)] };
  }
  const response = await openEventStream(request, user.id, scope);
  return response ?? new Response("Not found", { status: 404, headers: { "Cache-Control": "no-store" } });
}
