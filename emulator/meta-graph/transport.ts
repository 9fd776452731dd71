/** The emulator's HTTP transport: the one request handler (CDN images, the control API, Graph calls), body parsing and replies. */
import type { Emulator } from "./emulator";
import { GRes, VERSION_RE, json, stringifyValues } from "./common";
import { fbtraceId } from "./util";
import { Buffer } from "node:buffer";
import { type IncomingMessage, type ServerResponse } from "node:http";

export async function handle(emu: Emulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://x");
  const raw = await readBody(req);
  const ctype = String(req.headers["content-type"] ?? "");
  const baseUrl = emu.opts.publicUrl ?? `http://${req.headers.host ?? "127.0.0.1"}`;
  try {
    if (url.pathname.startsWith("/emu-cdn/")) {
      const img = emu.ads.cdn(url.pathname, url.searchParams);
      res.writeHead(img.status, { "Content-Type": img.type, "Content-Length": img.body.length, "Cache-Control": "max-age=1209600, no-transform" });
      return void res.end(img.body);
    }
    if (url.pathname.startsWith("/__emulator")) {
      let body: any = {};
      if (raw.length) {
        try {
          body = ctype.includes("application/x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
        } catch {
          return send(res, json(400, { error: "invalid JSON body" }));
        }
      }
      return send(res, emu.control(req.method ?? "GET", url.pathname.slice("/__emulator".length) || "/", url.searchParams, body ?? {}));
    }
    // The configured latency (a timer, not CPU): the emulator keeps serving other calls meanwhile.
    if (emu.latencyMs > 0) await new Promise((r) => setTimeout(r, emu.latencyMs));
    const params: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (params[k] = v));
    if (raw.length) Object.assign(params, parseBody(raw, ctype));
    const segs = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    let version: string | null = null;
    if (segs[0] && VERSION_RE.test(segs[0])) version = segs.shift()!;
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v[0] : v;
    const r = await emu.graph({ method: (req.method ?? "GET").toUpperCase(), version, path: segs, params, headers, baseUrl });
    if (r.drop) {
      req.socket.destroy();
      return;
    }
    send(res, r);
  } catch (e) {
    emu.log(`internal error: ${(e as Error).stack}`);
    send(res, json(500, { error: { message: "An unknown error occurred", type: "OAuthException", code: 1, error_subcode: 99, fbtrace_id: fbtraceId() } }));
  }
}

function parseBody(raw: string, ctype: string): Record<string, string> {
  if (ctype.includes("application/json") || /^\s*\{/.test(raw)) {
    try {
      const o = JSON.parse(raw);
      if (o && typeof o === "object" && !Array.isArray(o)) return stringifyValues(o);
    } catch {
      /* fall back to form */
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, r: GRes): void {
  const headers: Record<string, string> = { ...r.headers };
  let body: string;
  if (r.location) {
    headers.Location = r.location;
    body = "";
  } else if (r.html != null) {
    headers["Content-Type"] ??= "text/html; charset=utf-8";
    body = r.html;
  } else if (r.text != null) {
    body = r.text;
  } else {
    headers["Content-Type"] = "application/json; charset=UTF-8";
    body = JSON.stringify(r.body ?? null);
  }
  if (r.body && typeof r.body === "object" && "error" in (r.body as object)) headers["x-fb-trace-id"] = ((r.body as any).error?.fbtrace_id as string) ?? "";
  res.writeHead(r.status, headers);
  res.end(body);
}
