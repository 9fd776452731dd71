/**
 * The emulator's version table: which `/vNN.N/` prefixes it answers, judged at the emulator's clock.
 * Same facts as app/.server/meta/versions.ts (tests/unit/meta-versions.test.ts keeps them equal); the
 * emulator keeps its own copy because it is a standalone program that imports nothing from the app.
 *
 * - Marketing API paths (ad accounts, campaigns, insights, report runs, businesses): a version that
 *   expired (after its last day) or that Meta never released answers error 2635 "You are calling a
 *   deprecated version of the Ads API. Please update to the latest version: vNN.0." (HTTP 400).
 * - Plain Graph paths (me, debug_token, oauth, dialog): the Graph API keeps a version for two years,
 *   so a version Meta released is accepted; unknown or unreleased ones answer the same 2635.
 * Source: Marketing API version history and Graph API changelog (reference §0).
 */
import { GraphError } from "./errors";

export interface VersionRow {
  version: string;
  released: string;
  /** last day the Marketing API answers at this version; null = not announced */
  expires: string | null;
}

export const MARKETING_VERSIONS: readonly VersionRow[] = [
  { version: "v27.0", released: "2026-11-04", expires: null },
  { version: "v26.0", released: "2026-07-29", expires: null },
  { version: "v25.0", released: "2026-02-18", expires: "2027-02-23" },
  { version: "v24.0", released: "2025-10-08", expires: "2026-11-10" },
  { version: "v23.0", released: "2025-05-29", expires: "2026-06-09" },
  { version: "v22.0", released: "2025-01-21", expires: "2026-02-19" },
];

/** Graph API versions older than the Marketing table that plain Graph paths still know. */
const OLDER_GRAPH_VERSIONS: readonly VersionRow[] = [
  { version: "v21.0", released: "2024-10-02", expires: "2027-01-21" },
  { version: "v20.0", released: "2024-05-21", expires: "2026-09-24" },
  { version: "v19.0", released: "2024-01-23", expires: "2026-05-21" },
  { version: "v18.0", released: "2023-09-12", expires: "2026-01-26" },
];

const MS_DAY = 86_400_000;
const start = (d: string) => Date.parse(`${d}T00:00:00Z`);

export interface VersionPolicy {
  /** explicit allow-list (EmulatorOptions.versions): replaces the table */
  allow?: string[];
  /** version named in the 2635 message; default: the newest live one at the clock */
  latest?: string;
}

export function liveMarketingVersions(nowMs: number): string[] {
  return MARKETING_VERSIONS.filter((v) => start(v.released) <= nowMs && (v.expires === null || start(v.expires) + MS_DAY > nowMs)).map((v) => v.version);
}

function deprecated(latest: string): GraphError {
  return new GraphError(400, {
    message: `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: ${latest}.`,
    type: "OAuthException",
    code: 2635,
  });
}

/** Throws Meta's 2635 when `version` is not answered at `nowMs` for this kind of path. */
export function checkVersion(version: string | null, marketing: boolean, nowMs: number, policy: VersionPolicy = {}): void {
  const live = liveMarketingVersions(nowMs);
  const latest = policy.latest ?? live[0] ?? MARKETING_VERSIONS[0]!.version;
  // Marketing API does not accept unversioned calls; plain Graph paths fall back to the app's version.
  if (!version) {
    if (marketing) throw deprecated(latest);
    return;
  }
  if (policy.allow) {
    if (!policy.allow.includes(version)) throw deprecated(latest);
    return;
  }
  if (marketing) {
    if (!live.includes(version)) throw deprecated(latest);
    return;
  }
  const known = [...MARKETING_VERSIONS, ...OLDER_GRAPH_VERSIONS].find((v) => v.version === version);
  if (!known || start(known.released) > nowMs) throw deprecated(latest);
}

/** True when `version` ("v25.0") is at least major `major`; unversioned calls count as the newest. */
export function versionAtLeast(version: string | null, major: number): boolean {
  if (!version) return true;
  return Number(/^v(\d+)/.exec(version)?.[1] ?? 0) >= major;
}
