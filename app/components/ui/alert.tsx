import type { ReactNode } from "react";
import { cx } from "./cx";

type Tone = "info" | "success" | "warning" | "error";
const tones: Record<Tone, string> = {
  info: "border-blue-500/30 bg-blue-500/10 text-blue-200",
  success: "border-emerald-500/30 bg-emerald-500/10 text-emerald-200",
  warning: "border-amber-500/30 bg-amber-500/10 text-amber-200",
  error: "border-red-500/30 bg-red-500/10 text-red-200",
};

/** A notice box. Errors are announced immediately (role=alert); other tones politely (role=status). */
export function Alert({ tone = "info", title, children, className }: { tone?: Tone; title?: ReactNode; children?: ReactNode; className?: string }) {
  return (
    <div role={tone === "error" ? "alert" : "status"} className={cx("rounded-lg border px-4 py-3 text-sm", tones[tone], className)}>
      {title ? <p className="font-medium">{title}</p> : null}
      {children ? <div className={title ? "mt-1 opacity-90" : undefined}>{children}</div> : null}
    </div>
  );
}

/** Summary above a form: the message, plus field errors that have no visible field of their own. */
export function FormErrorSummary({ error, fields, visibleFields = [] }: { error?: string | null; fields?: Record<string, string>; visibleFields?: string[] }) {
  if (!error) return null;
  const extra = Object.entries(fields ?? {}).filter(([k]) => !visibleFields.includes(k));
  return (
    <Alert tone="error" title={error}>
      {extra.length ? (
        <ul className="list-disc pl-5">
          {extra.map(([k, v]) => (
            <li key={k}>{v}</li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}
