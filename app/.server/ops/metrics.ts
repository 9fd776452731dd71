/**
 * Prometheus metrics (prom-client), one registry per process. Two kinds of series:
 * - this process's own counters and histograms (HTTP latency by route, Meta calls by error code,
 *   sync runs by outcome, reporting-cache hits), which Prometheus sums across processes;
 * - shared state read from the database at scrape time (queue depth and age, seconds since each
 *   account's last successful sync), the same from whichever process is scraped.
 *
 * Served on the app's port at /metrics with a bearer token (METRICS_TOKEN), or without one on a
 * separate internal port (METRICS_PORT, loopback by default): never open on the public port.
 * Labels are bounded: routes are URL patterns (ids and tokens replaced), codes are Meta's numbers.
 */
import http from "node:http";
import { timingSafeEqual } from "node:crypto";
import client from "prom-client";

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: "spendlane_" });

export const httpDuration = new client.Histogram({
  name: "spendlane_http_request_duration_seconds",
  help: "HTTP request latency by route pattern, method and status class",
  labelNames: ["route", "method", "status"] as const,
  buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const metaCalls = new client.Counter({
  name: "spendlane_meta_calls_total",
  help: "Graph API calls by outcome: ok, or Meta's error code (network for no response)",
  labelNames: ["code"] as const,
  registers: [registry],
});

export const syncRuns = new client.Counter({
  name: "spendlane_sync_runs_total",
  help: "Sync runs finished by this process, by outcome",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

/** A gauge whose value is read when scraped. */
export function gaugeFrom(name: string, help: string, read: () => number | Promise<number>) {
  return new client.Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read());
    },
  });
}

/** A labelled gauge filled at scrape time from rows. */
export function labelledGaugeFrom<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Promise<{ labels: Record<L, string>; value: number }[]>,
) {
  return new client.Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await read()) this.set(r.labels as Partial<Record<L, string>>, r.value);
    },
  });
}

/** One Graph call's outcome (the Graph client reports each call here). */
export function recordMetaCall(c: { status: number; errorCode?: number }) {
  metaCalls.inc({
    code:
      c.status >= 200 && c.status < 300 && c.errorCode === undefined
        ? "ok"
        : c.errorCode !== undefined
          ? String(c.errorCode)
          : c.status === 0
            ? "network"
            : `http_${c.status}`,
  });
}

const SECRET_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|act_\d+|[A-Za-z0-9_-]{20,})$/;

/**
 * A bounded route label for a request path: agency and workspace slugs become :agency and
 * :workspace, ids and tokens :id, static assets one label, and anything that answered 404 one label.
 */
export function routeLabel(pathname: string, status: number): string {
  if (status === 404) return "(not found)";
  if (pathname.startsWith("/assets/")) return "/assets";
  const parts = pathname.split("/").filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < parts.length && i < 6; i++) {
    const prev = parts[i - 1];
    if (prev === "a" && i === 1) out.push(":agency");
    else if (prev === "w" && out[1] === ":agency" && i === 3) out.push(":workspace");
    else if (SECRET_SEGMENT.test(parts[i]!) || (i > 0 && ["invite", "reset-password", "deletion", "r"].includes(prev!))) out.push(":id");
    else out.push(parts[i]!.slice(0, 40));
  }
  return `/${out.join("/")}`;
}

export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** Whether an Authorization header carries METRICS_TOKEN (compared in constant time). */
export function metricsAuthorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The internal metrics listener (METRICS_PORT): /metrics only, no token, bound to `host`. */
export function startMetricsServer(port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    metricsText().then(
      (m) => res.writeHead(200, { "Content-Type": m.contentType, "Cache-Control": "no-store" }).end(m.body),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
