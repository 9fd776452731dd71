import type { LoaderFunctionArgs } from "@remix-run/node";
import { getUser } from "~/.server/auth";
import { mintRealtimeToken, realtimeConfig } from "~/.server/realtime/supabase-token";

// GET /realtime/token: a short-lived Supabase Realtime token for the signed-in user (ADR 0110).
// 404 where this deployment does not use Supabase Realtime; 401 when signed out.
export async function loader({ request }: LoaderFunctionArgs) {
  const headers = { "Cache-Control": "no-store" };
  if (!realtimeConfig()) return new Response("Not found", { status: 404, headers });
  const user = await getUser(request);
  if (!user) return new Response("Sign in to receive live updates", { status: 401, headers });
  return Response.json(await mintRealtimeToken(user.id), { headers });
}
