/**
 * The OAuth error dialect: under `/api/v0/oauth/` every answer that is not 2xx is the RFC 6749
 * §5.2 object `{"error": "<code>", "error_description": "<one sentence>"}` (what OAuth clients
 * parse), never Harmont's envelope. This module owns the codes, the one renderer, and the error
 * handler of the OAuth sub-app (routes/oauth.ts).
 *
 * Codes, and the statuses the sub-app itself produces:
 *
 * | status | `error` | when |
 * | --- | --- | --- |
 * | 400 | `invalid_request` | a missing, repeated or malformed parameter (RFC 6749 §5.2) |
 * | 400 | `invalid_grant`, `unsupported_grant_type`, `invalid_scope` | RFC 6749 §5.2 |
 * | 400 | `authorization_pending`, `slow_down`, `access_denied`, `expired_token` | RFC 8628 §3.5 |
 * | 401 | `invalid_client`, with `WWW-Authenticate` when credentials were sent, and on introspection | RFC 6749 §5.2 |
 * | 404 | `not_found` | no endpoint at this path |
 * | 405 | `invalid_request`, with `Allow` | the endpoint does not take this method |
 * | 413 | `invalid_request` | the body is over the 64 KiB limit and was not read |
 * | 415 | `invalid_request` | the body is not `application/x-www-form-urlencoded` |
 * | 429 | `rate_limited`, with `Retry-After` | a flood ceiling was reached |
 * | 500 | `server_error` | anything unexpected: logged with the request id, never shown |
 * | 503 | `temporarily_unavailable` | database unreachable, password hashing at capacity |
 *
 * Why these names: the RFC codes where one fits (`invalid_request`, `server_error` and
 * `temporarily_unavailable` are RFC 6749's). No RFC code means "no such endpoint", so 404 has an
 * extension code that says it (RFC 6749 §8.5 allows them). 405, 413 and 415 are malformed
 * requests, so `invalid_request`, with the status and the description saying how. The flood
 * ceiling is `rate_limited`, not RFC 8628's `slow_down`: that one tells a polling client to add
 * 5 s to its interval for good, which only the token endpoint may mean. A 415 rather than a bare
 * 400 for another media type: the status says what is wrong, and the body still has `error`.
 *
 * Every such answer has `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1) and the
 * request's `X-Request-Id`. The shared guards (body size, rate limits) throw `ApiError`s; they are
 * translated here, so they cannot leak the envelope into this dialect.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import { PasswordHashingBusyError } from "../auth/passwords.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "./context.js";
import { databaseRetryAfterSeconds, describeError } from "./error-envelope.js";

export interface OAuthErrorDefinition {
  status: OAuthErrorStatus;
  /** The default `error_description`: one sentence in the characters RFC 6749 §5.2 allows. */
  description: string;
}

export type OAuthErrorStatus = 400 | 401 | 404 | 405 | 413 | 415 | 429 | 500 | 503;

/** The codes this dialect answers with. Endpoints add theirs here (`invalid_grant`, `slow_down`, …). */
export const oauthErrorCodes = {
  invalid_request: { status: 400, description: "The request is missing a parameter, repeats one, or is otherwise malformed." },
  invalid_client: { status: 401, description: "The client is unknown, or its authentication failed." },
  invalid_grant: { status: 400, description: "The device code is unknown, was already used, or was issued to another client." },
  unsupported_grant_type: { status: 400, description: "Only the device code grant (urn:ietf:params:oauth:grant-type:device_code) is supported." },
  invalid_scope: { status: 400, description: "Scopes are not supported: a Harmont session acts for the whole account. Send no scope." },
  authorization_pending: { status: 400, description: "The person has not answered yet; poll again after the interval." },
  slow_down: { status: 400, description: "Polling too fast: add 5 seconds to the interval, for this and every later poll." },
  access_denied: { status: 400, description: "The person denied the request, or the session that approved it was signed out." },
  expired_token: { status: 400, description: "The device code expired before it was approved; start again." },
  not_found: { status: 404, description: "There is no OAuth endpoint at this path." },
  rate_limited: { status: 429, description: "Too many requests; wait for the Retry-After seconds, then try again." },
  server_error: { status: 500, description: "The server met an unexpected condition and could not answer the request." },
  temporarily_unavailable: { status: 503, description: "The server cannot answer right now; try again in a moment." },
} as const satisfies Record<string, OAuthErrorDefinition>;

export type OAuthErrorCode = keyof typeof oauthErrorCodes;

/** RFC 6749 §5.2: `error_description` is printable ASCII without `"` and `\`. */
const descriptionCharacters = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

