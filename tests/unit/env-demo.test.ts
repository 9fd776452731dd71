/**
 * Review finding 4 and the "demo must be explicit" item: demo mode was inferred from a missing
 * META_APP_ID even with DATABASE_URL and NODE_ENV=production, which made /dev/outbox (every reset
 * link) public. Now only SPENDLANE_DEMO turns it on, and production outside the demo needs APP_URL.
 */
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../app/.server/env";
import { isDemo } from "../../app/.server/runtime";

const secrets = { SESSION_SECRET: "s".repeat(40), VAULT_KEY: Buffer.alloc(32, 7).toString("base64") };

describe("demo mode and the public origin", () => {
  it("demo mode is never inferred", () => {
    expect(isDemo({})).toBe(false);
    expect(isDemo({ DATABASE_URL: "postgres://db/x", NODE_ENV: "production" })).toBe(false);
    expect(isDemo({ META_APP_ID: "" })).toBe(false);
    expect(isDemo({ SPENDLANE_DEMO: "0" })).toBe(false);
    expect(isDemo({ SPENDLANE_DEMO: "1" })).toBe(true);
    expect(isDemo({ SPENDLANE_DEMO: "true" })).toBe(true);
  });

  it("production outside the demo refuses to start without APP_URL", () => {
    const prod = { NODE_ENV: "production", DATABASE_URL: "postgres://db.example/spendlane", ...secrets };
    expect(() => parseEnv(prod)).toThrow(/APP_URL/);
    expect(() => parseEnv({ ...prod, SPENDLANE_DEMO: "0" })).toThrow(/APP_URL/);
    expect(parseEnv({ ...prod, APP_URL: "https://app.example.com" }).APP_URL).toBe("https://app.example.com");
    // the local demo may run without one (links point at loopback origins only)
    expect(parseEnv({ ...prod, SPENDLANE_DEMO: "1" }).SPENDLANE_DEMO).toBe(true);
    // development needs none
    expect(() => parseEnv({ DATABASE_URL: "postgres://db.example/spendlane", ...secrets })).not.toThrow();
  });

  it("TRUST_PROXY takes a hop count or addresses, never a blanket true", () => {
    const base = { DATABASE_URL: "postgres://db.example/spendlane", ...secrets };
    expect(parseEnv(base).TRUST_PROXY).toBeUndefined();
    expect(parseEnv({ ...base, TRUST_PROXY: "1" }).TRUST_PROXY).toBe(1);
    expect(parseEnv({ ...base, TRUST_PROXY: "loopback, 10.0.0.0/8" }).TRUST_PROXY).toBe("loopback, 10.0.0.0/8");
    expect(parseEnv({ ...base, TRUST_PROXY: "false" }).TRUST_PROXY).toBe(false);
    expect(() => parseEnv({ ...base, TRUST_PROXY: "true" })).toThrow(/TRUST_PROXY/);
  });
});
