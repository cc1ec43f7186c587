/**
 * The account page's own changes: the display name, the new-CLI-session notice, and deleting the
 * account. Deletion needs the password again (or, for an account without one, a fresh sign-in),
 * revokes everything at once, and, after the operator's grace period, deletes the account; a
 * sign-in during the grace period keeps it (`keepAccountOnSignIn`).
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { describeUserAgent, isFresh, revokeAllUserSessions, type Session } from "./sessions.js";
import { cleanSessionName } from "./tokens.js";
import type { AccountSettings, User } from "./users.js";

export interface ProfileChange {
  /** A new display name; `null` removes it. Cleaned like a session name, at most 100 characters. */
  name?: string | null | undefined;
  notifyNewCliSessions?: boolean | undefined;
}

/** Applies the caller's changes to their profile and answers the user and their settings. */
export async function updateProfile(
  deps: AuthDeps,
  caller: Authenticated,
  change: ProfileChange,
  meta: RequestMeta,
): Promise<{ user: User; settings: AccountSettings }> {
  const now = deps.clock.now();
  let user = caller.user;
  const changed: string[] = [];
  if (change.name !== undefined) {
    const name = change.name === null ? null : cleanSessionName(change.name, "");
    const cleaned = name === "" ? null : name;
    await deps.store.users.setName(user.id, cleaned, now);
    user = { ...user, name: cleaned };
    changed.push("name");
  }
  if (change.notifyNewCliSessions !== undefined) {
    await deps.store.users.setNotifyNewCliSessions(user.id, change.notifyNewCliSessions, now);
    changed.push("notify_new_cli_sessions");
  }
  if (changed.length > 0) await recordAuditEvent(deps, meta, { action: "user.profile_updated", target: user.id, detail: { fields: changed.join(",") } });
  return { user, settings: await readAccountSettings(deps, user.id) };
}

export async function readAccountSettings(deps: Pick<AuthDeps, "store">, userId: string): Promise<AccountSettings> {
  return (await deps.store.users.readSettings(userId)) ?? { notifyNewCliSessions: true, deletionDueAt: null };
}

export type DeletionOutcome = { state: "scheduled"; dueAt: number } | { state: "deleted" };

/**
 * Deletes the caller's account, after the grace period (`lifetimes.accountDeletionGraceMs`; 0
 * deletes at once). Every session and API token is revoked now, with every pending handoff and
 * code, under the account's lock; a notice is mailed. An account with a password must give it;
 * one without needs a session whose lineage signed in in the last 15 minutes.
 */
export async function deleteAccount(
  deps: AuthDeps,
  caller: Authenticated,
  input: { password?: string | undefined },
  meta: RequestMeta,
): Promise<Result<"invalid_credentials" | "reauthentication_required", DeletionOutcome>> {
  const user = await deps.store.users.findById(caller.user.id);
  if (!user) return fail("invalid_credentials");
  if (user.passwordHash) {
    const verified = input.password !== undefined && (await deps.passwords.verify(user.passwordHash, input.password));
    if (!verified) {
      await recordAuditEvent(deps, meta, { action: "user.deletion_failed", target: user.id });
      return fail("invalid_credentials");
    }
  } else if (!isFresh(caller.session, deps.clock.now())) {
    return fail("reauthentication_required");
  }
  const grace = deps.lifetimes.accountDeletionGraceMs;
  const outcome = await deps.store.transaction(async (store): Promise<DeletionOutcome> => {
    const now = deps.clock.now();
    await store.users.lockForSessionChange(user.id, "exclusive");
    if (grace === 0) {
      await recordAuditEvent({ store, clock: deps.clock }, meta, { action: "user.deleted", actorUserId: user.id, target: user.id, detail: { grace_ms: 0 } });
      await store.users.delete(user.id);
      return { state: "deleted" };
    }
    await revokeAllUserSessions({ store, clock: deps.clock }, user.id, meta, "account_deletion_requested", { scope: "everything" });
    await store.users.scheduleDeletion(user.id, now + grace, now);
    await recordAuditEvent({ store, clock: deps.clock }, meta, {
      action: "user.deletion_requested",
      actorUserId: user.id,
      target: user.id,
      detail: { due_at: now + grace },
    });
    return { state: "scheduled", dueAt: now + grace };
  });
  if (outcome.state === "deleted") await deps.notifier.sendAccountDeleted(user.email);
  else await deps.notifier.sendAccountDeletionScheduled(user.email, outcome.dueAt);
  return ok(outcome);
}

/**
 * A sign-in during the grace period keeps the account: the deletion is called off, recorded and
 * mailed. Called by `completeSignIn` before it takes the account's lock, so two sign-ins at once
 * never wait on each other's locks.
 */
export async function keepAccountOnSignIn(deps: Pick<AuthDeps, "store" | "clock" | "notifier">, user: User, meta: RequestMeta): Promise<void> {
  if (!(await deps.store.users.cancelDeletion(user.id, deps.clock.now()))) return;
  await recordAuditEvent(deps, meta, { action: "user.deletion_cancelled", actorUserId: user.id, target: user.id });
  await deps.notifier.sendAccountDeletionCancelled(user.email);
}

/**
 * The notice of a new CLI session, unless the person turned it off. The notifier never lets a
 * mail that cannot be sent undo the login (the CLI has its token already); it logs it.
 */
export async function noticeNewCliSession(deps: Pick<AuthDeps, "store" | "notifier">, session: Session): Promise<void> {
  const [user, settings] = [await deps.store.users.findById(session.userId), await deps.store.users.readSettings(session.userId)];
  if (!user || !settings?.notifyNewCliSessions) return;
  await deps.notifier.sendNewCliSession(user.email, { name: session.name, ip: session.ip, device: describeUserAgent(session.userAgent), at: session.createdAt });
}
