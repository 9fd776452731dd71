/**
 * What the public share-link routes (/r/:token, its PDF and its logo) do before answering: count the
 * request against the IP's rate limit, then open the link (404 for anything not live). Their answers
 * carry noindex, no-store and no-referrer: the URL is the credential.
 */
import { checkRateLimit, clientIp, rateLimitResponse } from "../security/rate-limit";
import { NotFoundError } from "../errors";
import { openShareLink, type ShareLink } from "./share";

export const SHARE_HEADERS = {
  "X-Robots-Tag": "noindex, nofollow, noarchive",
  "Cache-Control": "private, no-store",
  "Referrer-Policy": "no-referrer",
};

export async function requireShareLink(token: string | undefined, context: { clientIp?: string } | undefined): Promise<ShareLink> {
  const limit = await checkRateLimit("report_share", { ip: clientIp(context) });
  if (!limit.ok) throw rateLimitResponse(limit);
  try {
    return await openShareLink(token ?? "");
  } catch (err) {
    if (err instanceof NotFoundError) throw new Response("Not found", { status: 404, headers: SHARE_HEADERS });
    throw err;
  }
}
