/** Injected faults (control API `POST /__emulator/faults`): which call they hit and the answer Meta would give. */
import type { Emulator } from "./emulator";
import { FAULT_KINDS, Fault, GReq, GRes, Route, errRes } from "./common";
import { GraphError, GraphErrorBody, tokenError } from "./errors";
import { BucType, RateContext } from "./ratelimit";
import { AdAccount } from "./world";

export function addFault(emu: Emulator, f: Partial<Fault> & { kind: string; count?: number }): Fault {
  if (!FAULT_KINDS.has(f.kind)) throw new Error(`unknown fault kind ${f.kind}; one of ${[...FAULT_KINDS].join(", ")}`);
  const fault: Fault = {
    kind: f.kind,
    remaining: Math.max(1, Number(f.count ?? 1)),
    account: f.account ? String(f.account).replace(/^act_/, "") : undefined,
    endpoint: f.endpoint,
    delayMs: f.delayMs,
    subcode: f.subcode,
  };
  emu.faults.push(fault);
  return fault;
}

export function takeFault(emu: Emulator, kinds: string[], account: AdAccount | null, endpoint: string): Fault | null {
  const i = emu.faults.findIndex((f) => kinds.includes(f.kind) && (!f.account || f.account === account?.accountId) && (!f.endpoint || f.endpoint === endpoint));
  if (i < 0) return null;
  const f = emu.faults[i]!;
  f.remaining--;
  if (f.remaining <= 0) emu.faults.splice(i, 1);
  return f;
}

export async function withFaults(emu: Emulator, route: Route, _g: GReq, fn: () => GRes): Promise<GRes> {
  const slow = emu.takeFault(["slow"], route.account, route.kind);
  if (slow) await new Promise((r) => setTimeout(r, slow.delayMs ?? 2000));
  const f = emu.takeFault(["http500", "code1", "code2", "drop"], null, route.kind);
  if (f) return emu.faultResponse(f, { accountId: null, businessKey: null, type: "ads_management", write: false, insights: false });
  return fn();
}

export function faultResponse(emu: Emulator, f: Fault, rctx: RateContext): GRes {
  const e = (status: number, body: GraphErrorBody, extra: Record<string, string> = {}) =>
    errRes(new GraphError(status, body, { ...emu.limiter.headers(rctx), ...extra }));
  // Insights calls refused for load carry the insights throttle at its limit (Meta sends usage
  // headers on error responses too; clients must read them there).
  const throttle = (app: number, acc: number): Record<string, string> =>
    rctx.insights
      ? { "X-FB-Ads-Insights-Throttle": JSON.stringify({ app_id_util_pct: app, acc_id_util_pct: acc, ads_api_access_tier: emu.limiter.cfg.accessTier }) }
      : {};
  const blockedHeaders = (type: BucType) => {
    const key = rctx.businessKey ?? rctx.accountId ?? emu.appId;
    return {
      ...throttle(0, 100),
      "X-Business-Use-Case-Usage": JSON.stringify({
        [key]: [
          { type, call_count: 100, total_cputime: 50, total_time: 70, estimated_time_to_regain_access: 1, ads_api_access_tier: emu.limiter.cfg.accessTier },
        ],
      }),
    };
  };
  switch (f.kind) {
    case "drop":
      return { status: 0, headers: {}, drop: true };
    case "http500":
      return { status: 500, headers: { "Content-Type": "text/html; charset=utf-8" }, html: "<html><body><h1>500 Internal Server Error</h1></body></html>" };
    case "code1":
      return e(500, { message: "An unknown error occurred", type: "OAuthException", code: 1, error_subcode: f.subcode ?? 99 });
    case "code100":
      // Graph's answer to a parameter it does not take (not transient: retrying the same call fails again)
      return e(400, { message: "(#100) Invalid parameter", type: "OAuthException", code: 100, ...(f.subcode ? { error_subcode: f.subcode } : {}) });
    case "code2":
      return e(503, { message: "(#2) Service temporarily unavailable", type: "OAuthException", code: 2, is_transient: true });
    case "code4":
      return e(
        400,
        { message: "(#4) Application request limit reached", type: "OAuthException", code: 4, is_transient: true },
        { "X-App-Usage": JSON.stringify({ call_count: 100, total_time: 80, total_cputime: 60 }), ...throttle(100, 0) },
      );
    case "code17":
      return e(
        400,
        { message: "(#17) User request limit reached", type: "OAuthException", code: 17, error_subcode: f.subcode ?? 2446079, is_transient: true },
        blockedHeaders(rctx.type),
      );
    case "code80000":
      return e(
        400,
        {
          message:
            "(#80000) There have been too many calls from emu ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
          type: "OAuthException",
          code: 80000,
          error_subcode: 2446079,
          is_transient: true,
        },
        blockedHeaders("ads_insights"),
      );
    case "code80004":
      return e(
        400,
        {
          message:
            "(#80004) There have been too many calls to emu ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.",
          type: "OAuthException",
          code: 80004,
          error_subcode: 2446079,
          is_transient: true,
        },
        blockedHeaders("ads_management"),
      );
    case "code613":
      return e(400, {
        message: "(#613) Calls to emu api have exceeded the rate limit.",
        type: "OAuthException",
        code: 613,
        error_subcode: f.subcode ?? 1487742,
        is_transient: true,
      });
    case "code190": {
      const err = tokenError("Error validating access token: The user has not authorized application " + emu.appId + ".", f.subcode ?? 458);
      return errRes(err);
    }
  }
  return e(500, { message: "An unknown error occurred", type: "OAuthException", code: 1 });
}
