/**
 * Meta Marketing API versions: the sourced table, the default version, and how close the configured
 * one is to its end. Runtime-agnostic (plain data and Date arithmetic): the Node app, the CLI and the
 * Deno edge function read the same table.
 *
 * Source: Meta's Marketing API version history
 * (developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions),
 * read 2026-12-01. `expires` is the last day Meta answers the Marketing API at that version ("available
 * until"); null = not announced yet (Meta announces it when the next-but-one version ships). After it,
 * Marketing calls answer error 2635 ("You are calling a deprecated version of the Ads API"), or are
 * auto-upgraded when the endpoint did not change: either way the app must not rely on it.
 *
 * Policy (ADR 0070): the default is the newest live version; a test fails once the default is within
 * WARNING_DAYS of its expiry, so a dying default never ships. The emulator keeps the same table
 * (emulator/meta-graph/versions.ts; a test keeps the two equal).
 */

export interface MarketingApiVersion {
  version: string;
  /** release day, YYYY-MM-DD (UTC) */
  released: string;
  /** last day of availability, YYYY-MM-DD (UTC); null = not announced */
  expires: string | null;
}

/** Newest first. Add a row when Meta ships a version; fill `expires` when Meta announces it. */
export const MARKETING_API_VERSIONS: readonly MarketingApiVersion[] = [
  { version: "v27.0", released: "2026-11-04", expires: null },
  { version: "v26.0", released: "2026-07-29", expires: null },
  { version: "v25.0", released: "2026-02-18", expires: "2027-02-23" },
  { version: "v24.0", released: "2025-10-08", expires: "2026-11-10" },
  { version: "v23.0", released: "2025-05-29", expires: "2026-06-09" },
  { version: "v22.0", released: "2025-01-21", expires: "2026-02-19" },
];

/** What a fresh install calls: the newest live version (checked by tests/unit/meta-versions.test.ts). */
export const DEFAULT_META_API_VERSION = "v27.0";

/** Warn this many days before the configured version expires. */
export const WARNING_DAYS = 60;

const MS_DAY = 86_400_000;

export type VersionState = "ok" | "expiring" | "expired" | "unknown" | "unreleased";

export interface VersionStatus {
  version: string;
  state: VersionState;
  /** last day of availability, when known */
  expires: string | null;
  /** whole days left until the end of `expires` (negative once expired) */
  daysLeft: number | null;
  /** the newest version live at `now`: what to set */
  newest: string;
  /** one sentence for people: what is wrong and what to set (null when ok) */
  message: string | null;
}

export function findVersion(version: string): MarketingApiVersion | undefined {
  return MARKETING_API_VERSIONS.find((v) => v.version === version);
}

/** End of the last available day (UTC): a version expiring on D still answers during D. */
function endOf(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) + MS_DAY;
}

/** Versions Meta answers at `now`, newest first. */
export function liveVersions(now: Date = new Date()): MarketingApiVersion[] {
  const t = now.getTime();
  return MARKETING_API_VERSIONS.filter((v) => Date.parse(`${v.released}T00:00:00Z`) <= t && (v.expires === null || endOf(v.expires) > t));
}

export function newestLiveVersion(now: Date = new Date()): string {
  return liveVersions(now)[0]?.version ?? DEFAULT_META_API_VERSION;
}

/** How the configured version stands at `now` (boot log, connections page, connect errors). */
export function versionStatus(version: string, now: Date = new Date()): VersionStatus {
  const newest = newestLiveVersion(now);
  const row = findVersion(version);
  const set = `Set META_API_VERSION=${newest} (the newest live version) and restart Spendlane.`;
  if (!row) {
    return { version, state: "unknown", expires: null, daysLeft: null, newest, message: `Meta Marketing API ${version} is not a known version. ${set}` };
  }
  if (Date.parse(`${row.released}T00:00:00Z`) > now.getTime()) {
    return {
      version,
      state: "unreleased",
      expires: row.expires,
      daysLeft: null,
      newest,
      message: `Meta Marketing API ${version} is not released until ${row.released}. ${set}`,
    };
  }
  if (row.expires === null) return { version, state: "ok", expires: null, daysLeft: null, newest, message: null };
  const daysLeft = Math.ceil((endOf(row.expires) - now.getTime()) / MS_DAY);
  if (daysLeft <= 0) {
    return {
      version,
      state: "expired",
      expires: row.expires,
      daysLeft,
      newest,
      message: `Meta Marketing API ${version} expired on ${row.expires}; Meta refuses calls at that version. ${set}`,
    };
  }
  if (daysLeft <= WARNING_DAYS) {
    return {
      version,
      state: "expiring",
      expires: row.expires,
      daysLeft,
      newest,
      message: `Meta Marketing API ${version} expires on ${row.expires} (in ${daysLeft} day${daysLeft === 1 ? "" : "s"}). ${set}`,
    };
  }
  return { version, state: "ok", expires: row.expires, daysLeft, newest, message: null };
}

/**
 * The message for Meta's error 2635 (deprecated version) on a call made at `version`: names the
 * version and what to set, so a connect or a sync failure says how to fix it.
 */
export function deprecatedVersionMessage(version: string | undefined, now: Date = new Date()): string {
  const v = version ?? "the configured version";
  return `Meta refused Marketing API ${v} as deprecated (error 2635). Set META_API_VERSION=${newestLiveVersion(now)} (the newest live version) and restart Spendlane.`;
}
