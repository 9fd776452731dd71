import { Link } from "@remix-run/react";
import { cx } from "~/components/ui";

export interface BillingBannerProps {
  /** From getBillingBanner() in the agency layout's loader; null shows nothing. */
  banner: { kind: "past_due" | "read_only" | "trial_ending"; message: string; until: string | null } | null | undefined;
  agencySlug: string;
  /** Only owners get the link to the billing page (it is owner-only). */
  isOwner: boolean;
}

/** The past-due / read-only / trial-ending notice above every agency page. */
export function BillingBanner({ banner, agencySlug, isOwner }: BillingBannerProps) {
  if (!banner) return null;
  const tone = banner.kind === "read_only" ? "border-red-500/30 bg-red-500/10 text-red-200" : "border-amber-500/30 bg-amber-500/10 text-amber-200";
  return (
    <div role={banner.kind === "trial_ending" ? "status" : "alert"} className={cx("border-b px-4 py-2.5 text-sm sm:px-6", tone)}>
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-3 gap-y-1">
        <span>{banner.message}</span>
        {isOwner ? (
          <Link to={`/a/${agencySlug}/billing`} className="font-medium underline underline-offset-2 hover:opacity-80">
            Go to billing
          </Link>
        ) : (
          <span className="opacity-80">Ask an agency owner to update billing.</span>
        )}
      </div>
    </div>
  );
}
