/**
 * Request bodies: at most 64 KiB (refused before any work), JSON only, parsed once. The route's
 * zod schema then validates what was parsed.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors.js";
import type { AppEnv } from "./context.js";

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A declared `Content-Length` is checked as a number, without touching the body; a body without
 * one (chunked, or a `Request` handed to the app in-process) is counted as it streams in.
 */
export function limitBodySize(): MiddlewareHandler<AppEnv> {
  const limitStreamedBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large");
    },
  });
  return async (c, next) => {
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return limitStreamedBody(c, next);
    // Node's HTTP parser has already refused a malformed Content-Length.
    if (Number(length) > MAX_BODY_BYTES) throw new ApiError("payload_too_large");
    await next();
  };
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** Requires a JSON body and parses it, so malformed JSON is `invalid_json`, not a framework error. */
export function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const contentType = c.req.header("content-type");
    const length = c.req.header("content-length");
    const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    if (!contentType) {
      if (hasBody) throw new ApiError("unsupported_media_type");
      throw new ApiError("invalid_request", "A JSON request body is required.");
    }
    if (!jsonMediaType.test(contentType)) throw new ApiError("unsupported_media_type");
    try {
      await c.req.json();
    } catch {
      throw new ApiError("invalid_json");
    }
    await next();
  };
}
