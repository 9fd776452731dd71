import type { ReactNode } from "react";
import { cx } from "./cx";

type Tone = "neutral" | "blue" | "green" | "amber" | "red";
const tones: Record<Tone, string> = {
  neutral: "border-zinc-700 bg-zinc-800/60 text-zinc-300",
  blue: "border-blue-500/30 bg-blue-500/10 text-blue-300",
  green: "border-emerald-500/30 bg-emerald-500/10 text-emerald-300",
  amber: "border-amber-500/30 bg-amber-500/10 text-amber-300",
  red: "border-red-500/30 bg-red-500/10 text-red-300",
};

export function Badge({ tone = "neutral", children, className }: { tone?: Tone; children: ReactNode; className?: string }) {
  return <span className={cx("inline-flex items-center rounded-full border px-2 py-0.5 text-xs font-medium", tones[tone], className)}>{children}</span>;
}
