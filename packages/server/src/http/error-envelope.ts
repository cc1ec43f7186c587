/**
 * The one place an error becomes a response: `{"error": {type, code, message, doc_url,
 * request_id}}`. Anything that is not an ApiError is logged with the request id and answered
 * as `server_error`, never shown.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import { PasswordHashingBusyError } from "../auth/passwords.js";
import { ApiError, errorCodes, type ErrorCode } from "../errors.js";
import type { AppEnv } from "./context.js";
import { setDefaultHeader } from "./default-headers.js";
import { renderErrorPage, wantsErrorPage } from "./error-page.js";

/**
 * Seconds a client is asked to wait (`Retry-After`) when the database is unreachable: long
 * enough not to hammer a database that is restarting, short enough that a blip costs little.
 */
export const databaseRetryAfterSeconds = 2;

export function docUrlFor(docsUrl: string, code: ErrorCode): string {
  return `${docsUrl}/api/errors/${code}`;
}

export function renderError(c: Context<AppEnv>, error: ApiError, docsUrl: string): Response {
  const definition = errorCodes[error.code];
  const requestId = c.get("requestId");
  for (const [name, value] of Object.entries(error.headers)) setDefaultHeader(c, name, value);
  if (error.status === 401) setDefaultHeader(c, "WWW-Authenticate", 'Bearer realm="harmont"');
  setDefaultHeader(c, "Cache-Control", "no-store");
  if (wantsErrorPage(c)) return renderErrorPage(c, error, { docsUrl, docUrl: docUrlFor(docsUrl, error.code), requestId });
  return c.json(
    {
      error: {
        code: error.code,
        doc_url: docUrlFor(docsUrl, error.code),
        message: error.message,
        request_id: requestId,
        type: definition.type,
      },
    },
    error.status,
  );
}

export interface ErrorHandlerOptions {
  docsUrl: string;
  logger: Logger;
  isServiceUnavailable: (error: unknown) => boolean;
}

export function createErrorHandler(options: ErrorHandlerOptions) {
  return (error: Error, c: Context<AppEnv>): Response => {
    if (error instanceof ApiError) return renderError(c, error, options.docsUrl);
    // Framework exceptions (for example a body that cannot be read) are mapped by status.
    if (error instanceof HTTPException) {
      const code: ErrorCode =
        error.status === 413 ? "payload_too_large" : error.status === 415 ? "unsupported_media_type" : error.status < 500 ? "invalid_request" : "server_error";
      if (code !== "server_error") return renderError(c, new ApiError(code), options.docsUrl);
    }
    const requestId = c.get("requestId");
    if (error instanceof PasswordHashingBusyError) {
      options.logger.warn({ request_id: requestId }, "password hashing at capacity");
      return renderError(c, new ApiError("service_unavailable", "The server is busy; try again in a moment.", { "Retry-After": "1" }), options.docsUrl);
    }
    if (options.isServiceUnavailable(error)) {
      options.logger.error({ request_id: requestId, err: describeError(error) }, "database unavailable");
      return renderError(c, new ApiError("service_unavailable", undefined, { "Retry-After": String(databaseRetryAfterSeconds) }), options.docsUrl);
    }
    options.logger.error({ request_id: requestId, err: describeError(error) }, "unhandled error");
    return renderError(c, new ApiError("server_error"), options.docsUrl);
  };
}

/** Only the error's class, code and stack: never the request or its body. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { type: error.name, message: error.message, code: (error as { code?: unknown }).code, stack: error.stack };
}
