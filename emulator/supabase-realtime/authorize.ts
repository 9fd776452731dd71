/**
 * How Supabase Realtime decides a private-channel join (supabase/realtime
 * lib/realtime/tenants/authorization.ex, read policies): in one transaction, insert a `broadcast` and
 * a `presence` row for the topic into realtime.messages (as the connection's role, so no policy
 * applies), then set `role` to the JWT's role, `realtime.topic`, `request.jwt.claims` and
 * `request.headers` (all local), select those two rows back under the user's RLS, and roll back.
 * A row the select returns is a read the policies grant.
 */
import type postgres from "postgres";

export interface ReadPolicies {
  broadcast: boolean;
  presence: boolean;
}

export async function readPolicies(
  sql: postgres.Sql,
  topic: string,
  claims: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<ReadPolicies> {
  const role = typeof claims.role === "string" ? claims.role : "";
  const conn = await sql.reserve();
  try {
    await conn`begin`;
    const rows = await conn<{ id: string; extension: string }[]>`
      insert into realtime.messages (topic, extension) values (${topic}, 'broadcast'), (${topic}, 'presence')
      returning id::text, extension`;
    const broadcastId = rows.find((r) => r.extension === "broadcast")!.id;
    const presenceId = rows.find((r) => r.extension === "presence")!.id;
    await conn`select set_config('role', ${role}, true), set_config('realtime.topic', ${topic}, true),
      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
      set_config('request.headers', ${JSON.stringify(headers)}, true)`;
    const seen = await conn<{ id: string }[]>`
      select id::text from realtime.messages
      where topic = ${topic} and ((extension = 'broadcast' and id = ${broadcastId}) or (extension = 'presence' and id = ${presenceId}))`;
    return { broadcast: seen.some((r) => r.id === broadcastId), presence: seen.some((r) => r.id === presenceId) };
  } finally {
    await conn`rollback`.catch(() => {});
    conn.release();
  }
}
