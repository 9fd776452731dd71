/**
 * The configured Meta API version's health, for the boot log and the Connections page (Node only:
 * reads the environment; the version table itself is the runtime-agnostic versions.ts).
 */
import { env } from "../env";
import { versionStatus, type VersionStatus } from "./versions";

/** versionStatus of META_API_VERSION at `now`. */
export function configuredVersionStatus(now: Date = new Date()): VersionStatus {
  return versionStatus(env().META_API_VERSION, now);
}
