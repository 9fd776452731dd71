import { Form, useSubmit } from "@remix-run/react";
import { useRef } from "react";

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
  const form = useRef<HTMLFormElement>(null);
  const onChange = (e: React.ChangeEvent<HTMLSelectElement | HTMLInputElement>) => {
    // a custom range waits for both dates; everything else applies immediately
    if (e.target.name === "range" && e.target.value === "custom") return;
    if (form.current) submit(form.current, { preventScrollReset: true, replace: false });
  };
  return (
    <Form ref={form} method="get" className="flex flex-wrap items-end gap-2" aria-label="Date range">
      {Object.entries(keep).map(([k, v]) => (v ? <input key={k} type="hidden" name={k} value={v} /> : null))}
      <label className="text-xs text-zinc-400">
        <span className="mb-1 block">Range</span>
        <select name="range" defaultValue={range} onChange={onChange} className={selectClass}>
          {PRESETS.map(([v, l]) => (
            <option key={v} value={v}>{l}</option>
          ))}
        </select>
      </label>
      <label className="text-xs text-zinc-400">
        <span className="mb-1 block">From</span>
        <input type="date" name="since" defaultValue={since} className={selectClass} onChange={(e) => (e.currentTarget.form!.elements.namedItem("range") as HTMLSelectElement).value = "custom"} />
      </label>
      <label className="text-xs text-zinc-400">
        <span className="mb-1 block">To</span>
        <input type="date" name="until" defaultValue={until} className={selectClass} onChange={(e) => (e.currentTarget.form!.elements.namedItem("range") as HTMLSelectElement).value = "custom"} />
      </label>
      <label className="text-xs text-zinc-400">
        <span className="mb-1 block">Compare to</span>
        <select name="compare" defaultValue={compare} onChange={onChange} className={selectClass}>
          {COMPARES.map(([v, l]) => (
            <option key={v} value={v}>{l}</option>
          ))}
        </select>
      </label>
      {accounts && accounts.length > 1 ? (
        <label className="text-xs text-zinc-400">
          <span className="mb-1 block">Ad account</span>
          <select name="account" defaultValue={account ?? ""} onChange={onChange} className={selectClass}>
            <option value="">All accounts</option>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>{a.label}</option>
            ))}
          </select>
        </label>
      ) : null}
      <button type="submit" className="h-[34px] rounded-lg border border-zinc-700 px-3 text-sm text-zinc-200 hover:bg-zinc-800">Apply</button>
    </Form>
  );
}
