/**
 * Request bodies: at most 64 KiB (refused before any work), JSON only, parsed once. The route's
 * zod schema then validates what was parsed.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors.js";
import type { AppEnv } from "./context.js";

export const MAX_BODY_BYTES = 64 * 1024;

export function limitBodySize(): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large");
    },
  });
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
