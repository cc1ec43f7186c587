/**
 * The OAuth endpoints of the sub-app (routes/oauth.ts): the device authorization grant (RFC
 * 8628), revocation (RFC 7009) and introspection (RFC 7662). Form bodies in, RFC 6749 answers
 * out. Their OpenAPI operations are registered by hand, because their bodies are parsed by the
 * form guard (one parse, no parameter twice), not by a JSON validator.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { every } from "hono/combine";
import type { AppDeps } from "../app-deps.js";
import { pollDeviceAuthorization, startDeviceAuthorization } from "../auth/device-codes.js";
import type { OAuthClient } from "../auth/oauth-clients.js";
import { introspectToken, revokeClientToken } from "../auth/oauth-tokens.js";
import type { AppEnv } from "../http/context.js";
import { formBody, formRouteGuards } from "../http/form-body.js";
import { OAuthError } from "../http/oauth-error.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";

export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
const basicChallenge = { "WWW-Authenticate": 'Basic realm="harmont"' };

/** The form parameter, or `invalid_request` naming it when it is missing or empty. */
function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value === "") throw new OAuthError("invalid_request", { description: `The ${name} parameter is required.` });
  return value;
}

/**
 * A public client, named by `client_id` in the body. A public client cannot authenticate, so one
 * that sends a secret (in the body or as HTTP Basic) is refused as RFC 6749 §2.3 asks.
 */
function publicClientOf(c: Context<AppEnv>, deps: AppDeps, form: URLSearchParams): OAuthClient {
  if (c.req.header("authorization") !== undefined || form.has("client_secret")) {
    throw new OAuthError("invalid_client", { description: "This is a public client: send client_id only, without a secret.", headers: basicChallenge });
  }
  const client = deps.oauthClients.publicClient(required(form, "client_id"));
  if (!client) throw new OAuthError("invalid_client", { description: "Unknown client_id." });
  return client;
}

/** A resource server by HTTP Basic (RFC 6749 §2.3.1: form-encoded id and secret) or by the body. */
function introspectionClientOf(c: Context<AppEnv>, deps: AppDeps, form: URLSearchParams) {
  const refused = () => new OAuthError("invalid_client", { description: "Introspection needs a registered resource server's credentials.", headers: basicChallenge });
  const header = c.req.header("authorization");
  let id: string | null = null;
  let secret: string | null = null;
  if (header !== undefined) {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    if (!match || form.has("client_secret")) throw refused();
    const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw refused();
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "));
    } catch {
      throw refused();
    }
  } else {
    id = form.get("client_id");
    secret = form.get("client_secret");
  }
  const client = id && secret ? deps.oauthClients.authenticateIntrospection(id, secret) : null;
  if (!client) throw refused();
  return client;
}

const FormError = z.object({ error: z.string(), error_description: z.string().optional() }).openapi("OAuthError", {
  description: "An RFC 6749 §5.2 error: every non-2xx answer under /api/v0/oauth/ has this shape (not the error envelope).",
});
const oauthErrors = {
  400: { description: "RFC 6749 / RFC 8628 error (`invalid_request`, `invalid_grant`, `authorization_pending`, `slow_down`, `access_denied`, `expired_token`, …).", content: { "application/json": { schema: FormError } } },
  401: { description: "`invalid_client`.", content: { "application/json": { schema: FormError } } },
  429: { description: "`rate_limited`, with `Retry-After`.", content: { "application/json": { schema: FormError } } },
};
const form = (schema: z.ZodType) => ({ body: { required: true, content: { "application/x-www-form-urlencoded": { schema } } } });

const DeviceAuthorizationRequest = z
  .object({
    client_id: z.string().openapi({ example: "harmont-cli" }),
    scope: z.string().optional().openapi({ description: "Not supported: must be absent or empty (`invalid_scope`)." }),
    name: z.string().optional().openapi({ description: "Harmont extension: the name of the CLI session this login makes.", example: "harmont CLI on ada-laptop" }),
    expires_in: z.string().optional().openapi({ description: "Harmont extension: seconds the codes should live, at most the server's setting." }),
  })
  .openapi("DeviceAuthorizationRequest");
const DeviceAuthorizationResponse = z
  .object({
    device_code: z.string().openapi({ example: "hmd_q3J0…" }),
    user_code: z.string().openapi({ example: "BCDF-GHJK" }),
    verification_uri: z.string(),
    verification_uri_complete: z.string(),
    expires_in: z.number().int(),
    interval: z.number().int(),
  })
  .openapi("DeviceAuthorizationResponse");
const TokenRequest = z
  .object({
    grant_type: z.literal(DEVICE_CODE_GRANT_TYPE),
    device_code: z.string(),
    client_id: z.string().openapi({ example: "harmont-cli" }),
  })
  .openapi("DeviceTokenRequest");
