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

interface WarnLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The boot check: logs a warning from 60 days before the version's end and an error after it (or for
 * an unknown version); returns the line for the start-up banner when it is an error, else null.
 */
export function logVersionHealth(version: string, log: WarnLog, now: Date = new Date()): string | null {
  const api = versionStatus(version, now);
  if (api.state === "ok") return null;
  if (api.state === "expiring") {
    log.warn({ metaApiVersion: api.version, expires: api.expires }, api.message!);
    return null;
  }
  log.error({ metaApiVersion: api.version, state: api.state, expires: api.expires }, api.message!);
  return `Warning: ${api.message}`;
}
