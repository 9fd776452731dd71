/**
 * Live-update UI: the "updated N s ago" text, the connection dot, and progress bars for running
 * syncs, fed by useLiveUpdates.
 */
import { useEffect, useState } from "react";
import { ProgressBar } from "~/components/dashboard/status";
import { formatRelativeTime } from "~/utils/format";
import type { LiveProgress } from "~/hooks/useLiveUpdates";

function parseTime(iso: string): number {
  // Postgres text ("2026-10-05 11:57:00.12+00") or ISO 8601
  return Date.parse(iso.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
}

/** "updated 12 s ago", ticking in the browser. `serverNow` keeps the first render equal to the server's. */
export function UpdatedAgo({
  at,
  serverNow,
  prefix = "Updated",
  syncing = false,
}: {
  at: string | null;
  serverNow: number;
  prefix?: string;
  /** a first import is running */ syncing?: boolean;
}) {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [at]);
  // numbers arrive chunk by chunk during the first import: "never" beside them would not be true
  if (!at) return <span data-updated-ago="">{syncing ? "First import running" : `${prefix}: not yet`}</span>;
  const t = parseTime(at);
  const s = Math.max(0, Math.round((now - t) / 1000));
  const text = Number.isNaN(t) ? formatRelativeTime(at, now) : s < 60 ? `${s} s ago` : formatRelativeTime(at, now);
  return (
    <time dateTime={Number.isNaN(t) ? undefined : new Date(t).toISOString()} data-updated-ago={Number.isNaN(t) ? "" : String(t)}>
      {prefix} {text}
    </time>
  );
}

/** A small dot: green while the live stream is open. */
export function LiveDot({ connected }: { connected: boolean }) {
  return (
    <span
      className="inline-flex items-center gap-1.5"
      data-live={connected ? "on" : "off"}
      title={connected ? "Live: numbers update by themselves" : "Reconnecting to live updates…"}
    >
      <span className={connected ? "h-2 w-2 rounded-full bg-emerald-400" : "h-2 w-2 rounded-full bg-zinc-600"} aria-hidden />
      <span className="sr-only">{connected ? "Live updates on" : "Live updates reconnecting"}</span>
      <span aria-hidden>{connected ? "Live" : "Offline"}</span>
    </span>
  );
}

/** Progress bars of syncs that are running now, one per ad account. */
export function LiveSyncProgress({ progress, accounts }: { progress: Record<string, LiveProgress>; accounts: { id: string; name: string }[] }) {
  const running = accounts
    .map((a) => ({ a, p: progress[a.id] }))
    .filter(
      (x): x is { a: { id: string; name: string }; p: LiveProgress } => !!x.p && (x.p.status === "running" || x.p.status === "queued") && x.p.progress < 100,
    );
  if (running.length === 0) return null;
  return (
    <div className="space-y-3 rounded-xl border border-zinc-800 bg-zinc-900/60 p-4" data-live-progress="">
      {running.map(({ a, p }) => (
        <ProgressBar key={a.id} value={p.progress} label={`Syncing ${a.name}`} />
      ))}
    </div>
  );
}
