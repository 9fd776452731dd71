/** Graph calls with a connection's token on the Node side (connections page, reach reads). */
import { asService, type Tx } from "../db/connection";
import { logger } from "../logger";
import { isMetaApiError } from "./errors";
import { graphClientFromEnv, type GraphClient } from "./graph";
import { markNeedsReauth as markInStore, getConnectionToken } from "./token-store";

const log = logger.child({ module: "meta.connections" });

/** markNeedsReauth of the token store, logged (Node callers). Idempotent. */
export function markNeedsReauth(tx: Tx, connectionId: string, reason: string): Promise<void> {
  return markInStore(tx, connectionId, reason, log);
}

/** A Graph client for a connection's token; a 190 on any call flips the connection to needs_reauth. */
export async function withConnectionClient<T>(connectionId: string, fn: (graph: GraphClient) => Promise<T>): Promise<T> {
  const token = await asService((tx) => getConnectionToken(tx, connectionId));
  try {
    return await fn(graphClientFromEnv(token));
  } catch (err) {
    if (isMetaApiError(err, "token_invalid")) await asService((tx) => markNeedsReauth(tx, connectionId, err.metaMessage ?? err.message));
    throw err;
  }
}
