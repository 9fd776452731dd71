/**
 * Conformance: the emulator answers Marketing API versions by Meta's version table at its own clock
 * (expired and unknown versions: #2635), and checks the access token before looking objects up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_US, boot, Ctx, expectGraphError } from "./helpers";

let c: Ctx;
beforeAll(async () => {
  c = await boot();
});
afterAll(async () => {
  await c.close();
});

const at = (now: string) => c.ctl("/clock", { now });

describe("versions at the emulator clock", () => {
  it("on 2026-12-01: v25/v26/v27 answer; v24.0 (expired 2026-11-10), v2.0 and v99.0 answer 2635", async () => {
    await at("2026-12-01T12:00:00Z");
    for (const v of ["v25.0", "v26.0", "v27.0"]) expect((await c.get(`/${v}/${ACT_US}/campaigns`)).status, v).toBe(200);
    for (const v of ["v24.0", "v2.0", "v99.0", "v23.0"]) {
      const r = await c.get(`/${v}/${ACT_US}/insights`);
      expectGraphError(r, 400, 2635);
      expect(r.body.error.message).toBe("(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v27.0.");
      expect(r.body.error.type).toBe("OAuthException");
    }
  });

  it("judges by the clock: v24.0 answers on its last day, fails the day after; v27.0 does not exist before 2026-11-04", async () => {
    await at("2026-11-10T23:00:00Z");
    expect((await c.get(`/v24.0/${ACT_US}`)).status).toBe(200);
    await at("2026-11-11T00:30:00Z");
    expectGraphError(await c.get(`/v24.0/${ACT_US}`), 400, 2635);
    await at("2026-10-01T00:00:00Z");
    const r = await c.get(`/v27.0/${ACT_US}`);
    expectGraphError(r, 400, 2635);
    expect(r.body.error.message).toContain("latest version: v26.0.");
  });

  it("plain Graph paths keep a retired Marketing version (Graph versions live two years), unknown ones fail", async () => {
    await at("2026-12-01T12:00:00Z");
    expect((await c.get(`/v24.0/me`)).status).toBe(200);
    expect((await c.get(`/v24.0/me/adaccounts`)).status).toBe(400);
    expectGraphError(await c.get(`/v99.0/me`), 400, 2635);
  });
});

describe("token before object", () => {
  it("an invalid token answers 190 on every path, also for objects that do not exist", async () => {
    await at("2026-12-01T12:00:00Z");
    for (const path of ["act_1/insights", "act_1", "999999/insights", ACT_US + "/insights", "me"]) {
      const r = await c.get(`/v27.0/${path}`, {}, { token: "not-a-token" });
      expect(r.status, path).toBe(400);
      expect(r.body.error.code, path).toBe(190);
      expect(r.body.error.type, path).toBe("OAuthException");
    }
  });

  it("an expired token answers 190/463 for an unknown object", async () => {
    const tok = await c.newToken();
    await c.ctl("/tokens/expire", { access_token: tok });
    const r = await c.get(`/v27.0/act_1/insights`, {}, { token: tok });
    expectGraphError(r, 400, 190, 463);
  });

  it("a valid token still gets 100/33 for an object that does not exist", async () => {
    expectGraphError(await c.get(`/v27.0/act_1/insights`), 400, 100, 33);
  });
});
