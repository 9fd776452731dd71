// A bare resource route: liveness for load balancers, and the baseline the dashboard benchmarks
// compare loaders against (same server, same Remix request handling, no database).
export const loader = () => new Response("ok", { headers: { "Content-Type": "text/plain", "Cache-Control": "no-store" } });