export function isValidErrorDescription(text: string): boolean {
  return descriptionCharacters.test(text);
}

export interface OAuthErrorOptions {
  /** Replaces the code's default description (same character rules). */
  description?: string;
  /** Replaces the code's default status (`invalid_request` is also a 405, 413 and 415). */
  status?: OAuthErrorStatus;
  /** Sent with the answer (`Allow`, `Retry-After`). */
  headers?: Record<string, string>;
}

/** An expected OAuth error answer, thrown by a guard or an endpoint and rendered by the sub-app. */
export class OAuthError extends Error {
  override name = "OAuthError";
  readonly code: OAuthErrorCode;
  readonly status: OAuthErrorStatus;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, options: OAuthErrorOptions = {}) {
    // Like ApiError: an answer to a client, not a fault, so no stack is captured.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(options.description ?? oauthErrorCodes[code].description);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.status = options.status ?? oauthErrorCodes[code].status;
    this.headers = options.headers ?? {};
  }
}

/** The one place an OAuthError becomes a response. */
export function renderOAuthError(c: Context<AppEnv>, error: OAuthError): Response {
  // Set on the answer itself (not as defaults), so no header a route set earlier outlives it.
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  // A description that breaks the RFC's character rules would break strict clients: use the default.
  const description = isValidErrorDescription(error.message) ? error.message : oauthErrorCodes[error.code].description;
  return c.json({ error: error.code, error_description: description }, error.status);
}

const bodyTooLarge = "The request body is larger than 64 KiB.";
/** The description of a 415 (also given by http/form-body.ts). */
export const formBodyRequired = "The request body must be application/x-www-form-urlencoded.";

/** What an envelope error from a shared guard is in this dialect. */
function translateApiError(error: ApiError): OAuthError {
  const retryAfter = error.headers["Retry-After"];
  const headers: Record<string, string> = retryAfter === undefined ? {} : { "Retry-After": retryAfter };
  switch (error.code) {
    case "payload_too_large":
      return new OAuthError("invalid_request", { status: 413, description: bodyTooLarge });
    case "unsupported_media_type":
      return new OAuthError("invalid_request", { status: 415, description: formBodyRequired });
    case "not_found":
      return new OAuthError("not_found");
    case "rate_limited":
      return new OAuthError("rate_limited", { headers });
  }
  if (error.status === 503) return new OAuthError("temporarily_unavailable", { headers });
  if (error.status >= 500) return new OAuthError("server_error");
  // Any other client error (no guard of the OAuth routes gives one today) keeps its status when
  // this dialect has it; its message is written for clients, so it may be shown.
  const status: OAuthErrorStatus = error.status === 405 || error.status === 413 || error.status === 415 ? error.status : 400;
  return new OAuthError("invalid_request", { status, description: error.message, headers });
}

/** A framework exception (for example a body that cannot be read), by its status. */
function translateHttpException(error: HTTPException): OAuthError {
  if (error.status === 413) return new OAuthError("invalid_request", { status: 413, description: bodyTooLarge });
  if (error.status === 415) return new OAuthError("invalid_request", { status: 415, description: formBodyRequired });
  return new OAuthError("invalid_request");
}

export interface OAuthErrorHandlerOptions {
  logger: Logger;
  isServiceUnavailable: (error: unknown) => boolean;
}

/**
 * The sub-app's `onError`: OAuth errors as they are, envelope errors translated, and anything
 * else logged with the request id and answered as `server_error` (or `temporarily_unavailable`
 * when the database is unreachable), never shown.
 */
export function createOAuthErrorHandler(options: OAuthErrorHandlerOptions) {
  return (error: Error, c: Context<AppEnv>): Response => {
    if (error instanceof OAuthError) return renderOAuthError(c, error);
    if (error instanceof ApiError) return renderOAuthError(c, translateApiError(error));
    if (error instanceof HTTPException && error.status < 500) return renderOAuthError(c, translateHttpException(error));
    const requestId = c.get("requestId");
    if (error instanceof PasswordHashingBusyError) {
      options.logger.warn({ request_id: requestId }, "password hashing at capacity");
      return renderOAuthError(c, new OAuthError("temporarily_unavailable", { headers: { "Retry-After": "1" } }));
    }
    if (options.isServiceUnavailable(error)) {
      options.logger.error({ request_id: requestId, err: describeError(error) }, "database unavailable");
      return renderOAuthError(c, new OAuthError("temporarily_unavailable", { headers: { "Retry-After": String(databaseRetryAfterSeconds) } }));
    }
    options.logger.error({ request_id: requestId, err: describeError(error) }, "unhandled error");
    return renderOAuthError(c, new OAuthError("server_error"));
  };
}
