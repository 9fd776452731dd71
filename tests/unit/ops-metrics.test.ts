/**
 * Metric labels stay bounded and never carry a secret: route labels replace slugs, ids and tokens;
 * Meta call outcomes are "ok", Meta's error code, "network" or the HTTP status; the metrics token is
 * compared exactly.
 */
import { describe, expect, it } from "vitest";
import { metaCalls, metricsAuthorized, recordMetaCall, routeLabel } from "~/.server/ops/metrics";

describe("route labels", () => {
  it.each([
    ["/login", 200, "/login"],
    ["/a/northwind", 200, "/a/:agency"],
    ["/a/northwind/w/acme-outdoor", 200, "/a/:agency/w/:workspace"],
    ["/a/northwind/w/acme-outdoor/export/campaigns", 200, "/a/:agency/w/:workspace/export/campaigns"],
    ["/invite/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", 200, "/invite/:id"],
    ["/reset-password/short", 200, "/reset-password/:id"],
    ["/meta/deletion/xyz", 200, "/meta/deletion/:id"],
    ["/assets/entry.client-abc123.js", 200, "/assets"],
    ["/anything/at/all/that/does/not/exist", 404, "(not found)"],
    ["/a/x/w/y/0d8f5a8e-1c1b-4a5e-9f0e-2b7c8d9e0f1a", 200, "/a/:agency/w/:workspace/:id"],
  ])("%s (%i) -> %s", (path, status, label) => {
    expect(routeLabel(path, status)).toBe(label);
  });
});

describe("Meta call outcomes", () => {
  it("labels success, Meta error codes, network failures and bare HTTP errors", async () => {
    metaCalls.reset();
    recordMetaCall({ status: 200 });
    recordMetaCall({ status: 400, errorCode: 190 });
    recordMetaCall({ status: 400, errorCode: 17 });
    recordMetaCall({ status: 0 });
    recordMetaCall({ status: 502 });
    const values = Object.fromEntries((await metaCalls.get()).values.map((v) => [v.labels.code, v.value]));
    expect(values).toEqual({ ok: 1, "190": 1, "17": 1, network: 1, http_502: 1 });
  });
});

describe("metrics token", () => {
  const token = "a-metrics-token-0123456789";
  it("accepts exactly the bearer token", () => {
    expect(metricsAuthorized(`Bearer ${token}`, token)).toBe(true);
    expect(metricsAuthorized(undefined, token)).toBe(false);
    expect(metricsAuthorized(token, token)).toBe(false);
    expect(metricsAuthorized(`Bearer ${token}x`, token)).toBe(false);
    expect(metricsAuthorized(`Bearer ${token.slice(0, -1)}`, token)).toBe(false);
  });
});
