export interface GraphErrorBody {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
  error_data?: unknown;
}

export class GraphError extends Error {
  constructor(
    public status: number,
    public body: GraphErrorBody,
    public headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

export const UNSUPPORTED_GET = (id: string, method = "get") =>
  new GraphError(400, {
    message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: "GraphMethodException",
    code: 100,
    error_subcode: 33,
  });

export const paramError = (message: string, subcode?: number) =>
  new GraphError(400, {
    message: message.startsWith("(#") ? message : `(#100) ${message}`,
    type: "OAuthException",
    code: 100,
    ...(subcode ? { error_subcode: subcode } : {}),
  });

export const nonexistingField = (field: string, nodeType: string) =>
  new GraphError(400, {
    message: `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
    type: "OAuthException",
    code: 100,
  });

export function wwwAuthenticate(kind: string, message: string): string {
  return `OAuth "Facebook Platform" "${kind}" "${message.replace(/"/g, "'")}"`;
}

export const tokenError = (message: string, subcode?: number) =>
  new GraphError(
    400,
    { message, type: "OAuthException", code: 190, ...(subcode ? { error_subcode: subcode } : {}) },
    { "WWW-Authenticate": wwwAuthenticate("invalid_token", message) },
  );

export const TOO_MUCH_DATA_MESSAGE = "Please reduce the amount of data you're asking for, then retry your request";
export const RANGE_37_MONTHS_MESSAGE = "The start date of the time range cannot be beyond 37 months from the current date";
