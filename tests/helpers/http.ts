/**
 * A GET from a test, resent when the connection was reset under it. Node's fetch keeps sockets alive
 * between requests; when a server closes an idle one just as the next request goes out (its
 * keep-alive timeout passed while a loaded test process was paused), the request fails with a reset.
 * Browsers and our GraphClient resend an idempotent request then; so do tests. Any other failure is
 * reported at once.
 */
import pRetry, { AbortError } from "p-retry";

// Only a reset: a socket the server closed without an answer (UND_ERR_SOCKET) is what the emulator's
// "drop" fault produces, and its test expects that failure to reach the caller.
function isConnectionReset(err: unknown): boolean {
  return (err as { cause?: { code?: string } }).cause?.code === "ECONNRESET";
}

export function getResending(url: string, init?: { headers?: Record<string, string> }): Promise<Response> {
  return pRetry(
    () =>
      fetch(url, { headers: init?.headers }).catch((err: unknown) => {
        if (isConnectionReset(err)) throw err;
        throw new AbortError(err as Error);
      }),
    { retries: 2, minTimeout: 20 },
  );
}
