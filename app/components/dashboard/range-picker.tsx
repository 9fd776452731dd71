import { Form, useSubmit } from "@remix-run/react";
import { useId, useRef, type ReactNode } from "react";

const PRESETS: [string, string][] = [
  ["today", "Today"],
  ["yesterday", "Yesterday"],
  ["last_7d", "Last 7 days"],
  ["last_14d", "Last 14 days"],
  ["last_28d", "Last 28 days"],
  ["last_30d", "Last 30 days"],
  ["last_90d", "Last 90 days"],
  ["this_month", "This month"],
  ["last_month", "Last month"],
  ["this_quarter", "This quarter"],
  ["last_quarter", "Last quarter"],
  ["custom", "Custom"],
];
const COMPARES: [string, string][] = [
  ["previous", "Previous period"],
  ["year", "Same period last year"],
  ["none", "No comparison"],
];

/** A label that names only its control (the options' text stays out of the accessible name). */
function Labelled({ id, label, children }: { id: string; label: string; children: ReactNode }) {
  return (
    <div className="text-xs text-zinc-400">
      <label htmlFor={id} className="mb-1 block">
        {label}
      </label>
      {children}
    </div>
  );
}

const selectClass = "rounded-lg border border-zinc-700 bg-zinc-900 px-2.5 py-1.5 text-sm text-zinc-100";

/**
 * Range, comparison and (optionally) ad-account filter as a GET form: the choice lives in the URL, so
 * a view can be shared. With JavaScript a change submits at once; without it, the Apply button does.
 */
export function RangePicker({
  range,
  compare,
  since,
  until,
  account,
  accounts,
  keep = {},
}: {
  range: string;
  compare: string;
  since: string;
  until: string;
  account?: string | null;
  accounts?: { id: string; label: string }[];
  keep?: Record<string, string | null | undefined>;
}) {
  const submit = useSubmit();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  const onChange = (e: React.ChangeEvent<HTMLSelectElement | HTMLInputElement>) => {
    // a custom range waits for both dates; everything else applies immediately
    if (e.target.name === "range" && e.target.value === "custom") return;
    if (form.current) submit(form.current, { preventScrollReset: true, replace: false });
  };
  return (
    // keyed by the range in effect: the inputs are uncontrolled, so a new range (a preset applied on the
    // server) remounts them and From/To always show the dates the numbers are for
    <Form
      key={`${range}:${since}:${until}:${compare}:${account ?? ""}`}
      ref={form}
      method="get"
      className="flex flex-wrap items-end gap-2"
      aria-label="Date range"
    >
      {Object.entries(keep).map(([k, v]) => (v ? <input key={k} type="hidden" name={k} value={v} /> : null))}
      <Labelled id={`${id}-range`} label="Range">
        <select id={`${id}-range`} name="range" defaultValue={range} onChange={onChange} className={selectClass}>
          {PRESETS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </Labelled>
      <Labelled id={`${id}-since`} label="From">
        <input
          id={`${id}-since`}
          type="date"
          name="since"
          defaultValue={since}
          className={selectClass}
          onChange={(e) => ((e.currentTarget.form!.elements.namedItem("range") as HTMLSelectElement).value = "custom")}
        />
      </Labelled>
      <Labelled id={`${id}-until`} label="To">
        <input
          id={`${id}-until`}
          type="date"
          name="until"
          defaultValue={until}
          className={selectClass}
          onChange={(e) => ((e.currentTarget.form!.elements.namedItem("range") as HTMLSelectElement).value = "custom")}
        />
      </Labelled>
      <Labelled id={`${id}-compare`} label="Compare to">
        <select id={`${id}-compare`} name="compare" defaultValue={compare} onChange={onChange} className={selectClass}>
          {COMPARES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </Labelled>
      {accounts && accounts.length > 1 ? (
        <Labelled id={`${id}-account`} label="Ad account">
          <select id={`${id}-account`} name="account" defaultValue={account ?? ""} onChange={onChange} className={selectClass}>
            <option value="">All accounts</option>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
              </option>
            ))}
          </select>
        </Labelled>
      ) : null}
      <button type="submit" className="h-[34px] rounded-lg border border-zinc-700 px-3 text-sm text-zinc-200 hover:bg-zinc-800">
        Apply
      </button>
    </Form>
  );
}
