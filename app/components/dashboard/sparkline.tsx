/** A tiny inline SVG line: no chart library for 300 rows of the overview. */
export function Sparkline({ values, label, className }: { values: number[]; label: string; className?: string }) {
  const w = 96;
  const h = 28;
  if (values.length < 2 || values.every((v) => v === 0)) {
    return (
      <svg width={w} height={h} className={className} role="img" aria-label={`${label}: no spend`}>
        <line x1="0" x2={w} y1={h - 1} y2={h - 1} className="stroke-zinc-700" strokeWidth="1" />
      </svg>
    );
  }
  const max = Math.max(...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const pts = values.map((v, i) => `${((i / (values.length - 1)) * w).toFixed(1)},${(h - 2 - ((v - min) / span) * (h - 4)).toFixed(1)}`);
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} className={className} role="img" aria-label={label}>
      <polyline points={`0,${h} ${pts.join(" ")} ${w},${h}`} className="fill-blue-500/10 stroke-none" />
      <polyline points={pts.join(" ")} fill="none" className="stroke-blue-400" strokeWidth="1.5" strokeLinejoin="round" strokeLinecap="round" />
    </svg>
  );
}
