/**
 * 200 concurrent event streams on one server process (PostgreSQL, LISTEN path): 200 GET /events
 * fetch streams with session cookies (10 users, 20 workspaces, 10 streams per workspace), then 40
 * sync-chunk commits spread over the workspaces from another connection. Counts deliveries (each
 * commit must reach exactly the 10 streams of its workspace), errors, delivery latency (commit
 * returned -> frame read by the client), and the server's memory before and after opening the streams.
 *
 *   npx remix vite:build && npx tsx bench/sse-streams.ts   -> bench/results/sse-streams.json
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { commitChunk, root, startLiveWorld, summary } from "./live-latency";

const STREAMS = Number(process.env.SSE_STREAMS ?? 200);
const WORKSPACES = 20;
const USERS = 10;
const COMMITS = 40;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

async function main() {
  const world = await startLiveWorld("postgres", { workspaces: WORKSPACES, users: USERS, db: "spendlane_sse_bench" });
  // Node's fetch opens one connection per concurrent stream (no per-origin cap), as 200 browsers would.
  const errors: string[] = [];
  const received = new Map<string, number[]>(); // `${workspaceId}|${version}` -> receive times
  const controllers: AbortController[] = [];
  let ready = 0;
  try {
    await fetch(`${world.base}/healthz`);
    await new Promise((r) => setTimeout(r, 500));
    const rssBefore = rssKb(world.server.pid!);
    const t0 = Date.now();
    const opened = Array.from({ length: STREAMS }, async (_, i) => {
      const ws = world.workspaces[i % WORKSPACES]!;
      const user = world.users[i % USERS]!;
      const ac = new AbortController();
      controllers.push(ac);
      const res = await fetch(`${world.base}/events?workspace=${ws.id}`, {
        headers: { Cookie: user.cookie, Accept: "text/event-stream" },
        signal: ac.signal,
      });
      if (res.status !== 200) {
        errors.push(`stream ${i}: HTTP ${res.status}`);
        return;
      }
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = "";
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let k: number;
          while ((k = buf.indexOf("\n\n")) !== -1) {
            const block = buf.slice(0, k);
            buf = buf.slice(k + 2);
            if (block.includes("event: ready")) ready++;
            const m = /event: data\ndata: (.*)/.exec(block);
            if (m) {
              const d = JSON.parse(m[1]!) as { workspaceId: string; version: number };
              if (d.workspaceId !== ws.id) errors.push(`stream ${i}: event of another workspace`);
              const key = `${d.workspaceId}|${d.version}`;
              received.set(key, [...(received.get(key) ?? []), Date.now()]);
            }
          }
        }
      })().catch((err) => {
        if (!ac.signal.aborted) errors.push(`stream ${i}: ${(err as Error).message}`);
      });
    });
    await Promise.all(opened);
    const deadline = Date.now() + 30_000;
    while (ready < STREAMS && Date.now() < deadline && errors.length === 0) await new Promise((r) => setTimeout(r, 50));
    const openMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    const rssOpen = rssKb(world.server.pid!);

    const commits: { key: string; at: number }[] = [];
    for (let i = 0; i < COMMITS; i++) {
      const ws = world.workspaces[i % WORKSPACES]!;
      const { version, committedAt } = await commitChunk(world.sql, ws, (30 + i).toFixed(2));
      commits.push({ key: `${ws.id}|${version}`, at: committedAt });
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const perStream = STREAMS / WORKSPACES;
    const latencies: number[] = [];
    let delivered = 0;
    let missing = 0;
    for (const c of commits) {
      const times = received.get(c.key) ?? [];
      delivered += times.length;
      missing += Math.max(0, perStream - times.length);
      for (const t of times) latencies.push(t - c.at);
    }
    const duplicates = [...received.values()].filter((t) => t.length > perStream).length;
    const out = {
      benchmark: "sse-streams",
      description: `${STREAMS} concurrent GET /events streams on one server process (PostgreSQL LISTEN), ${COMMITS} sync-chunk commits`,
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, load1: os.loadavg()[0] },
      streams: STREAMS,
      streamsReady: ready,
      openAllMs: openMs,
      commits: COMMITS,
      expectedDeliveries: COMMITS * perStream,
      delivered,
      missing,
      duplicates,
      errors: errors.length,
      errorSamples: errors.slice(0, 5),
      deliveryLatencyMs: summary(latencies),
      serverRssMb: {
        before: Math.round(rssBefore / 102.4) / 10,
        withStreams: Math.round(rssOpen / 102.4) / 10,
        perStreamKb: Math.round((rssOpen - rssBefore) / STREAMS),
      },
    };
    fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
    fs.writeFileSync(path.join(root, "bench/results/sse-streams.json"), JSON.stringify(out, null, 2) + "\n");
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
    if (errors.length || missing) process.exitCode = 1;
  } finally {
    for (const c of controllers) c.abort();
    await world.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
