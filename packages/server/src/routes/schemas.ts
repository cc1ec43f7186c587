/** Wire schemas shared by several route groups, and their mapping from domain records. */
import { z } from "@hono/zod-openapi";
import { describeUserAgent, sessionExpiresAt } from "../auth/sessions.js";
import type { OrgRole, Session, User } from "../auth/types.js";
import { errorCodes } from "../errors.js";

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: "Machine-readable error code.", example: "cli_code_invalid" }),
      doc_url: z.string().openapi({ description: "Page that explains this code.", example: "http://localhost:8080/docs/api/errors/cli_code_invalid" }),
      message: z.string().openapi({ description: "Human-readable explanation." }),
      request_id: z.string().openapi({ description: "Also sent as the X-Request-Id header." }),
      type: z.string().openapi({ description: "The error's class.", example: "invalid_request" }),
    }),
  })
  .openapi("ErrorEnvelope", { description: "Every non-2xx answer has this shape." });

const statusDescriptions: Record<number, string> = {
  400: "Invalid request",
  401: "Missing, malformed, expired or revoked credentials",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Body larger than 64 KiB",
  415: "Body is not JSON",
  429: "Rate limited (see Retry-After)",
  503: "Service unavailable",
};

/** OpenAPI responses for the error statuses a route can give, each naming its codes. */
export function errorResponses(...statuses: Array<keyof typeof statusDescriptions>) {
  const entries = statuses.map((status) => {
    const codes = Object.entries(errorCodes)
      .filter(([, definition]) => definition.status === status)
      .map(([code]) => `\`${code}\``)
      .join(", ");
    return [
      status,
      {
        description: `${statusDescriptions[status]} (codes: ${codes})`,
        content: { "application/json": { schema: ErrorEnvelope } },
      },
    ] as const;
  });
  return Object.fromEntries(entries) as Record<number, { description: string; content: { "application/json": { schema: typeof ErrorEnvelope } } }>;
}

export const UserSchema = z
  .object({
    id: z.string().openapi({ example: "usr_3qg5XkR2b1n0cZ8wYp4a" }),
    email: z.string().openapi({ example: "ada@example.com" }),
    name: z.string().nullable().openapi({ example: "Ada" }),
    email_verified: z.boolean().openapi({ description: "Whether the address was proven by a code sent to it." }),
  })
  .openapi("User");

export const SessionSchema = z
  .object({
    id: z.string().openapi({ example: "ses_Zb7fK2mQ9cR4tW1xY8nA" }),
    kind: z.enum(["web", "cli", "api"]).openapi({ description: "`web` and `cli` are sign-ins; `api` is an API token (only its own session check shows it)." }),
    name: z.string().openapi({ example: "harmont CLI on ada-laptop" }),
    created_at: z.string().openapi({ format: "date-time" }),
    last_used_at: z.string().openapi({ format: "date-time", description: "Updated at most once a minute." }),
    expires_at: z.string().openapi({ format: "date-time", description: "The earlier of the idle timeout and the absolute lifetime." }),
    parent_session_id: z.string().nullable().openapi({ description: "The session that authorized this one (CLI logins)." }),
    client_id: z.string().nullable().openapi({ description: "The OAuth client a device login issued it to; `null` for other sessions.", example: "harmont-cli" }),
    org_id: z.string().nullable().openapi({ description: "The active organization; `null` for none.", example: "org_Hq2mX7bN4cV9zT1kR6sW" }),
    org_role: z.enum(["owner", "admin", "member"]).nullable().openapi({ description: "The user's role in the active organization, read with the session." }),
    device: z.string().nullable().openapi({ description: "The browser and system its User-Agent names, when it names them.", example: "Chrome on Linux" }),
    ip: z.string().nullable().openapi({ description: "The address it was last used from (recorded with `last_used_at`), else the one it was made from.", example: "203.0.113.7" }),
    impersonated: z.boolean().openapi({ description: "A support session: an operator acting as the user (read-only)." }),
    second_factor_verified: z.boolean().openapi({
      description: "Whether this session (or the sign-in it came from) passed two-step verification: a code, a backup code, or an approval from another device.",
    }),
  })
  .openapi("Session");

export function toUserBody(user: User): z.infer<typeof UserSchema> {
  return { id: user.id, email: user.email, name: user.name, email_verified: user.emailVerifiedAt !== null };
}

export function toIsoTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString();
}

/** A session as the API shows it; `orgRole` only where the session check read it (the request's own session). */
export function toSessionBody(session: Session, orgRole: OrgRole | null = null): z.infer<typeof SessionSchema> {
  return {
    id: session.id,
    kind: session.kind,
    name: session.name,
    created_at: toIsoTime(session.createdAt),
    last_used_at: toIsoTime(session.lastUsedAt),
    expires_at: toIsoTime(sessionExpiresAt(session)),
    parent_session_id: session.parentSessionId,
    client_id: session.clientId,
    org_id: session.orgId,
    org_role: session.orgId === null ? null : orgRole,
    device: describeUserAgent(session.userAgent),
    ip: session.lastIp ?? session.ip,
    impersonated: session.impersonatorUserId !== null,
    second_factor_verified: session.mfaVerifiedAt !== null,
  };
}

export const bearerSecurity = [{ bearerAuth: [] }];
