/** The fixed per-call latency (EmulatorOptions.latencyMs, POST /__emulator/latency) that benchmarks use to stand in for Meta's network time. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, V, ACT_US, type Ctx } from "./helpers";

describe("emulator latency", () => {
  let c: Ctx;
  beforeAll(async () => {
    c = await boot({ latencyMs: 150 });
  });
  afterAll(() => c.close());

  it("delays every Graph answer by the start-up latency, and the control API reports it", async () => {
    expect(await c.ctl("/latency")).toEqual({ latencyMs: 150 });
    for (const path of [`/${V}/me`, `/${V}/${ACT_US}`, `/${V}/${ACT_US}/insights`]) {
      const t0 = performance.now();
      const r = await c.get(path);
      expect(r.status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    }
    // errors wait too (Meta's network time does not depend on the answer)
    const t0 = performance.now();
    expect((await c.get(`/${V}/act_999`)).status).toBe(400);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
  });

  it("changes at run time, rejects nonsense, and goes back to the start-up value on reset", async () => {
    expect(await c.ctl("/latency", { ms: 400 })).toEqual({ latencyMs: 400 });
    const t0 = performance.now();
    expect((await c.get(`/${V}/me`)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(395);
    expect((await c.ctl("/latency", { ms: -1 })).error).toMatch(/milliseconds/);
    expect((await c.ctl("/latency", { ms: "soon" })).error).toMatch(/milliseconds/);
    expect(await c.ctl("/latency")).toEqual({ latencyMs: 400 });
    await c.ctl("/reset", {});
    expect(await c.ctl("/latency")).toEqual({ latencyMs: 150 });
    expect(await c.ctl("/latency", { ms: 0 })).toEqual({ latencyMs: 0 });
  });
});
