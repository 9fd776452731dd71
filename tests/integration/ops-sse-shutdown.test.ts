/**
 * A shutting-down server ends every live stream with a reconnect hint: each browser is told when to
 * reconnect (to another process, or this one after its restart) and its stream closes, so the HTTP
 * server can finish draining within the shutdown bound.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBus, stopBus, type EventBus } from "../../app/.server/realtime/bus";
import { endAllStreams, openEventStream, streamStats } from "../../app/.server/realtime/sse";
import { createAgencyFixture } from "../helpers/factories";
import { requestAs } from "../helpers/session";

let bus: EventBus;
beforeAll(async () => {
  bus = await getBus();
});
afterAll(async () => {
  await stopBus();
});

async function readAll(res: Response): Promise<string> {
  return new Response(res.body).text();
}

describe("live streams at shutdown", () => {
  it("end with a retry hint, and every open stream closes", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const ids = [f.workspaces[0]!.id];
    const opened = streamStats().open;
    const a = await openEventStream(await requestAs(f.owner.id, "/events"), f.owner.id, { kind: "workspaces", ids }, { bus });
    const b = await openEventStream(await requestAs(f.viewer.id, "/events"), f.viewer.id, { kind: "workspaces", ids }, { bus });
    expect(streamStats().open).toBe(opened + 2);
    const bodies = [readAll(a!), readAll(b!)];
    expect(endAllStreams(1500)).toBeGreaterThanOrEqual(2);
    for (const text of await Promise.all(bodies)) {
      // the connect-time hint first, the shutdown hint last
      expect(text.startsWith("retry: 2000\n")).toBe(true);
      expect(text.trimEnd().endsWith("retry: 1500\n: server shutting down")).toBe(true);
    }
    expect(streamStats().open).toBe(opened);
  });
});
