import { useRef, type ReactNode } from "react";
import { buttonClass } from "./button";
import { cx } from "./cx";

/**
 * A destructive action that asks first: the trigger opens a small panel that says what will happen,
 * with the real submit button and Cancel. Built on <details> so it works before (and without)
 * JavaScript; the submit button carries `name`/`value` for the surrounding <Form>.
 */
export function ConfirmAction({
  label,
  srLabel,
  title,
  children,
  confirmLabel,
  name = "intent",
  value,
  align = "right",
  triggerClassName,
  testId,
}: {
  /** the trigger's visible text */
  label: string;
  /** extra words for screen readers (which client, which connection) */
  srLabel?: string;
  title: string;
  /** what happens, and any options (inputs inside belong to the form) */
  children?: ReactNode;
  confirmLabel: string;
  name?: string;
  value: string;
  align?: "left" | "right";
  triggerClassName?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLDetailsElement>(null);
  return (
    <details ref={ref} className="group relative inline-block text-left" data-confirm={testId}>
      <summary className={cx("cursor-pointer list-none [&::-webkit-details-marker]:hidden", triggerClassName ?? buttonClass("ghost", "sm"))}>
        {label}
        {srLabel ? <span className="sr-only"> {srLabel}</span> : null}
      </summary>
      <div
        role="group"
        aria-label={title}
        className={cx(
          "absolute z-30 mt-2 w-72 max-w-[calc(100vw-2rem)] space-y-3 rounded-lg border border-zinc-700 bg-zinc-900 p-4 text-sm whitespace-normal text-zinc-200 shadow-xl",
          align === "right" ? "right-0" : "left-0",
        )}
      >
        <p className="font-medium text-zinc-50">{title}</p>
        {children ? <div className="text-xs text-zinc-300">{children}</div> : null}
        <div className="flex justify-end gap-2">
          <button type="button" className={buttonClass("ghost", "sm")} onClick={() => ref.current && (ref.current.open = false)}>
            Cancel
          </button>
          <button type="submit" name={name} value={value} className={buttonClass("danger", "sm")}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </details>
  );
}
