import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.LOG_LEVEL = "info";
});

import { captureLogs, logger, maskSecrets, runWithLogContext } from "../../app/.server/logger";
import { loggablePath } from "../../server/app";
import { createAgencyFixture } from "../helpers/factories";
import { sessionCookieFor } from "../helpers/session";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
let capture: ReturnType<typeof captureLogs>;
beforeAll(async () => {
  capture = captureLogs({ quiet: true });
  server = await startTestServer();
});
afterAll(async () => {
  capture?.stop();
  await server?.close();
  await closeVite();
});

type Line = Record<string, unknown>;
const parsed = (): Line[] => capture.lines.map((l) => JSON.parse(l) as Line);
async function accessLine(reqId: string): Promise<Line> {
  for (let i = 0; i < 50; i++) {
    const line = parsed().find((l) => l.msg === "request" && l.reqId === reqId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no access log line for ${reqId}`);
}

describe("request logs", () => {
  it("log one line per request: id, method, path without query, status, duration", async () => {
    const res = await server.fetch("/login?redirectTo=%2Fa%2Fsecret-place&code=abc123");
    await res.text();
    const reqId = res.headers.get("x-request-id")!;
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    const line = await accessLine(reqId);
    expect(line).toMatchObject({ level: 30, method: "GET", path: "/login", status: 200 });
    expect(typeof line.durationMs).toBe("number");
    expect(line.durationMs as number).toBeGreaterThan(0);
    expect(JSON.stringify(parsed())).not.toContain("abc123");
  });

  it("keep a well-formed incoming X-Request-Id and replace a malformed one", async () => {
    const given = await server.fetch("/login", { headers: { "x-request-id": "lb-1234.abcd" } });
    await given.text();
    expect(given.headers.get("x-request-id")).toBe("lb-1234.abcd");
    await accessLine("lb-1234.abcd");
    const evil = await server.fetch("/login", { headers: { "x-request-id": 'x"}, {"level":60'.padEnd(200, "x") } });
    await evil.text();
    expect(evil.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("name the user and agency once a guard knows them, on the access line and every line in between", async () => {
    const fx = await createAgencyFixture();
    const res = await server.fetch(`/a/${fx.agency.slug}/export`, { headers: { cookie: await sessionCookieFor(fx.owner.id) } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const line = await accessLine(res.headers.get("x-request-id")!);
    expect(line).toMatchObject({ status: 200, userId: fx.owner.id, agencyId: fx.agency.id, path: `/a/${fx.agency.slug}/export` });
  });

  it("do not log secrets that live in paths (invitation and reset tokens, deletion codes)", async () => {
    expect(loggablePath("/invite/tok_very_secret")).toBe("/invite/[redacted]");
    expect(loggablePath("/reset-password/abc/def")).toBe("/reset-password/[redacted]/def");
    expect(loggablePath("/meta/deletion/CODE123")).toBe("/meta/deletion/[redacted]");
    expect(loggablePath("/a/acme/clients")).toBe("/a/acme/clients");
    const res = await server.fetch("/invite/inv-token-that-must-not-leak");
    await res.text();
    await accessLine(res.headers.get("x-request-id")!);
    expect(capture.lines.join("")).not.toContain("inv-token-that-must-not-leak");
  });

  // Review finding 5: the access log was redacted, but the route error log and the CSRF refusal log wrote the raw path.
  it("keep path tokens out of the route error log and the CSRF refusal log too", async () => {
    const { handleError } = await import("../../app/entry.server");
    const request = new Request("http://127.0.0.1/reset-password/reset-token-in-error-path");
    handleError(new Error("boom at /invite/invite-token-in-message"), { request, params: {}, context: {} } as never);
    const refused = await server.fetch("/invite/invite-token-in-csrf-path", { method: "POST", headers: { origin: "https://evil.example" } });
    expect(refused.status).toBe(403);
    await refused.text();
    await accessLine(refused.headers.get("x-request-id")!);
    const all = capture.lines.join("");
    expect(all).toContain("unhandled error in a route");
    expect(all).toContain("csrf check refused a request");
    for (const secret of ["reset-token-in-error-path", "invite-token-in-message", "invite-token-in-csrf-path"]) expect(all).not.toContain(secret);
    expect(loggablePath("/confirm-email/abc")).toBe("/confirm-email/[redacted]");
  });

  it("carry the request id on lines written by app code, and redact secrets by key and in text", () => {
    runWithLogContext({ requestId: "req-ctx-1", userId: "u-1" }, () => {
      logger.info(
        { access_token: "EAAB1234567890abcdef", nested: { password: "hunter2hunter2", appsecret_proof: "f".repeat(64) }, headers: { cookie: "__session=abc" } },
        "calling https://graph.example/v24.0/me?access_token=EAAB1234567890abcdef&appsecret_proof=deadbeef",
      );
    });
    const line = capture.lines.find((l) => l.includes("req-ctx-1"))!;
    expect(JSON.parse(line)).toMatchObject({ reqId: "req-ctx-1", userId: "u-1" });
    for (const secret of ["EAAB1234567890abcdef", "hunter2hunter2", "f".repeat(64), "deadbeef", "__session=abc"]) expect(line).not.toContain(secret);
    expect(maskSecrets("Set-Cookie: __session=s%3Aabc.def; Path=/")).not.toContain("abc.def");
    expect(maskSecrets('{"code":"AQD-oauth-code"}')).not.toContain("AQD-oauth-code");
  });
});
