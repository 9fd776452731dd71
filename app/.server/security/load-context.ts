/**
 * What the server gives every loader and action besides the request (Remix's `context`): the CSP
 * nonce of this response, the request id and the client IP as Express resolved it (rate limits).
 */
declare module "@remix-run/node" {
  interface AppLoadContext {
    nonce: string;
    requestId: string;
    clientIp: string;
  }
}

export type SpendlaneLoadContext = {
  nonce: string;
  requestId: string;
  clientIp: string;
};
