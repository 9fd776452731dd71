/**
 * The Meta API version table and the default version (ADR 0070). The first test runs on the real
 * clock on purpose: it fails the day the default version is within 60 days of its expiry, so nobody
 * ships a dying default (update DEFAULT_META_API_VERSION and the table from Meta's version history).
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_META_API_VERSION,
  MARKETING_API_VERSIONS,
  WARNING_DAYS,
  deprecatedVersionMessage,
  newestLiveVersion,
  versionStatus,
} from "../../app/.server/meta/versions";
import { MARKETING_VERSIONS, liveMarketingVersions } from "../../emulator/meta-graph/versions";
import { envSchema } from "../../app/.server/env";
import { classifyGraphError } from "../../app/.server/meta/errors";
import { logVersionHealth } from "../../app/.server/meta/version-health";

describe("Meta API versions", () => {
  it(`the default version is live today and not within ${WARNING_DAYS} days of its expiry`, () => {
    const s = versionStatus(DEFAULT_META_API_VERSION, new Date());
    expect(s.message).toBeNull();
    expect(s.state).toBe("ok");
  });

  it("the default is the newest live version, and what the environment defaults to", () => {
    expect(newestLiveVersion(new Date())).toBe(DEFAULT_META_API_VERSION);
    expect(envSchema.parse({}).META_API_VERSION).toBe(DEFAULT_META_API_VERSION);
  });

  it("the emulator keeps the same table", () => {
    expect(MARKETING_VERSIONS).toEqual(MARKETING_API_VERSIONS);
  });

  it("on 2026-12-01 the live versions are v27.0, v26.0 and v25.0 (Meta's version history)", () => {
    expect(liveMarketingVersions(Date.parse("2026-12-01T12:00:00Z"))).toEqual(["v27.0", "v26.0", "v25.0"]);
  });

  it("states: ok, expiring from 60 days before, expired after the last day, unknown", () => {
    expect(versionStatus("v25.0", new Date("2026-12-01T00:00:00Z")).state).toBe("ok");
    // v25.0 is available until 2027-02-23: 60 days before the end of that day is 2026-12-26
    expect(versionStatus("v25.0", new Date("2026-12-25T23:00:00Z")).state).toBe("ok");
    const warn = versionStatus("v25.0", new Date("2026-12-26T00:00:00Z"));
    expect(warn).toMatchObject({ state: "expiring", daysLeft: 60, expires: "2027-02-23" });
    expect(warn.message).toContain("Set META_API_VERSION=v27.0");
    expect(versionStatus("v24.0", new Date("2026-11-10T23:59:00Z")).state).toBe("expiring");
    const dead = versionStatus("v24.0", new Date("2026-12-01T00:00:00Z"));
    expect(dead.state).toBe("expired");
    expect(dead.message).toBe(
      "Meta Marketing API v24.0 expired on 2026-11-10; Meta refuses calls at that version. Set META_API_VERSION=v27.0 (the newest live version) and restart Spendlane.",
    );
    expect(versionStatus("v99.0", new Date("2026-12-01T00:00:00Z")).state).toBe("unknown");
    expect(versionStatus("v2.0", new Date("2026-12-01T00:00:00Z")).state).toBe("unknown");
  });

  it("Meta's 2635 becomes an error that names the version and what to set", () => {
    const e = classifyGraphError(
      400,
      {
        error: {
          message: "(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v27.0.",
          type: "OAuthException",
          code: 2635,
        },
      },
      undefined,
      "/v24.0/me/adaccounts",
    );
    expect(e.kind).toBe("invalid_request");
    expect(e.code).toBe(2635);
    expect(e.message).toContain("Marketing API v24.0");
    expect(e.message).toContain(`META_API_VERSION=${newestLiveVersion()}`);
    expect(deprecatedVersionMessage(undefined)).toContain("the configured version");
  });
});

describe("boot check", () => {
  const capture = () => {
    const lines: { level: string; msg: string }[] = [];
    return {
      lines,
      log: {
        warn: (_o: object, msg: string) => void lines.push({ level: "warn", msg }),
        error: (_o: object, msg: string) => void lines.push({ level: "error", msg }),
      },
    };
  };
  it("is quiet for a healthy version, warns from 60 days before the end, errors (with a banner line) after it", () => {
    const ok = capture();
    expect(logVersionHealth("v27.0", ok.log, new Date("2026-12-01T00:00:00Z"))).toBeNull();
    expect(ok.lines).toEqual([]);
    const soon = capture();
    expect(logVersionHealth("v25.0", soon.log, new Date("2027-01-10T00:00:00Z"))).toBeNull();
    expect(soon.lines).toEqual([{ level: "warn", msg: expect.stringContaining("expires on 2027-02-23") }]);
    const dead = capture();
    expect(logVersionHealth("v24.0", dead.log, new Date("2026-12-01T00:00:00Z"))).toMatch(/^Warning: Meta Marketing API v24.0 expired on 2026-11-10/);
    expect(dead.lines).toEqual([{ level: "error", msg: expect.stringContaining("Set META_API_VERSION=v27.0") }]);
  });
});
