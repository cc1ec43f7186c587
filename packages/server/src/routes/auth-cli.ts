/**
 * The CLI login endpoints: the loopback handoff (transfer → claim, or deny) and the paste code
 * (code → redeem). Summaries and descriptions are the published contract, word for word.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { claimHandoff, denyHandoff, parkHandoff } from "../auth/handoffs.js";
import { createPasteCode, pasteCodeStatus, redeemPasteCode } from "../auth/paste-code.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies, type RoutePolicy } from "../http/route-guards.js";
import { bearerSecurity, errorResponses, toIsoTime } from "./schemas.js";

const nonceDocumentation = { minLength: 22, maxLength: 256, pattern: "^[A-Za-z0-9_-]+$", example: "a7Kp...random" };
// A polling client stops on anything but `cli_code_invalid`, so `name` must never cause an error.
const sessionName = z
  .unknown()
  .optional()
  .openapi({
    type: "string", description: "A readable name for the new CLI session (cut to 100 characters).", example: "harmont CLI on ada-laptop" });

const CliTransferRequest = z
  .object({ nonce: z.string().openapi({ ...nonceDocumentation, description: "The opaque nonce the CLI generated and is polling claim with." }) })
  .openapi("CliTransferRequest");
const CliDenyRequest = z
  .object({ nonce: z.string().openapi({ ...nonceDocumentation, description: "The nonce of the CLI login to refuse." }) })
  .openapi("CliDenyRequest");
const CliClaimRequest = z
  .object({
    nonce: z.string().openapi({ description: "The nonce the CLI generated for this loopback handoff.", example: "a7Kp...random" }),
    name: sessionName,
  })
  .openapi("CliClaimRequest");
const CliRedeemRequest = z
  .object({
    code: z.string().openapi({ description: "The paste code shown by the SPA.", example: "K7P2QR9MX3WZ4NTV" }),
    name: sessionName,
  })
  .openapi("CliRedeemRequest");
const TokenBody = z
  .object({ token: z.string().openapi({ description: "A new session token (`hmt_…`). Shown once." }) })
  .openapi("SessionToken");
const PasteCodeBody = z
  .object({
    code: z.string().openapi({ example: "K7P2QR9MX3WZ4NTV", description: "16 characters of Crockford base32." }),
    expires_at: z.string().openapi({ format: "date-time", description: "When the code stops working." }),
  })
  .openapi("PasteCode");

const CliCodeStatusRequest = z
  .object({ code: z.string().openapi({ description: "A paste code the caller minted with cli/code.", example: "K7P2QR9MX3WZ4NTV" }) })
  .openapi("CliCodeStatusRequest");
const CliCodeStatusBody = z
  .object({
    state: z.enum(["waiting", "used", "expired"]).openapi({
      description: "`waiting`: not used yet. `used`: a CLI redeemed it. `expired`: it ran out, or went with a revoked session.",
    }),
    expires_at: z.string().optional().openapi({ format: "date-time", description: "While `waiting`: when the code stops working." }),
    used_at: z.string().optional().openapi({ format: "date-time", description: "Once `used`: when the CLI redeemed it." }),
    session_name: z.string().optional().openapi({ description: "Once `used`: the name of the CLI session it created.", example: "harmont CLI on ada-laptop" }),
  })
  .openapi("CliCodeStatus");

const jsonBody = <Schema extends z.ZodType>(schema: Schema, description: string) => ({
  required: false,
  description,
  content: { "application/json": { schema } },
});

export function registerAuthCliRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const guards = (path: string, policy: RoutePolicy) => routeGuards(deps.guard, { path, policy, jsonBody: true, ipLimiter: deps.rateLimits.cliPerIp });

  const claim = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/claim",
    operationId: "cliClaim",
    tags: ["Auth"],
    summary: "Claim a transferred session token (CLI loopback poll)",
    description:
      "The CLI polls with the nonce it generated; on a match within the 60s window it receives the raw session token (single-use).",
    request: { body: jsonBody(CliClaimRequest, "Claim request") },
    responses: {
      200: { description: "The handoff was claimed; a new CLI session was created.", content: { "application/json": { schema: TokenBody } } },
      ...errorResponses(400, 403, 413, 415, 429),
    },
    middleware: guards("/api/v0/auth/cli/claim", routePolicies.public),
  });
  app.openapi(claim, async (c) => {
    const body = c.req.valid("json");
    const result = await claimHandoff(deps.auth, body.nonce, body.name, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure);
    c.header("Cache-Control", "no-store");
    return c.json({ token: result.value.token }, 200);
  });

  const code = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/code",
    operationId: "cliCode",
    tags: ["Auth"],
    summary: "Mint a human-typeable CLI paste code",
    description:
      "Mints a fresh session token for the current user and a short paste code (valid 5 minutes) the user re-types into the CLI to redeem it.",
    security: bearerSecurity,
    responses: {
      200: { description: "A new paste code.", content: { "application/json": { schema: PasteCodeBody } } },
      ...errorResponses(401, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/cli/code", policy: routePolicies.session, jsonBody: false, ipLimiter: deps.rateLimits.cliPerIp }),
  });
  app.openapi(code, async (c) => {
    const minted = await createPasteCode(deps.auth, c.get("auth"), requestMeta(c));
    // The session was revoked while this request was on its way: it no longer authenticates.
    if (!minted.ok) throw new ApiError("unauthorized");
    c.header("Cache-Control", "no-store");
    return c.json({ code: minted.value.code, expires_at: toIsoTime(minted.value.expiresAt) }, 200);
  });

  const codeStatus = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/code/status",
    operationId: "cliCodeStatus",
    tags: ["Auth"],
    summary: "What became of a paste code",
    description:
      "For the page that shows a paste code: whether the caller's code is still waiting, was used (when, and by which CLI session), or has expired. The code travels in the body, never in a URL; a code of another account answers `expired`.",
    security: bearerSecurity,
    request: { body: { required: true, description: "The code to look up", content: { "application/json": { schema: CliCodeStatusRequest } } } },
    responses: {
      200: { description: "The code's state.", content: { "application/json": { schema: CliCodeStatusBody } } },
      ...errorResponses(400, 401, 413, 415),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/auth/cli/code/status", policy: routePolicies.session, jsonBody: true }),
  });
  app.openapi(codeStatus, async (c) => {
    const result = await pasteCodeStatus(deps.auth, c.get("auth"), c.req.valid("json").code);
    if (!result.ok) throw new ApiError(result.failure);
    const status = result.value;
    c.header("Cache-Control", "no-store");
    if (status.state === "waiting") return c.json({ state: status.state, expires_at: toIsoTime(status.expiresAt) }, 200);
    if (status.state === "used") return c.json({ state: status.state, used_at: toIsoTime(status.usedAt), session_name: status.sessionName }, 200);
    return c.json({ state: status.state }, 200);
  });

  const redeem = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/redeem",
    operationId: "cliRedeem",
    tags: ["Auth"],
    summary: "Redeem a CLI paste code for a session token",
    description:
      "The CLI submits the paste code the user typed in; on a match within the 5m window it receives the raw session token (single-use).",
    request: { body: jsonBody(CliRedeemRequest, "Redeem request") },
    responses: {
      200: { description: "The code was redeemed; a new CLI session was created.", content: { "application/json": { schema: TokenBody } } },
      ...errorResponses(400, 413, 415, 429),
    },
    middleware: guards("/api/v0/auth/cli/redeem", routePolicies.public),
  });
  app.openapi(redeem, async (c) => {
    const body = c.req.valid("json");
    const result = await redeemPasteCode(deps.auth, body.code, body.name, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure);
    c.header("Cache-Control", "no-store");
    return c.json({ token: result.value.token }, 200);
  });

  const transfer = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/transfer",
    operationId: "cliTransfer",
    tags: ["Auth"],
    summary: "Hand a session token to a locally-running CLI (loopback)",
    description:
      "Mints a fresh session token for the current user and parks it under the CLI-supplied nonce for 60 seconds. The CLI claims it via the claim endpoint.",
    security: bearerSecurity,
    request: { body: jsonBody(CliTransferRequest, "Transfer request") },
    responses: {
      204: { description: "Parked for the CLI to claim." },
      ...errorResponses(400, 401, 409, 413, 415, 429),
    },
    middleware: guards("/api/v0/auth/cli/transfer", routePolicies.session),
  });
  app.openapi(transfer, async (c) => {
    const result = await parkHandoff(deps.auth, c.get("auth"), c.req.valid("json").nonce, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure === "session_gone" ? "unauthorized" : result.failure);
    return c.body(null, 204);
  });

  const deny = createRoute({
    method: "post",
    path: "/api/v0/auth/cli/deny",
    operationId: "cliDeny",
    tags: ["Auth"],
    summary: "Refuse a CLI login",
    description:
      "Refuses the CLI login waiting on this nonce: its next claim answers 403 `cli_handoff_denied` once. Denying a handoff that another account parked answers 409.",
    security: bearerSecurity,
    request: { body: jsonBody(CliDenyRequest, "Deny request") },
    responses: {
      204: { description: "The login was refused." },
      ...errorResponses(400, 401, 409, 413, 415, 429),
    },
    middleware: guards("/api/v0/auth/cli/deny", routePolicies.session),
  });
  app.openapi(deny, async (c) => {
    const result = await denyHandoff(deps.auth, c.get("auth"), c.req.valid("json").nonce, requestMeta(c));
    if (!result.ok) throw new ApiError(result.failure === "session_gone" ? "unauthorized" : result.failure);
    return c.body(null, 204);
  });
}
