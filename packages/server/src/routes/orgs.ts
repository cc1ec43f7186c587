/**
 * Organizations over HTTP: the first-paint bootstrap, switching the active org, the org routes
 * (create, read, rename, delete, members, roles, leaving) and invitations. Role checks live in the
 * domain (`requireOrgRole`); every "not yours" answers like "not there".
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../app-deps.js";
import { acceptInvitation, createInvitation, listInvitations, revokeInvitation, type ListedInvitation } from "../auth/invitations.js";
import {
  changeMemberRole,
  createOrg,
  deleteOrg,
  getOrg,
  isValidSlug,
  listMyOrgs,
  listOrgMembers,
  orgRoles,
  removeMember,
  switchOrg,
  updateOrg,
  type Member,
  type Org,
  type OrgWithRole,
} from "../auth/orgs.js";
import { ApiError, type ErrorCode } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { rateLimitedError } from "../http/rate-limit.js";
import { requestMeta } from "../http/request-meta.js";
import { routeGuards, routePolicies, type RoutePolicy } from "../http/route-guards.js";
import { SessionSchema, UserSchema, bearerSecurity, errorResponses, toIsoTime, toSessionBody, toUserBody } from "./schemas.js";

const Role = z.enum(orgRoles).openapi("OrgRole", { description: "`owner` may do anything; `admin` manages members and invitations (not owners); `member` reads." });

const OrgSchema = z
  .object({
    id: z.string().openapi({ example: "org_Hq2mX7bN4cV9zT1kR6sW" }),
    name: z.string().openapi({ example: "Acme" }),
    slug: z.string().nullable().openapi({ example: "acme" }),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Org");

const OrgMembershipSchema = z
  .object({
    id: z.string().openapi({ example: "org_Hq2mX7bN4cV9zT1kR6sW" }),
    name: z.string().openapi({ example: "Acme" }),
    slug: z.string().nullable().openapi({ example: "acme" }),
    role: Role,
    joined_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("OrgMembership", { description: "One of the caller's organizations, with the caller's role in it." });

const OrgWithRoleSchema = z.object({ org: OrgSchema, role: Role }).openapi("OrgWithRole");

const MemberSchema = z
  .object({
    user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }),
    role: Role,
    joined_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("OrgMember");

const InvitationSchema = z
  .object({
    id: z.string().openapi({ example: "inv_Pq8wE3rT6yU1iO4pA7sD" }),
    email: z.string().openapi({ example: "grace@example.com" }),
    role: Role,
    invited_by: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }).nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    expires_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("OrgInvitation", { description: "An invitation as admins see it. Its token is only ever in the mail." });

const Bootstrap = z
  .object({
    user: UserSchema,
    session: SessionSchema,
    active_org: z.union([OrgMembershipSchema, z.null()]),
    orgs: z.array(OrgMembershipSchema).openapi({ description: "Every org of the user, most recently active first, at most 200." }),
    orgs_truncated: z.boolean().openapi({ description: "Whether the user has more orgs than the list holds." }),
    second_factor: z
      .object({ enabled: z.boolean(), backup_codes_remaining: z.number().int() })
      .openapi({ description: "Two-step verification of the account (not offered yet: always off)." }),
    pending_approvals: z.number().int().openapi({ description: "Sign-ins waiting for this session's approval (none until approvals exist)." }),
    impersonation: z.null().openapi({ type: "null", description: "Who is impersonating this session (none until support sessions exist)." }),
  })
  .openapi("Bootstrap");

const slugField = z
  .string()
  .refine(isValidSlug, { message: "A slug is 1 to 40 lowercase letters, digits and dashes, and starts and ends with a letter or digit." })
  .openapi({ example: "acme", description: "1 to 40 of a-z, 0-9 and inner dashes; unique on the server." });
const nameField = z.string().min(1).max(100).openapi({ example: "Acme", description: "1 to 100 characters." });

const CreateOrgRequest = z.object({ name: nameField, slug: slugField.nullable().optional() }).openapi("CreateOrgRequest");
const UpdateOrgRequest = z
  .object({ name: nameField.optional(), slug: slugField.nullable().optional() })
  .refine((body) => body.name !== undefined || body.slug !== undefined, { message: "Give name, slug, or both." })
  .openapi("UpdateOrgRequest");
const SwitchOrgRequest = z
  .object({ org_id: z.string().max(64).nullable().openapi({ description: "An org the caller is a member of, or `null` for none." }) })
  .openapi("SwitchOrgRequest");
const SwitchedOrg = z.object({ session: SessionSchema, active_org: z.union([OrgMembershipSchema, z.null()]) }).openapi("SwitchedOrg");
const ChangeRoleRequest = z.object({ role: Role }).openapi("ChangeOrgRoleRequest");
const CreateInvitationRequest = z
  .object({ email: z.string().min(3).max(254).openapi({ example: "grace@example.com" }), role: Role })
  .openapi("CreateOrgInvitationRequest");
const AcceptInvitationRequest = z
  .object({ token: z.string().max(128).openapi({ description: "The `hin_…` token from the invitation link's fragment." }) })
  .openapi("AcceptOrgInvitationRequest");

const orgIdParam = z.string().max(64).openapi({ param: { name: "org_id", in: "path" }, example: "org_Hq2mX7bN4cV9zT1kR6sW" });
const userIdParam = z.string().max(64).openapi({ param: { name: "user_id", in: "path" }, example: "usr_3qg5XkR2b1n0cZ8wYp4a" });
const invitationIdParam = z.string().max(64).openapi({ param: { name: "invitation_id", in: "path" }, example: "inv_Pq8wE3rT6yU1iO4pA7sD" });

function toOrgBody(org: Org): z.infer<typeof OrgSchema> {
  return { id: org.id, name: org.name, slug: org.slug, created_at: toIsoTime(org.createdAt) };
}

function toMembershipBody(entry: OrgWithRole): z.infer<typeof OrgMembershipSchema> {
  return { id: entry.org.id, name: entry.org.name, slug: entry.org.slug, role: entry.role, joined_at: toIsoTime(entry.joinedAt) };
}

function toMemberBody(member: Member): z.infer<typeof MemberSchema> {
  return { user: member.user, role: member.role, joined_at: toIsoTime(member.joinedAt) };
}

function toInvitationBody(invitation: ListedInvitation): z.infer<typeof InvitationSchema> {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    invited_by: invitation.invitedBy,
    created_at: toIsoTime(invitation.createdAt),
    expires_at: toIsoTime(invitation.expiresAt),
  };
}

/** A domain failure as its error; every failure name here is an error code of the table. */
function refuse(failure: ErrorCode): never {
  throw new ApiError(failure);
}

