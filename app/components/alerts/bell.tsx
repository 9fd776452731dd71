/**
 * The alerts bell in the agency header: the number of open alerts for the signed-in person. It lives
 * in the layout's loader, so every live revalidation (an alert opening or clearing publishes a data
 * event on the same bus) refreshes it without a reload.
 */
import { Link } from "@remix-run/react";
import { cx } from "~/components/ui";

export function AlertBell({ count, href }: { count: number; href: string }) {
  const label = count === 0 ? "No open alerts" : `${count} open ${count === 1 ? "alert" : "alerts"}`;
  return (
    <Link
      to={href}
      className="relative inline-flex items-center rounded-md px-2 py-1.5 text-zinc-400 hover:bg-zinc-900 hover:text-zinc-100"
      aria-label={label}
      title={label}
      data-testid="alert-bell"
      data-count={count}
    >
      <svg
        aria-hidden="true"
        viewBox="0 0 24 24"
        className="h-5 w-5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      >
        <path d="M6 8a6 6 0 1 1 12 0c0 7 3 8 3 8H3s3-1 3-8" />
        <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
      </svg>
      <span
        className={cx(
          "ml-1 min-w-[1.25rem] rounded-full px-1.5 text-center text-xs font-semibold tabular-nums",
          count > 0 ? "bg-red-500/90 text-white" : "bg-zinc-800 text-zinc-400",
        )}
        data-testid="alert-count"
      >
        {count > 99 ? "99+" : count}
      </span>
    </Link>
  );
}
