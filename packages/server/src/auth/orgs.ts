/**
 * Organizations: memberships with roles (owner, admin, member), the active org of a session, and
 * the changes an org's people make to it. No HTTP, no SQL.
 *
 * Invariants, and what keeps them under concurrency:
 * - An org always has an owner: every membership change locks the org row (`lockOrg`) in its
 *   transaction, then counts owners, so two owners demoting each other at once cannot both win.
 * - A session never keeps an org it no longer belongs to: removing a member (or leaving, or
 *   deleting the org) clears `org_id` on their sessions in the same transaction; a switch is one
 *   conditional write that needs the membership to exist; and the session check reads the role
 *   through a join, so a membership that is gone reads as no org.
 * - Every org-scoped action reads the caller's membership itself (`requireOrgRole`): the
 *   session's `org_id` is never proof of membership. Not a member and no such org answer alike.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { cleanSessionName, generateId } from "./tokens.js";
import type { AuthStore } from "./types.js";

export const orgRoles = ["owner", "admin", "member"] as const;
export type OrgRole = (typeof orgRoles)[number];

const roleRank: Record<OrgRole, number> = { member: 0, admin: 1, owner: 2 };

export function hasRoleAtLeast(role: OrgRole, minimum: OrgRole): boolean {
  return roleRank[role] >= roleRank[minimum];
}

export interface Org {
  id: string;
  name: string;
  slug: string | null;
  createdByUserId: string;
  createdAt: number;
  updatedAt: number;
}

export interface Membership {
  orgId: string;
  userId: string;
  role: OrgRole;
  createdAt: number;
  lastActiveAt: number | null;
}

/** One of a user's orgs, as their org list shows it. */
export interface OrgWithRole {
  org: Org;
  role: OrgRole;
  joinedAt: number;
  lastActiveAt: number | null;
}

export interface Member {
  user: { id: string; email: string; name: string | null };
  role: OrgRole;
  joinedAt: number;
}

export interface OrgStore {
  /** `false` when the slug is taken. */
  insertOrg(org: Org): Promise<boolean>;
  findOrg(orgId: string): Promise<Org | null>;
  /** `false` when the new slug is taken. */
  updateOrg(orgId: string, change: { name?: string; slug?: string | null }, now: number): Promise<boolean>;
  deleteOrg(orgId: string): Promise<void>;
  /**
   * Reads the org and holds its row until the transaction ends (PostgreSQL: `FOR UPDATE`; SQLite
   * serialises its writers already). Every membership change takes it first. Transactions only.
   */
  lockOrg(orgId: string): Promise<Org | null>;
  findMembership(orgId: string, userId: string): Promise<Membership | null>;
  /** `false` when the user is a member already (their role stays). */
  insertMembership(membership: Membership): Promise<boolean>;
  setRole(orgId: string, userId: string, role: OrgRole, now: number): Promise<void>;
  deleteMembership(orgId: string, userId: string): Promise<boolean>;
  countOwners(orgId: string): Promise<number>;
  /** The user's orgs, most recently active first (then oldest membership), at most `limit`. */
  listOrgsOfUser(userId: string, limit: number): Promise<OrgWithRole[]>;
  listMembers(orgId: string): Promise<Member[]>;
  markActive(orgId: string, userId: string, now: number): Promise<void>;
  /**
   * Sets the session's active org, only while the session's user is a member of it (one
   * conditional write; `null` always succeeds). `false` when nothing was written.
   */
  setSessionOrg(sessionId: string, userId: string, orgId: string | null): Promise<boolean>;
  /** Clears `org_id` on the user's sessions in the org (or, without `userId`, on everyone's). */
  clearSessionsOrg(orgId: string, userId?: string): Promise<void>;
}

/** Most orgs a list answers; a user in more sees the most recently active ones. */
export const ORG_LIST_LIMIT = 200;

/** `acme`, `acme-labs`: 1 to 40 lowercase letters, digits and inner dashes. */
const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export function isValidSlug(slug: string): boolean {
  return slugPattern.test(slug);
}

/** An org name as people type it: cleaned like a session name, 1 to 100 characters. */
export function cleanOrgName(name: string): string | null {
  const cleaned = cleanSessionName(name, "");
  return cleaned === "" ? null : cleaned;
}

export type OrgAccessFailure = "organization_not_found" | "insufficient_org_role";

/**
 * The caller's membership of the org, at least `minimum`. Not a member and no such org are the
 * same failure, so org ids cannot be probed; a member below the role is audited.
 */
