/**
 * The Express application: everything between the socket and Remix, in one place so no route has to
 * remember it. In order:
 *
 * 1. request context and access log (request id, method, path without query, status, duration, user
 *    and agency once known),
 * 2. security headers on every response (documents then get their own nonce CSP from the renderer),
 * 3. compression and static files,
 * 4. CSRF origin check for every state-changing request (webhooks exempt: they are signed),
 * 5. mounts of other concerns (e.g. the live-update stream),
 * 6. Remix, with loaders/actions guarded so a lost database answers 503,
 * 7. an error handler that answers 503 for database outages and a plain 500 otherwise.
 *
 * server/index.ts builds the runtime and calls createApp; tests call createApp with a build of their own.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import express, { type Express, type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from "express";
import compression from "compression";
import { createRequestHandler as createRemixHandler, type ServerBuild } from "@remix-run/node";
// The Express adapter's request/response converters. Its index exports only createRequestHandler,
// which leaves no hook between Remix's Response and the socket; we add headers there.
import { createRemixRequest, sendRemixResponse } from "@remix-run/express/dist/server.js";
import { logger, loggablePath, runWithLogContext, logContext, type LogContext } from "../app/.server/logger";
import { createNonce, securityHeaders, withSecurityHeaders } from "../app/.server/security/headers";
import { csrfMiddleware } from "../app/.server/security/csrf";
import {
  isDatabaseUnavailable,
  RETRY_AFTER_SECONDS,
  UNAVAILABLE_MESSAGE,
  unavailableHtml,
  wantsJson,
  withDatabaseResilience,
} from "../app/.server/security/resilience";
import type { SpendlaneLoadContext } from "../app/.server/security/load-context";
import { httpDuration, metricsAuthorized, metricsText, routeLabel } from "../app/.server/ops/metrics";
import { clearWarmCaches, isReadRequest, setWarmCacheEnabled } from "../app/.server/warm/state";
import { warmResponse, type WarmHit } from "../app/.server/warm/pages";

export interface AppRuntime {
  env: { APP_URL?: string; NODE_ENV: string; METRICS_TOKEN?: string; TRUST_PROXY?: boolean | string | number };
  expressMounts: ((app: Express) => void)[];
}

export interface AppOptions {
  /** build/client of a production build; omit to serve no static files (tests, dev with Vite). */
  clientDir?: string;
  /** Connect-style middleware served before Remix (Vite's dev middlewares). */
  devMiddleware?: express.RequestHandler;
  /**
   * Which proxies may set X-Forwarded-For/-Proto (Express "trust proxy"); overrides TRUST_PROXY.
   * Default: none, so the client address is the socket's and a forged header changes nothing.
   */
  trustProxy?: boolean | string | number;
  /**
   * The warm path's per-process caches (ADR 0150): sessions and guards for a few seconds, and the
   * encoded bodies of the dashboard and drill-down data. Default off (tests call loaders directly);
   * server/index.ts turns it on unless WARM_CACHE=0.
   */
  warmCache?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Path segments that are secrets themselves: one definition, in the logger (entry.server and CSRF use it too). */
export { loggablePath };

function requestContext(req: ExpressRequest, res: ExpressResponse, next: NextFunction) {
  const incoming = req.get("x-request-id");
  const context: LogContext = { requestId: incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID() };
  res.locals.logContext = context;
  res.setHeader("X-Request-Id", context.requestId);
  const started = process.hrtime.bigint();
  const path = loggablePath(req.path);
  let logged = false;
  const done = () => {
    if (logged) return;
    logged = true;
    const line = {
      reqId: context.requestId,
      method: req.method,
      path,
      status: res.headersSent ? res.statusCode : 499,
      durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      userId: context.userId,
      agencyId: context.agencyId,
    };
    if (line.status >= 500) logger.error(line, "request");
    else logger.info(line, "request");
    httpDuration.observe(
      { route: routeLabel(req.path, line.status), method: req.method, status: `${Math.floor(line.status / 100)}xx` },
      line.durationMs / 1000,
    );
  };
  res.on("finish", done);
  res.on("close", done);
  runWithLogContext(context, next);
}

function baselineHeaders(production: boolean) {
  const headers = securityHeaders({ production });
  return (_req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    next();
  };
}

/** A cached body (ADR 0150), gzipped when the client takes gzip (compression() leaves encoded bodies alone). */
function sendCached(res: ExpressResponse, hit: WarmHit) {
  res.status(hit.status);
  // the security headers are on `res` already (baselineHeaders); a document's own nonce CSP comes with the hit
  for (const [name, value] of hit.headers) res.setHeader(name, value);
  if (hit.gzipped) res.setHeader("Content-Length", String(hit.body.length));
  res.end(hit.body);
}

