import { Badge } from "~/components/ui";

export type SyncStateView =
  { kind: "ok" } | { kind: "syncing"; progress: number } | { kind: "needs_reauth" } | { kind: "error"; message?: string | null } | { kind: "not_connected" };

export function SyncBadge({ state }: { state: SyncStateView }) {
  switch (state.kind) {
    case "ok":
      return <Badge tone="green">OK</Badge>;
    case "syncing":
      return <Badge tone="blue">Syncing {state.progress}%</Badge>;
    case "needs_reauth":
      return <Badge tone="amber">Needs re-authorisation</Badge>;
    case "error":
      return <Badge tone="red">Error</Badge>;
    case "not_connected":
      return <Badge>Not connected</Badge>;
  }
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div>
      <div className="mb-1 flex justify-between text-xs text-zinc-400">
        <span>{label}</span>
        <span className="tabular-nums">{v}%</span>
      </div>
      <div
        className="h-2 overflow-hidden rounded-full bg-zinc-800"
        role="progressbar"
        aria-valuenow={v}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-label={label}
      >
        <div className="h-full rounded-full bg-blue-500 transition-[width]" style={{ width: `${v}%` }} />
      </div>
    </div>
  );
}