export async function requireOrgRole(
  deps: Pick<AuthDeps, "store" | "clock">,
  store: AuthStore,
  caller: Authenticated,
  orgId: string,
  minimum: OrgRole,
  meta: RequestMeta,
): Promise<Result<OrgAccessFailure, Membership>> {
  const membership = await store.orgs.findMembership(orgId, caller.user.id);
  if (!membership) return fail("organization_not_found");
  if (!hasRoleAtLeast(membership.role, minimum)) {
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.access.denied", target: orgId, detail: { needed: minimum, role: membership.role } });
    return fail("insufficient_org_role");
  }
  return ok(membership);
}

/** The org a new sign-in starts in: the most recently active membership, else the earliest, else none. */
export async function defaultOrgOf(store: AuthStore, userId: string): Promise<string | null> {
  const [first] = await store.orgs.listOrgsOfUser(userId, 1);
  return first?.org.id ?? null;
}

export async function createOrg(
  deps: AuthDeps,
  caller: Authenticated,
  input: { name: string; slug?: string | null | undefined },
  meta: RequestMeta,
): Promise<Result<"email_verification_required" | "org_slug_taken" | "invalid_org_name", OrgWithRole>> {
  if (caller.user.emailVerifiedAt === null) return fail("email_verification_required");
  const name = cleanOrgName(input.name);
  if (name === null) return fail("invalid_org_name");
  const now = deps.clock.now();
  const org: Org = { id: generateId("org"), name, slug: input.slug ?? null, createdByUserId: caller.user.id, createdAt: now, updatedAt: now };
  // The first org becomes the active one of the session that made it (and so its last active).
  const becomesActive = caller.session.orgId === null;
  const lastActiveAt = becomesActive ? now : null;
  const created = await deps.store.transaction(async (store) => {
    if (!(await store.orgs.insertOrg(org))) return false;
    await store.orgs.insertMembership({ orgId: org.id, userId: caller.user.id, role: "owner", createdAt: now, lastActiveAt });
    if (becomesActive) await store.orgs.setSessionOrg(caller.session.id, caller.user.id, org.id);
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.created", target: org.id });
    return true;
  });
  if (!created) return fail("org_slug_taken");
  return ok({ org, role: "owner", joinedAt: now, lastActiveAt });
}

export async function getOrg(
  deps: AuthDeps,
  caller: Authenticated,
  orgId: string,
  meta: RequestMeta,
): Promise<Result<OrgAccessFailure, { org: Org; role: OrgRole }>> {
  const membership = await requireOrgRole(deps, deps.store, caller, orgId, "member", meta);
  if (!membership.ok) return membership;
  const org = await deps.store.orgs.findOrg(orgId);
  return org ? ok({ org, role: membership.value.role }) : fail("organization_not_found");
}

export async function updateOrg(
  deps: AuthDeps,
  caller: Authenticated,
  orgId: string,
  change: { name?: string | undefined; slug?: string | null | undefined },
  meta: RequestMeta,
): Promise<Result<OrgAccessFailure | "org_slug_taken" | "invalid_org_name", Org>> {
  const name = change.name === undefined ? undefined : cleanOrgName(change.name);
  if (name === null) return fail("invalid_org_name");
  return deps.store.transaction(async (store) => {
    const allowed = await requireOrgRole(deps, store, caller, orgId, "admin", meta);
    if (!allowed.ok) return allowed;
    const fields: { name?: string; slug?: string | null } = {};
    if (name !== undefined) fields.name = name;
    if (change.slug !== undefined) fields.slug = change.slug;
    if (!(await store.orgs.updateOrg(orgId, fields, deps.clock.now()))) return fail("org_slug_taken");
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.updated", target: orgId, detail: { fields: Object.keys(fields).join(",") } });
    const org = await store.orgs.findOrg(orgId);
    return org ? ok(org) : fail("organization_not_found");
  });
}

export async function deleteOrg(deps: AuthDeps, caller: Authenticated, orgId: string, meta: RequestMeta): Promise<Result<OrgAccessFailure>> {
  return deps.store.transaction(async (store) => {
    if (!(await store.orgs.lockOrg(orgId))) return fail("organization_not_found");
    const allowed = await requireOrgRole(deps, store, caller, orgId, "owner", meta);
    if (!allowed.ok) return allowed;
    await store.orgs.clearSessionsOrg(orgId);
    await store.orgs.deleteOrg(orgId);
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.deleted", target: orgId });
    return ok(undefined);
  });
}

export async function listMyOrgs(deps: Pick<AuthDeps, "store">, userId: string): Promise<{ orgs: OrgWithRole[]; truncated: boolean }> {
  const orgs = await deps.store.orgs.listOrgsOfUser(userId, ORG_LIST_LIMIT + 1);
  return { orgs: orgs.slice(0, ORG_LIST_LIMIT), truncated: orgs.length > ORG_LIST_LIMIT };
}