export function createApp(build: ServerBuild | (() => Promise<ServerBuild>), runtime: AppRuntime, options: AppOptions = {}): Express {
  const production = runtime.env.NODE_ENV === "production";
  const app = express();
  app.disable("x-powered-by");
  // X-Forwarded-For is believed only from the proxies the operator names (TRUST_PROXY): from anyone
  // else it would let a client pick its own address, and so its own rate-limit bucket.
  app.set("trust proxy", options.trustProxy ?? runtime.env.TRUST_PROXY ?? false);

  app.use(requestContext);
  app.use(baselineHeaders(production));
  app.use(compression());
  if (options.clientDir) {
    app.use("/assets", express.static(path.join(options.clientDir, "assets"), { immutable: true, maxAge: "1y" }));
    app.use(express.static(options.clientDir, { maxAge: "1h" }));
  }
  if (options.devMiddleware) app.use(options.devMiddleware);
  if (runtime.env.METRICS_TOKEN) {
    // Prometheus on the public port only with the bearer token (METRICS_PORT serves it internally).
    const token = runtime.env.METRICS_TOKEN;
    app.get("/metrics", (req, res, next) => {
      if (!metricsAuthorized(req.get("authorization"), token))
        return void res.status(401).set("WWW-Authenticate", "Bearer").type("text/plain").send("Unauthorized");
      metricsText().then((m) => res.status(200).set("Cache-Control", "no-store").type(m.contentType).send(m.body), next);
    });
  }
  app.use(csrfMiddleware({ appUrl: runtime.env.APP_URL }));
  setWarmCacheEnabled(options.warmCache ?? false);
  if (options.warmCache) {
    // Any state-changing request (membership, logout, goals, settings…) may change what a cached
    // session, guard or page says: once it is done, this process forgets them all.
    app.use((req, res, next) => {
      if (!isReadRequest(req)) {
        // before (nothing computed meanwhile is kept) and once the change is committed and answered
        clearWarmCaches();
        res.on("finish", clearWarmCaches);
      }
      next();
    });
  }
  for (const mount of runtime.expressMounts) mount(app);

  const handle = createRemixHandler(
    typeof build === "function" ? async () => withDatabaseResilience(await build()) : withDatabaseResilience(build),
    runtime.env.NODE_ENV,
  );
  app.all("*", async (req, res, next) => {
    try {
      const context: SpendlaneLoadContext = {
        nonce: createNonce(),
        requestId: (res.locals.logContext as LogContext).requestId,
        clientIp: req.ip ?? req.socket.remoteAddress ?? "unknown",
      };
      const request = createRemixRequest(req, res);
      const answer = await warmResponse(request, context.nonce, () => handle(request, context));
      if (answer.kind === "hit") return void sendCached(res, answer);
      const response = withSecurityHeaders(answer.response);
      // Remix keeps an action's status but not its headers on single-fetch (.data) responses: put
      // back the Retry-After that the rate limiter or the outage guard noted for this request.
      const retryAfter = (res.locals.logContext as LogContext).retryAfterSeconds;
      if (retryAfter && (response.status === 429 || response.status === 503) && !response.headers.has("Retry-After")) {
        response.headers.set("Retry-After", String(retryAfter));
      }
      // The adapter appends headers; drop our baseline copies of the ones this response sets itself
      // (a document's CSP carries its nonce) so no header is sent twice.
      for (const name of new Set(response.headers.keys())) res.removeHeader(name);
      await sendRemixResponse(res, response);
    } catch (err) {
      next(err);
    }
  });

  app.use((err: unknown, req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    if (res.headersSent) {
      logger.error({ err }, "error after the response started");
      return next(err);
    }
    const unavailable = isDatabaseUnavailable(err);
    if (unavailable) logger.error({ err }, "database unavailable");
    else logger.error({ err, reqId: logContext()?.requestId }, "unhandled server error");
    const status = unavailable ? 503 : 500;
    if (unavailable) res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
    res.setHeader("Cache-Control", "no-store");
    if (wantsJson(req.originalUrl, req.get("accept"))) {
      res.status(status).json({ error: unavailable ? UNAVAILABLE_MESSAGE : "Something went wrong on our side. It has been logged." });
    } else if (unavailable) {
      res.status(503).type("html").send(unavailableHtml());
    } else {
      res.status(500).type("text/plain").send("Something went wrong on our side. It has been logged.");
    }
  });
  return app;
}
