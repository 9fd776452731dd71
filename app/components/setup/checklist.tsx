import { Link } from "@remix-run/react";
import { Card, cx } from "~/components/ui";

interface Step {
  key: string;
  label: string;
  done: boolean;
  href?: string;
}

/** The first-run checklist on the agency overview (app/.server/tenancy/setup.ts decides each step). */
export function SetupChecklist({ steps, done }: { steps: Step[]; done: number }) {
  const next = steps.find((s) => !s.done);
  return (
    <Card data-testid="setup-checklist" aria-labelledby="setup-title">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="setup-title" className="text-base font-semibold text-zinc-100">
          Get set up
        </h2>
        <p className="text-xs text-zinc-400">
          {done} of {steps.length} done
        </p>
      </div>
      <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-zinc-800" aria-hidden>
        <div className="h-full rounded-full bg-blue-500" style={{ width: `${Math.round((done / steps.length) * 100)}%` }} />
      </div>
      <ol className="mt-4 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
        {steps.map((s, i) => (
          <li
            key={s.key}
            data-step={s.key}
            data-done={s.done ? "true" : "false"}
            className={cx(
              "flex min-w-0 items-center gap-2 rounded-lg border px-3 py-2 text-sm",
              s === next ? "border-blue-500/50 bg-blue-500/5" : "border-zinc-800",
            )}
          >
            <span
              aria-hidden
              className={cx(
                "flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs",
                s.done ? "bg-emerald-500/20 text-emerald-300" : "bg-zinc-800 text-zinc-400",
              )}
            >
              {s.done ? "✓" : i + 1}
            </span>
            {s.done ? (
              <span className="min-w-0 text-zinc-400 line-through decoration-zinc-600">
                {s.label}
                <span className="sr-only"> (done)</span>
              </span>
            ) : s.href ? (
              <Link to={s.href} className="min-w-0 font-medium text-zinc-100 hover:text-blue-300">
                {s.label}
              </Link>
            ) : (
              <span className="min-w-0 text-zinc-300">{s.label}</span>
            )}
          </li>
        ))}
      </ol>
    </Card>
  );
}
