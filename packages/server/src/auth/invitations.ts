/**
 * Org invitations: bound to one email address, sent by mail with an `hin_` token in the link's
 * fragment, stored as its SHA-256, 7 days by default, working once. A new invitation to the same
 * address replaces the old one (whose link then dies). Accepting checks the caller's verified
 * address against the invitation before anything is consumed, so a wrong account cannot burn it.
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { isPlausibleEmail, maskEmail, normalizeEmail } from "./email-address.js";
import { requireOrgRole, type Org, type OrgAccessFailure, type OrgRole } from "./orgs.js";
import { fail, ok, type Result } from "./result.js";
import { generateId, generatePrefixedSecret, hashSecret, isWellFormedSecret } from "./tokens.js";

export const INVITATION_TOKEN_PREFIX = "hin_";

export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: OrgRole;
  tokenHash: string;
  invitedByUserId: string;
  createdAt: number;
  expiresAt: number;
}

/** An invitation as admins see it: who sent it, never its token. */
export interface ListedInvitation extends Omit<Invitation, "tokenHash"> {
  invitedBy: { id: string; email: string; name: string | null } | null;
}

export interface InvitationStore {
  /** Inserts, or replaces the live invitation of the same org and address (its old token dies). */
  upsert(invitation: Invitation): Promise<void>;
  listLive(orgId: string, now: number): Promise<ListedInvitation[]>;
  findLiveByTokenHash(tokenHash: string, now: number): Promise<Invitation | null>;
  /** Deletes and returns the live invitation: of concurrent consumes of one token, one gets it. */
  consume(tokenHash: string, now: number): Promise<Invitation | null>;
  /** `false` when there is no such invitation in that org. */
  delete(orgId: string, invitationId: string): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}

export type CreateInvitationFailure = OrgAccessFailure | "org_member_exists" | "invalid_email";

export async function createInvitation(
  deps: AuthDeps,
  caller: Authenticated,
  orgId: string,
  input: { email: string; role: OrgRole },
  meta: RequestMeta,
): Promise<Result<CreateInvitationFailure, ListedInvitation>> {
  const email = normalizeEmail(input.email);
  if (!isPlausibleEmail(email)) return fail("invalid_email");
  const now = deps.clock.now();
  const token = generatePrefixedSecret(INVITATION_TOKEN_PREFIX);
  const invitation: Invitation = {
    id: generateId("inv"),
    orgId,
    email,
    role: input.role,
    tokenHash: hashSecret(token),
    invitedByUserId: caller.user.id,
    createdAt: now,
    expiresAt: now + deps.lifetimes.invitationMs,
  };
  const made = await deps.store.transaction(async (store): Promise<Result<CreateInvitationFailure, Org>> => {
    const org = await store.orgs.lockOrg(orgId);
    if (!org) return fail("organization_not_found");
    // Inviting someone as an owner takes an owner.
    const allowed = await requireOrgRole(deps, store, caller, orgId, input.role === "owner" ? "owner" : "admin", meta);
    if (!allowed.ok) return allowed;
    const invitee = await store.users.findByEmail(email);
    if (invitee && (await store.orgs.findMembership(orgId, invitee.id))) return fail("org_member_exists");
    await store.invitations.upsert(invitation);
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.invitation.created", target: orgId, detail: { invitation_id: invitation.id, role: input.role } });
    return ok(org);
  });
  if (!made.ok) return made;
  await deps.notifier.sendOrgInvitation(email, {
    orgName: made.value.name,
    invitedBy: caller.user.name ?? caller.user.email,
    role: input.role,
    token,
    expiresAt: invitation.expiresAt,
  });
  const { tokenHash: _tokenHash, ...listed } = invitation;
  return ok({ ...listed, invitedBy: { id: caller.user.id, email: caller.user.email, name: caller.user.name } });
}

export async function listInvitations(deps: AuthDeps, caller: Authenticated, orgId: string, meta: RequestMeta): Promise<Result<OrgAccessFailure, ListedInvitation[]>> {
  const allowed = await requireOrgRole(deps, deps.store, caller, orgId, "admin", meta);
  if (!allowed.ok) return allowed;
  return ok(await deps.store.invitations.listLive(orgId, deps.clock.now()));
}

export async function revokeInvitation(
  deps: AuthDeps,
  caller: Authenticated,
  orgId: string,
  invitationId: string,
  meta: RequestMeta,
): Promise<Result<OrgAccessFailure | "invite_not_found">> {
  return deps.store.transaction(async (store) => {
    const allowed = await requireOrgRole(deps, store, caller, orgId, "admin", meta);
    if (!allowed.ok) return allowed;
    if (!(await store.invitations.delete(orgId, invitationId))) return fail("invite_not_found");
    await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "org.invitation.revoked", target: orgId, detail: { invitation_id: invitationId } });
    return ok(undefined);
  });
}

/** How an accept ends; a wrong account is told which address the invitation is for, masked. */
export type AcceptInvitationOutcome =
  | Result<"invite_invalid" | "email_verification_required", { org: Org; role: OrgRole }>
  | { ok: false; failure: "invite_email_mismatch"; maskedEmail: string };

/**
 * Joins the org an invitation is for. Checks, in order: the token's shape, a live invitation,
 * the caller's verified address equal to the invited one (nothing is consumed until here); then
 * consumes it in one conditional delete and adds the membership in the same transaction. An
 * existing member keeps their role. A session with no active org gets this one.
 */
export async function acceptInvitation(
  deps: AuthDeps,
  caller: Authenticated,
  token: string,
  meta: RequestMeta,
): Promise<AcceptInvitationOutcome> {
  if (!isWellFormedSecret(INVITATION_TOKEN_PREFIX, token)) return fail("invite_invalid");
  const now = deps.clock.now();
  const tokenHash = hashSecret(token);
  const invitation = await deps.store.invitations.findLiveByTokenHash(tokenHash, now);
  if (!invitation) return fail("invite_invalid");
  if (caller.user.emailVerifiedAt === null) return fail("email_verification_required");
  if (normalizeEmail(caller.user.email) !== invitation.email) {
    await recordAuditEvent(deps, meta, { action: "org.invitation.email_mismatch", target: invitation.orgId, detail: { invitation_id: invitation.id } });
    return { ok: false, failure: "invite_email_mismatch", maskedEmail: maskEmail(invitation.email) };
  }
  return deps.store.transaction(async (store): Promise<AcceptInvitationOutcome> => {
    await store.orgs.lockOrg(invitation.orgId);
    const consumed = await store.invitations.consume(tokenHash, now);
    if (!consumed) return fail("invite_invalid");
    const org = await store.orgs.findOrg(consumed.orgId);
    if (!org) return fail("invite_invalid");
    const becomesActive = caller.session.orgId === null;
    const joined = await store.orgs.insertMembership({
      orgId: org.id,
      userId: caller.user.id,
      role: consumed.role,
      createdAt: now,
      lastActiveAt: becomesActive ? now : null,
    });
    const role = joined ? consumed.role : ((await store.orgs.findMembership(org.id, caller.user.id))?.role ?? consumed.role);
    if (becomesActive) await store.orgs.setSessionOrg(caller.session.id, caller.user.id, org.id);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "org.invitation.accepted",
      target: org.id,
      detail: { invitation_id: consumed.id, role, already_member: !joined },
    });
    return ok({ org, role });
  });
}
