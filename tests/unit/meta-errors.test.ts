import { describe, expect, it } from "vitest";
import { classifyGraphError, MetaApiError, networkError, redactSecrets, DEFAULT_RATE_LIMIT_WAIT_MS } from "../../app/.server/meta/errors";

const body = (code: number, extra: Record<string, unknown> = {}) => ({
  error: { message: `(#${code}) something`, type: "OAuthException", code, fbtrace_id: "AbC123", ...extra },
});

describe("classifyGraphError", () => {
  const cases: [string, number, unknown, MetaApiError["kind"]][] = [
    ["190 expired", 400, body(190, { error_subcode: 463 }), "token_invalid"],
    ["190 app removed", 400, body(190, { error_subcode: 458 }), "token_invalid"],
    ["190 password changed", 400, body(190, { error_subcode: 460 }), "token_invalid"],
    ["10 permission", 403, body(10), "permission"],
    ["200 permission", 403, body(200), "permission"],
    ["299 permission", 400, body(299), "permission"],
    ["1 unknown", 500, body(1, { error_subcode: 99 }), "transient"],
    ["2 service", 503, body(2, { is_transient: true }), "transient"],
    ["is_transient flag", 400, body(9999, { is_transient: true }), "transient"],
    ["html 500", 500, "<html>500</html>", "transient"],
    ["4 app limit", 400, body(4, { is_transient: true }), "rate_limited"],
    ["17 user limit", 400, body(17, { error_subcode: 2446079, is_transient: true }), "rate_limited"],
    ["32 pages limit", 400, body(32), "rate_limited"],
    ["613 custom", 400, body(613, { error_subcode: 1487742, is_transient: true }), "rate_limited"],
    ["80000 insights BUC", 400, body(80000, { error_subcode: 2446079 }), "rate_limited"],
    ["80004 mgmt BUC", 400, body(80004), "rate_limited"],
    ["80014 catalog", 400, body(80014), "rate_limited"],
    ["100/1487534 too much data", 400, body(100, { error_subcode: 1487534 }), "too_much_data"],
    ["1 reduce data", 500, { error: { message: "Please reduce the amount of data you're asking for, then retry your request", code: 1 } }, "too_much_data"],
    ["100/3018 history", 400, body(100, { error_subcode: 3018 }), "history_limit"],
    ["100 invalid param", 400, body(100), "invalid_request"],
    ["-2 async failed", 200, body(-2, { error_subcode: 2490547 }), "async_failed"],
    ["-3 report too large", 200, body(-3, { error_subcode: 1504045 }), "too_much_data"],
    ["no body 418", 418, undefined, "unknown"],
  ];
  it.each(cases)("%s", (_name, status, b, kind) => {
    const e = classifyGraphError(status, b, new Headers(), "/v24.0/act_1/insights");
    expect(e).toBeInstanceOf(MetaApiError);
    expect(e.kind).toBe(kind);
    expect(e.httpStatus).toBe(status);
  });

  it("keeps code, subcode and fbtrace id", () => {
    const e = classifyGraphError(400, body(190, { error_subcode: 463 }));
    expect([e.code, e.subcode, e.fbtraceId]).toEqual([190, 463, "AbC123"]);
    expect(e.retryable).toBe(false);
  });

  it("rate limits take the wait from estimated_time_to_regain_access (minutes)", () => {
    const headers = new Headers({
      "X-Business-Use-Case-Usage": JSON.stringify({
        "123": [
          { type: "ads_insights", call_count: 100, estimated_time_to_regain_access: 3 },
          { type: "ads_management", estimated_time_to_regain_access: 1 },
        ],
      }),
    });
    const e = classifyGraphError(400, body(80000), headers);
    expect(e.retryAfterMs).toBe(3 * 60_000);
    expect(e.retryable).toBe(true);
  });

  it("rate limits fall back to the account reset time, then to a default", () => {
    const acc = new Headers({ "x-ad-account-usage": JSON.stringify({ acc_id_util_pct: 100, reset_time_duration: 42 }) });
    expect(classifyGraphError(400, body(17), acc).retryAfterMs).toBe(42_000);
    expect(classifyGraphError(400, body(613), new Headers()).retryAfterMs).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
    expect(classifyGraphError(400, body(4), { "X-Business-Use-Case-Usage": "not json" }).retryAfterMs).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
  });

  it("never puts a token or a query string into the message", () => {
    const token = "EAAB" + "x".repeat(60);
    const e = classifyGraphError(
      400,
      { error: { message: `bad https://graph.facebook.com/v24.0/me?access_token=${token}&x=1 and ${token}`, code: 100 } },
      undefined,
      "/v24.0/me?access_token=" + token,
    );
    expect(e.message).not.toContain(token);
    expect(e.message).not.toContain("access_token=EAA");
    expect(e.message).not.toContain("x=1");
    expect(e.metaMessage).not.toContain(token);
  });
});

describe("redactSecrets and networkError", () => {
  it("masks known secrets, app tokens, auth headers and query strings", () => {
    const out = redactSecrets("Authorization: OAuth abcdefghijkl token=sekret 1000000000000001|emulator-app-secret http://h/p?code=AQxyz mysecretvalue", [
      "mysecretvalue",
    ]);
    expect(out).not.toMatch(/abcdefghijkl|sekret|emulator-app-secret|AQxyz|mysecretvalue/);
  });
  it("timeouts and dropped connections are transient and carry no query string", () => {
    const t = networkError("timeout", "/v24.0/me?access_token=EAAsecretsecretsecret");
    expect(t.kind).toBe("transient");
    expect(t.message).not.toContain("secret");
    const d = networkError("dropped", "/v24.0/me", new Error("socket hang up for http://x/y?access_token=EAAsecretsecretsecret"));
    expect(d.kind).toBe("transient");
    expect(JSON.stringify(d.cause)).not.toContain("EAAsecret");
  });
});
