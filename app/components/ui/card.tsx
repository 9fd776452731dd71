import type { HTMLAttributes, ReactNode } from "react";
import { cx } from "./cx";

/** A rounded panel. `flush` drops the padding (for lists and tables that run edge to edge). */
export function Card({ className, flush, ...rest }: HTMLAttributes<HTMLDivElement> & { flush?: boolean }) {
  return <div className={cx("rounded-xl border border-zinc-800 bg-zinc-900/60 shadow-sm", flush ? "overflow-hidden" : "p-5", className)} {...rest} />;
}

export function CardTitle({ children, description }: { children: ReactNode; description?: ReactNode }) {
  return (
    <div className="mb-4">
      <h2 className="text-base font-semibold text-zinc-100">{children}</h2>
      {description ? <p className="mt-1 text-sm text-zinc-400">{description}</p> : null}
    </div>
  );
}
