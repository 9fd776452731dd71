import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Emulator, EmulatorOptions } from "./emulator";

export { Emulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_SCOPES, DEFAULT_LOGIN_CONFIGS, appsecretProof } from "./emulator";
export type { EmulatorOptions, AsyncJobConfig, LoginConfig, Fault } from "./emulator";
export { CONVERSION_ACTION_PRIORITY, pickConversion } from "./conversions";
export { ACCESS_TIER_LIMITS, DEFAULT_LIMITS } from "./ratelimit";
export type { LimitsConfig } from "./ratelimit";
export type { WorldSpec } from "./world";

export interface RunningEmulator {
  url: string;
  port: number;
  /** The in-memory emulator (world, tokens, faults, clock, truth(), issueToken(), reset() …) for in-process use. */
  emulator: Emulator;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator(opts);
  const server = createServer((req, res) => {
    emulator.handle(req, res).catch((e) => {
      emulator.log(`request failed: ${(e as Error).stack}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    emulator,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
