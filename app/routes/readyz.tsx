// Readiness for load balancers and orchestrators: 200 when this process can take traffic (database
// reachable, migrations applied, its sync worker alive, not shutting down), 503 with the failing
// checks otherwise. /healthz stays the bare liveness check.
import { readiness } from "~/.server/ops/health";

export async function loader() {
  const r = await readiness();
  return Response.json(r, { status: r.ready ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