export async function listOrgMembers(deps: AuthDeps, caller: Authenticated, orgId: string, meta: RequestMeta): Promise<Result<OrgAccessFailure, Member[]>> {
  const allowed = await requireOrgRole(deps, deps.store, caller, orgId, "member", meta);
  if (!allowed.ok) return allowed;
  return ok(await deps.store.orgs.listMembers(orgId));
}

/**
 * Whether an actor of `actorRole` may move a member from `from` to `to` (§ the roles table):
 * owners may do anything; admins move people between member and admin, never touching an owner.
 */
function mayChangeRole(actorRole: OrgRole, from: OrgRole, to: OrgRole): boolean {
  if (actorRole === "owner") return true;
  if (actorRole === "admin") return from !== "owner" && to !== "owner";
  return false;
}

export type MembershipChangeFailure = OrgAccessFailure | "member_not_found" | "last_owner";

export async function changeMemberRole(
  deps: AuthDeps,
  caller: Authenticated,
  orgId: string,
  userId: string,
  role: OrgRole,
  meta: RequestMeta,
): Promise<Result<MembershipChangeFailure, Member>> {
  return deps.store.transaction(async (store) => {
    if (!(await store.orgs.lockOrg(orgId))) return fail("organization_not_found");
    const actor = await requireOrgRole(deps, store, caller, orgId, "admin", meta);
    if (!actor.ok) return actor;
    const target = await store.orgs.findMembership(orgId, userId);
    if (!target) return fail("member_not_found");
    if (!mayChangeRole(actor.value.role, target.role, role)) {
      await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.access.denied", target: orgId, detail: { needed: "owner", role: actor.value.role } });
      return fail("insufficient_org_role");
    }
    if (target.role === "owner" && role !== "owner" && (await store.orgs.countOwners(orgId)) <= 1) return fail("last_owner");
    if (target.role !== role) {
      await store.orgs.setRole(orgId, userId, role, deps.clock.now());
      await recordAuditEvent({ store, clock: deps.clock }, meta, {
        action: "org.member.role_changed",
        target: orgId,
        detail: { user_id: userId, from: target.role, to: role },
      });
    }
    const member = (await store.orgs.listMembers(orgId)).find((entry) => entry.user.id === userId);
    return member ? ok(member) : fail("member_not_found");
  });
}

/** Removes a member, or, for the caller themself, leaves. Their sessions in the org fall back to no org. */
export async function removeMember(
  deps: AuthDeps,
  caller: Authenticated,
  orgId: string,
  userId: string,
  meta: RequestMeta,
): Promise<Result<MembershipChangeFailure>> {
  const leaving = userId === caller.user.id;
  return deps.store.transaction(async (store) => {
    if (!(await store.orgs.lockOrg(orgId))) return fail("organization_not_found");
    const actor = await requireOrgRole(deps, store, caller, orgId, leaving ? "member" : "admin", meta);
    if (!actor.ok) return actor;
    const target = leaving ? actor.value : await store.orgs.findMembership(orgId, userId);
    if (!target) return fail("member_not_found");
    if (!leaving && target.role === "owner" && actor.value.role !== "owner") {
      await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.access.denied", target: orgId, detail: { needed: "owner", role: actor.value.role } });
      return fail("insufficient_org_role");
    }
    if (target.role === "owner" && (await store.orgs.countOwners(orgId)) <= 1) return fail("last_owner");
    await store.orgs.deleteMembership(orgId, userId);
    await store.orgs.clearSessionsOrg(orgId, userId);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: leaving ? "org.member.left" : "org.member.removed",
      target: orgId,
      detail: { user_id: userId, role: target.role },
    });
    return ok(undefined);
  });
}

/**
 * Sets the active org of the caller's session (`null`: none). One conditional write: a switch
 * to an org the caller is not a member of, or that does not exist, writes nothing.
 */
export async function switchOrg(
  deps: AuthDeps,
  caller: Authenticated,
  orgId: string | null,
  meta: RequestMeta,
): Promise<Result<"organization_not_found", OrgWithRole | null>> {
  const now = deps.clock.now();
  if (!(await deps.store.orgs.setSessionOrg(caller.session.id, caller.user.id, orgId))) return fail("organization_not_found");
  await recordAuditEvent(deps, meta, { action: "session.org_switched", target: caller.session.id, detail: { from: caller.session.orgId, to: orgId } });
  if (orgId === null) return ok(null);
  await deps.store.orgs.markActive(orgId, caller.user.id, now);
  const [org, membership] = [await deps.store.orgs.findOrg(orgId), await deps.store.orgs.findMembership(orgId, caller.user.id)];
  // Removed between the write and these reads: the session check will read no org either.
  if (!org || !membership) return fail("organization_not_found");
  return ok({ org, role: membership.role, joinedAt: membership.createdAt, lastActiveAt: now });
}