export function registerOrgRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const guards = (path: string, policy: RoutePolicy, jsonBody: boolean) => routeGuards(deps.guard, { path, policy, jsonBody });

  const bootstrap = createRoute({
    method: "get",
    path: "/api/v0/auth/bootstrap",
    operationId: "getBootstrap",
    tags: ["Organizations"],
    summary: "Everything for a first paint",
    description:
      "The user, the session, the active org with the caller's role, every org of the user, and the account's two-step, approval and impersonation state, in one call.",
    security: bearerSecurity,
    responses: { 200: { description: "The state.", content: { "application/json": { schema: Bootstrap } } }, ...errorResponses(401, 403) },
    middleware: guards("/api/v0/auth/bootstrap", routePolicies.session, false),
  });
  app.openapi(bootstrap, async (c) => {
    const auth = c.get("auth");
    const { orgs, truncated } = await listMyOrgs(deps.auth, auth.user.id);
    const active = auth.session.orgId === null ? null : (orgs.find((entry) => entry.org.id === auth.session.orgId) ?? null);
    return c.json(
      {
        user: toUserBody(auth.user),
        session: toSessionBody(auth.session, auth.orgRole),
        active_org: active ? toMembershipBody(active) : null,
        orgs: orgs.map(toMembershipBody),
        orgs_truncated: truncated,
        second_factor: { enabled: false, backup_codes_remaining: 0 },
        pending_approvals: 0,
        impersonation: null,
      },
      200,
    );
  });

  const switchRoute = createRoute({
    method: "post",
    path: "/api/v0/auth/session/org",
    operationId: "switchOrg",
    tags: ["Organizations"],
    summary: "Switch the active organization",
    description:
      "Sets the active org of this session (the same token; other sessions keep theirs). `null` clears it. An org the caller is not a member of answers 404 `organization_not_found`, as one that does not exist.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: SwitchOrgRequest } } } },
    responses: { 200: { description: "Switched.", content: { "application/json": { schema: SwitchedOrg } } }, ...errorResponses(400, 401, 403, 404, 413, 415) },
    // Switching org is navigation: a support session may do it too.
    middleware: guards("/api/v0/auth/session/org", routePolicies.sessionOrSupport, true),
  });
  app.openapi(switchRoute, async (c) => {
    const auth = c.get("auth");
    const orgId = c.req.valid("json").org_id;
    const result = await switchOrg(deps.auth, auth, orgId, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    const active = result.value;
    const session = toSessionBody({ ...auth.session, orgId: active ? active.org.id : null }, active?.role ?? null);
    return c.json({ session, active_org: active ? toMembershipBody(active) : null }, 200);
  });

  const create = createRoute({
    method: "post",
    path: "/api/v0/orgs",
    operationId: "createOrg",
    tags: ["Organizations"],
    summary: "Create an organization",
    description: "The caller becomes its owner; a session with no active org switches to it. Needs a verified email address.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: CreateOrgRequest } } } },
    responses: {
      201: { description: "Created.", content: { "application/json": { schema: OrgMembershipSchema } } },
      ...errorResponses(400, 401, 403, 409, 413, 415, 429),
    },
    middleware: guards("/api/v0/orgs", routePolicies.session, true),
  });
  app.openapi(create, async (c) => {
    const auth = c.get("auth");
    const body = c.req.valid("json");
    const decision = await deps.rateLimits.orgCreatesPerUser.consume(auth.user.id);
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    const result = await createOrg(deps.auth, auth, { name: body.name, slug: body.slug }, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "invalid_org_name") throw new ApiError("invalid_request", "name: give the organization a name of 1 to 100 characters.");
      refuse(result.failure);
    }
    return c.json(toMembershipBody(result.value), 201);
  });

  const list = createRoute({
    method: "get",
    path: "/api/v0/orgs",
    operationId: "listOrgs",
    tags: ["Organizations"],
    summary: "List my organizations",
    description: "Every org of the caller with their role, most recently active first (at most 200).",
    security: bearerSecurity,
    responses: {
      200: { description: "The orgs.", content: { "application/json": { schema: z.object({ orgs: z.array(OrgMembershipSchema) }).openapi("OrgList") } } },
      ...errorResponses(401),
    },
    middleware: guards("/api/v0/orgs", routePolicies.sessionOrApiToken, false),
  });
  app.openapi(list, async (c) => c.json({ orgs: (await listMyOrgs(deps.auth, c.get("auth").user.id)).orgs.map(toMembershipBody) }, 200));

  const read = createRoute({
    method: "get",
    path: "/api/v0/orgs/{org_id}",
    operationId: "getOrg",
    tags: ["Organizations"],
    summary: "An organization",
    description: "The org and the caller's role in it. Members only; anyone else gets 404 `organization_not_found`.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam }) },
    responses: { 200: { description: "The org.", content: { "application/json": { schema: OrgWithRoleSchema } } }, ...errorResponses(400, 401, 404) },
    middleware: guards("/api/v0/orgs/{org_id}", routePolicies.sessionOrApiToken, false),
  });
  app.openapi(read, async (c) => {
    const result = await getOrg(deps.auth, c.get("auth"), c.req.valid("param").org_id, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    return c.json({ org: toOrgBody(result.value.org), role: result.value.role }, 200);
  });

  const update = createRoute({
    method: "patch",
    path: "/api/v0/orgs/{org_id}",
    operationId: "updateOrg",
    tags: ["Organizations"],
    summary: "Rename an organization or change its slug",
    description: "Admins and owners. A slug of `null` removes it.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam }), body: { required: true, content: { "application/json": { schema: UpdateOrgRequest } } } },
    responses: { 200: { description: "Changed.", content: { "application/json": { schema: OrgSchema } } }, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
    middleware: guards("/api/v0/orgs/{org_id}", routePolicies.session, true),
  });
  app.openapi(update, async (c) => {
    const body = c.req.valid("json");
    const result = await updateOrg(deps.auth, c.get("auth"), c.req.valid("param").org_id, { name: body.name, slug: body.slug }, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "invalid_org_name") throw new ApiError("invalid_request", "name: give the organization a name of 1 to 100 characters.");
      refuse(result.failure);
    }
    return c.json(toOrgBody(result.value), 200);
  });

  const remove = createRoute({
    method: "delete",
    path: "/api/v0/orgs/{org_id}",
    operationId: "deleteOrg",
    tags: ["Organizations"],
    summary: "Delete an organization",
    description: "Owners only. Memberships and invitations go with it; sessions that had it active fall back to no org.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam }) },
    responses: { 204: { description: "Deleted." }, ...errorResponses(400, 401, 403, 404) },
    middleware: guards("/api/v0/orgs/{org_id}", routePolicies.session, false),
  });
  app.openapi(remove, async (c) => {
    const result = await deleteOrg(deps.auth, c.get("auth"), c.req.valid("param").org_id, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    return c.body(null, 204);
  });

  const members = createRoute({
    method: "get",
    path: "/api/v0/orgs/{org_id}/members",
    operationId: "listOrgMembers",
    tags: ["Organizations"],
    summary: "List an organization's members",
    description: "Members only, oldest membership first.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam }) },
    responses: {
      200: { description: "The members.", content: { "application/json": { schema: z.object({ members: z.array(MemberSchema) }).openapi("OrgMemberList") } } },
      ...errorResponses(400, 401, 404),
    },
    middleware: guards("/api/v0/orgs/{org_id}/members", routePolicies.sessionOrApiToken, false),
  });
  app.openapi(members, async (c) => {
    const result = await listOrgMembers(deps.auth, c.get("auth"), c.req.valid("param").org_id, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    return c.json({ members: result.value.map(toMemberBody) }, 200);
  });

  const changeRole = createRoute({
    method: "patch",
    path: "/api/v0/orgs/{org_id}/members/{user_id}",
    operationId: "changeOrgMemberRole",
    tags: ["Organizations"],
    summary: "Change a member's role",
    description:
      "Admins move members between `member` and `admin`; only owners make or demote owners. The last owner cannot be demoted (409 `last_owner`), also when two owners try at once.",
    security: bearerSecurity,
    request: {
      params: z.object({ org_id: orgIdParam, user_id: userIdParam }),
      body: { required: true, content: { "application/json": { schema: ChangeRoleRequest } } },
    },
    responses: { 200: { description: "Changed.", content: { "application/json": { schema: MemberSchema } } }, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
    middleware: guards("/api/v0/orgs/{org_id}/members/{user_id}", routePolicies.session, true),
  });
  app.openapi(changeRole, async (c) => {
    const { org_id: orgId, user_id: userId } = c.req.valid("param");
    const result = await changeMemberRole(deps.auth, c.get("auth"), orgId, userId, c.req.valid("json").role, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    return c.json(toMemberBody(result.value), 200);
  });

  const removeMemberRoute = createRoute({
    method: "delete",
    path: "/api/v0/orgs/{org_id}/members/{user_id}",
    operationId: "removeOrgMember",
    tags: ["Organizations"],
    summary: "Remove a member, or leave",
    description:
      "Your own user id leaves the org (any role, but not the last owner). Admins remove members and admins; owners remove anyone. The member's sessions in the org fall back to no org at once.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam, user_id: userIdParam }) },
    responses: { 204: { description: "Removed." }, ...errorResponses(400, 401, 403, 404, 409) },
    middleware: guards("/api/v0/orgs/{org_id}/members/{user_id}", routePolicies.session, false),
  });
  app.openapi(removeMemberRoute, async (c) => {
    const { org_id: orgId, user_id: userId } = c.req.valid("param");
    const result = await removeMember(deps.auth, c.get("auth"), orgId, userId, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    return c.body(null, 204);
  });

  const invite = createRoute({
    method: "post",
    path: "/api/v0/orgs/{org_id}/invitations",
    operationId: "createOrgInvitation",
    tags: ["Organizations"],
    summary: "Invite someone by email",
    description:
      "Admins and owners (inviting an owner takes an owner). Mails a link that works once, for that address only, for 7 days by default; a new invitation to the same address replaces the old one. The answer never holds the token.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam }), body: { required: true, content: { "application/json": { schema: CreateInvitationRequest } } } },
    responses: {
      201: { description: "Sent.", content: { "application/json": { schema: InvitationSchema } } },
      ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429),
    },
    middleware: guards("/api/v0/orgs/{org_id}/invitations", routePolicies.session, true),
  });
  app.openapi(invite, async (c) => {
    const auth = c.get("auth");
    const orgId = c.req.valid("param").org_id;
    const body = c.req.valid("json");
    // Spent only by someone who may invite, so strangers cannot use up an org's budget.
    const membership = await deps.auth.store.orgs.findMembership(orgId, auth.user.id);
    if (membership && membership.role !== "member") {
      const perOrg = await deps.rateLimits.invitationsPerOrg.consume(orgId);
      if (!perOrg.allowed) throw rateLimitedError(perOrg.retryAfterSeconds);
      const perInviter = await deps.rateLimits.invitationsPerInviter.consume(auth.user.id);
      if (!perInviter.allowed) throw rateLimitedError(perInviter.retryAfterSeconds);
      const perAddress = await deps.rateLimits.emailCodesPerAddress.consume(body.email.trim().toLowerCase());
      if (!perAddress.allowed) throw rateLimitedError(perAddress.retryAfterSeconds);
    }
    const result = await createInvitation(deps.auth, auth, orgId, { email: body.email, role: body.role }, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "invalid_email") throw new ApiError("invalid_request", "email: give an email address like grace@example.com.");
      refuse(result.failure);
    }
    return c.json(toInvitationBody(result.value), 201);
  });

  const invitations = createRoute({
    method: "get",
    path: "/api/v0/orgs/{org_id}/invitations",
    operationId: "listOrgInvitations",
    tags: ["Organizations"],
    summary: "List an organization's invitations",
    description: "Admins and owners: the live invitations, newest first, without their tokens.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam }) },
    responses: {
      200: {
        description: "The invitations.",
        content: { "application/json": { schema: z.object({ invitations: z.array(InvitationSchema) }).openapi("OrgInvitationList") } },
      },
      ...errorResponses(400, 401, 403, 404),
    },
    middleware: guards("/api/v0/orgs/{org_id}/invitations", routePolicies.session, false),
  });
  app.openapi(invitations, async (c) => {
    const result = await listInvitations(deps.auth, c.get("auth"), c.req.valid("param").org_id, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    return c.json({ invitations: result.value.map(toInvitationBody) }, 200);
  });

  const revoke = createRoute({
    method: "delete",
    path: "/api/v0/orgs/{org_id}/invitations/{invitation_id}",
    operationId: "revokeOrgInvitation",
    tags: ["Organizations"],
    summary: "Revoke an invitation",
    description: "Admins and owners. Its link stops working at once.",
    security: bearerSecurity,
    request: { params: z.object({ org_id: orgIdParam, invitation_id: invitationIdParam }) },
    responses: { 204: { description: "Revoked." }, ...errorResponses(400, 401, 403, 404) },
    middleware: guards("/api/v0/orgs/{org_id}/invitations/{invitation_id}", routePolicies.session, false),
  });
  app.openapi(revoke, async (c) => {
    const { org_id: orgId, invitation_id: invitationId } = c.req.valid("param");
    const result = await revokeInvitation(deps.auth, c.get("auth"), orgId, invitationId, requestMeta(c));
    if (!result.ok) refuse(result.failure);
    return c.body(null, 204);
  });

  const accept = createRoute({
    method: "post",
    path: "/api/v0/org-invitations/accept",
    operationId: "acceptOrgInvitation",
    tags: ["Organizations"],
    summary: "Accept an invitation",
    description:
      "Joins the org with the invitation's role, once. The caller must be signed in with the invited address, verified; another address answers 403 `invite_email_mismatch` (naming the invited one, masked) and uses nothing up.",
    security: bearerSecurity,
    request: { body: { required: true, content: { "application/json": { schema: AcceptInvitationRequest } } } },
    responses: {
      200: { description: "Joined.", content: { "application/json": { schema: OrgWithRoleSchema } } },
      ...errorResponses(400, 401, 403, 413, 415, 429),
    },
    middleware: routeGuards(deps.guard, { path: "/api/v0/org-invitations/accept", policy: routePolicies.session, jsonBody: true, ipLimiter: deps.rateLimits.cliPerIp }),
  });
  app.openapi(accept, async (c) => {
    const result = await acceptInvitation(deps.auth, c.get("auth"), c.req.valid("json").token, requestMeta(c));
    if (!result.ok) {
      if (result.failure === "invite_email_mismatch") {
        throw new ApiError("invite_email_mismatch", `This invitation is for ${result.maskedEmail}: sign in with that address to accept it.`);
      }
      refuse(result.failure);
    }
    return c.json({ org: toOrgBody(result.value.org), role: result.value.role }, 200);
  });
}
