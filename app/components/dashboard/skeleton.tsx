import { cx } from "~/components/ui";

/** A quiet placeholder block while something loads (charts, reach). */
export function Skeleton({ className, label }: { className?: string; label: string }) {
  return (
    <div className={cx("animate-pulse rounded-lg bg-zinc-800/60", className)} aria-busy="true" role="status">
      <span className="sr-only">Loading {label}</span>
    </div>
  );
}