const TokenResponse = z
  .object({
    access_token: z.string().openapi({ description: "A CLI session token (`hmt_…`)." }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Seconds until the session's idle timeout; it slides with use." }),
  })
  .openapi("DeviceTokenResponse");
const RevokeRequest = z.object({ token: z.string(), token_type_hint: z.string().optional(), client_id: z.string() }).openapi("RevokeTokenRequest");
const IntrospectRequest = z
  .object({ token: z.string(), token_type_hint: z.string().optional(), client_id: z.string().optional(), client_secret: z.string().optional() })
  .openapi("IntrospectTokenRequest");
const IntrospectResponse = z
  .object({
    active: z.boolean(),
    token_type: z.literal("Bearer").optional(),
    client_id: z.string().optional(),
    sub: z.string().optional(),
    username: z.string().optional(),
    iss: z.string().optional(),
    iat: z.number().int().optional(),
    exp: z.number().int().optional(),
    sid: z.string().optional(),
    session_kind: z.string().optional(),
  })
  .openapi("TokenIntrospection");

export function registerOAuthEndpoints(oauth: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const limits = deps.rateLimits;
  const publicUrl = deps.config.publicUrl.href.replace(/\/+$/, "");
  // One middleware of the guards, in their order, so a route takes them with its handler.
  const guards = (path: string) => every(...formRouteGuards({ path: `/api/v0/oauth${path}`, ipLimiter: limits.oauthPerIp }));
  const register = (path: string, operationId: string, summary: string, description: string, request: ReturnType<typeof form>, ok: unknown) =>
    oauth.openAPIRegistry.registerPath({
      method: "post",
      path,
      operationId,
      tags: ["OAuth"],
      summary,
      description,
      request,
      responses: { 200: ok as never, ...oauthErrors },
    });

  register(
    "/device_authorization",
    "oauthDeviceAuthorization",
    "Start a device login (RFC 8628)",
    "A public client asks for a device code (for its polls) and a user code (for the person to type at `verification_uri`). The codes live 5 minutes by default; `interval` is the least time between polls.",
    form(DeviceAuthorizationRequest),
    { description: "The codes.", content: { "application/json": { schema: DeviceAuthorizationResponse } } },
  );
  oauth.post("/device_authorization", guards("/device_authorization"), async (c) => {
    const body = formBody(c);
    const client = publicClientOf(c, deps, body);
    if ((body.get("scope") ?? "") !== "") throw new OAuthError("invalid_scope");
    const expiresIn = body.get("expires_in");
    if (expiresIn !== null && !/^[1-9]\d{0,6}$/.test(expiresIn)) throw new OAuthError("invalid_request", { description: "expires_in must be a whole number of seconds, at least 1." });
    const perIp = await limits.deviceCodesPerIp.consume(c.get("clientIp") ?? "unknown");
    if (!perIp.allowed) throw rateLimitedError(perIp.retryAfterSeconds);
    const started = await startDeviceAuthorization(
      deps.auth,
      { client, sessionName: body.get("name") ?? undefined, expiresInSeconds: expiresIn === null ? undefined : Number(expiresIn) },
      requestMeta(c),
    );
    const verificationUri = `${publicUrl}/device`;
    return c.json(
      {
        device_code: started.deviceCode,
        user_code: started.userCode,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${started.userCode}`,
        expires_in: started.expiresInSeconds,
        interval: started.intervalSeconds,
      },
      200,
    );
  });

  register(
    "/token",
    "oauthToken",
    "Poll for the token of a device login",
    "With `grant_type=urn:ietf:params:oauth:grant-type:device_code`: `authorization_pending` until the person answers, `slow_down` (and a longer interval, kept by the server) when polled too soon, then once the access token: a new CLI session. `access_denied` and `expired_token` end the login; a used code is `invalid_grant`.",
    form(TokenRequest),
    { description: "The access token.", content: { "application/json": { schema: TokenResponse } } },
  );
  oauth.post("/token", guards("/token"), async (c) => {
    const body = formBody(c);
    const grantType = required(body, "grant_type");
    if (grantType !== DEVICE_CODE_GRANT_TYPE) throw new OAuthError("unsupported_grant_type");
    const client = publicClientOf(c, deps, body);
    const result = await pollDeviceAuthorization(deps.auth, { deviceCode: required(body, "device_code"), clientId: client.id }, requestMeta(c));
    if (!result.ok) throw new OAuthError(result.failure);
    return c.json({ access_token: result.value.token, token_type: "Bearer" as const, expires_in: result.value.expiresInSeconds }, 200);
  });

  register(
    "/revoke",
    "oauthRevoke",
    "Revoke a token (RFC 7009)",
    "A client revokes a token it was issued: the session ends at once, on every server process. The answer is the same 200 for a token that is unknown, already revoked or another client's.",
    form(RevokeRequest),
    { description: "Revoked, or nothing to revoke." },
  );
  oauth.post("/revoke", guards("/revoke"), async (c) => {
    const body = formBody(c);
    const token = required(body, "token");
    const client = publicClientOf(c, deps, body);
    await revokeClientToken(deps.auth, client.id, token, requestMeta(c));
    return c.body(null, 200);
  });

  register(
    "/introspect",
    "oauthIntrospect",
    "Introspect a token (RFC 7662)",
    "For resource servers registered in `HARMONT_INTROSPECTION_CLIENTS` (HTTP Basic or `client_secret_post`): whether a token works now, and whose it is. Any token that does not work answers `{\"active\": false}` alone.",
    form(IntrospectRequest),
    { description: "The token's state.", content: { "application/json": { schema: IntrospectResponse } } },
  );
  oauth.post("/introspect", guards("/introspect"), async (c) => {
    const body = formBody(c);
    introspectionClientOf(c, deps, body);
    const token = required(body, "token");
    return c.json(await introspectToken(deps.auth, token, publicUrl, c.get("clientIp") ?? null), 200);
  });
}
