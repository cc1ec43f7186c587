/**
 * The one table of audit actions: every `action` the audit log records, with what happened,
 * who the actor (`actorUserId`) is and what the target is. The security guide's list of audit
 * actions is generated from this table (scripts/generate-audit-docs.mjs).
 */

export interface AuditActionDefinition {
  /** What happened, in one sentence. */
  happened: string;
  /** Whose user id the event's `actorUserId` holds. */
  actor: string;
  /** What the event's `target` holds. */
  target: string;
}

export const auditActions = {
  // Accounts and sign-in.
  "user.signed_up": {
    happened: "An account was created with an email address and a password, and signed in.",
    actor: "the new user",
    target: "the new web session",
  },
  "user.signed_up_by_email_code": {
    happened: "An account was created by its first sign-in with an emailed code (its address is verified).",
    actor: "the new user",
    target: "the new web session",
  },
  "auth.login.succeeded": {
    happened:
      "A password sign-in succeeded; with two-step verification, when its second step did (the detail names the second factor: a TOTP code, a backup code or a device approval, with the approving session).",
    actor: "the user",
    target: "the new web session",
  },
  "auth.login.failed": {
    happened: "A password sign-in failed: unknown address, wrong password, an account without a password, or a disabled account.",
    actor: "the account with that address, if there is one; otherwise none",
    target: "none",
  },
  "auth.email_code.succeeded": {
    happened: "An existing account signed in with an emailed code (with two-step verification: once its second step passed; the detail names it).",
    actor: "the user",
    target: "the new web session",
  },
  "auth.email_code.failed": {
    happened: "A sign-in with an emailed code failed: the code was wrong, expired, already used or out of tries.",
    actor: "the account with that address, if there is one; otherwise none",
    target: "none",
  },
  "auth.second_factor.required": {
    happened:
      "A password or an emailed code was right for an account with two-step verification, so no session was made yet: a login challenge waits for a code or an approval; the detail names the first factor.",
    actor: "the user",
    target: "the login challenge (`lch_…`)",
  },
  "auth.second_factor.failed": {
    happened: "A wrong or malformed two-step code (TOTP or backup code) was given; the detail names the method and the try.",
    actor: "the user",
    target: "the login challenge, or the user when managing two-step verification",
  },
  "auth.second_factor.replayed": {
    happened: "A TOTP code that was already used (its time step was spent) was given again, and refused.",
    actor: "the user",
    target: "the login challenge, or the user when managing two-step verification",
  },
  "auth.second_factor.challenge_exhausted": {
    happened: "A login challenge had its fifth wrong code and ended; the person is mailed (at most once an hour).",
    actor: "the user",
    target: "the login challenge",
  },
  "auth.reauthentication.failed": {
    happened: "A wrong or missing password was given to confirm a change to two-step verification.",
    actor: "the user",
    target: "the session",
  },
  "auth.second_factor.enrollment_started": {
    happened: "An authenticator app enrolment was started (a new secret, waiting 10 minutes for its first code).",
    actor: "the user",
    target: "the user",
  },
  "auth.second_factor.enrollment_failed": {
    happened: "A wrong code was given to confirm an enrolment; the detail holds the try.",
    actor: "the user",
    target: "the user",
  },
  "auth.second_factor.enabled": {
    happened: "Two-step verification was turned on, with ten backup codes; the detail counts the other sessions signed out.",
    actor: "the user",
    target: "the user",
  },
  "auth.second_factor.disabled": {
    happened: "Two-step verification was turned off (with a code and re-authentication); the other sessions were signed out.",
    actor: "the user",
    target: "the user",
  },
  "auth.second_factor.backup_codes_regenerated": {
    happened: "The backup codes were replaced with ten new ones.",
    actor: "the user",
    target: "the user",
  },
  "auth.second_factor.backup_code_used": {
    happened: "A backup code was used to sign in; the detail counts the codes left.",
    actor: "the user",
    target: "the user",
  },
  "auth.login.approval_requested": {
    happened: "A sign-in waiting for its second factor asked the account's signed-in devices for approval.",
    actor: "the user",
    target: "the login challenge",
  },
  "auth.login.approval_approved": {
    happened: "A signed-in device approved a waiting sign-in with the right number; the detail names the approving session.",
    actor: "the user",
    target: "the login challenge",
  },
  "auth.login.approval_rejected": {
    happened: "A signed-in device refused a waiting sign-in; the detail says whether it was reported as not the person's.",
    actor: "the user",
    target: "the login challenge",
  },
  "auth.login.approval_number_mismatch": {
    happened: "A signed-in device typed a number that was not the one the waiting sign-in showed, so the sign-in was refused.",
    actor: "the user",
    target: "the login challenge",
  },
  "auth.login.approval_reported": {
    happened: "A refused sign-in was reported as \"This wasn't me\": no approvals can be asked for the account for an hour, and the person is mailed.",
    actor: "the user",
    target: "the login challenge",
  },
  "auth.login.rejection_delivered": {
    happened: "The waiting device learned that its sign-in was refused on another device (once).",
    actor: "the user",
    target: "the login challenge",
  },
  "user.unverified_account_reclaimed": {
    happened:
      "An emailed code signed into an account whose address was never verified: the address is now verified, a password set before is removed and every session is signed out (see `session.revoked_all`).",
    actor: "the account's user (the owner of the mailbox)",
    target: "the account's user",
  },
  "user.email_verified": {
    happened: "A signed-in user verified their address with the code mailed at sign-up.",
    actor: "the user",
    target: "the user",
  },
  "auth.password_changed": {
    happened: "A user changed their password, or set a first one; their other sessions are signed out.",
    actor: "the user",
    target: "the session that made the change (it stays signed in)",
  },
  "auth.password_change.failed": {
    happened: "A password change was refused because the current password was wrong.",
    actor: "the user",
    target: "the session that asked",
  },

  // CLI login.
  "cli.handoff.parked": {
    happened: "A signed-in user approved a CLI login: the handoff waits under the CLI's nonce for the CLI to claim it.",
    actor: "the user",
    target: "the approving session",
  },
  "cli.handoff.rejected_in_use": {
    happened: "An approval was refused because the nonce already has a live handoff (approved or refused).",
    actor: "the user",
    target: "the approving session",
  },
  "cli.handoff.denied": {
    happened: "A signed-in user refused a CLI login.",
    actor: "the user",
    target: "the refusing session",
  },
  "cli.handoff.denial_delivered": {
    happened: "The CLI claimed a refused login and was told it was refused; the refusal is used up.",
    actor: "the user who refused",
    target: "the refusing session",
  },
  "cli.handoff.claimed": {
    happened: "The CLI claimed an approved handoff and received a new CLI session, a child of the approving session.",
    actor: "the user",
    target: "the new CLI session",
  },
  "cli.paste_code.created": {
    happened: "A signed-in user made a paste code for a CLI login.",
    actor: "the user",
    target: "the session that made it",
  },
  "cli.paste_code.redeemed": {
    happened: "A CLI redeemed a paste code and received a new CLI session, a child of the session that made the code.",
    actor: "the user",
    target: "the new CLI session",
  },

  "cli.browser_token.created": {
    happened: "A CLI session made a one-time code to open the web app signed in (`harmont open`).",
    actor: "the user",
    target: "the CLI session",
  },
  "cli.browser_token.consumed": {
    happened: "A browser used a CLI session's one-time code: a new browser session, a child of the CLI session, or none when the browser was already signed in as the user.",
    actor: "the user",
    target: "the new browser session, or the CLI session when none was made",
  },

  // Sessions.
  "session.logout": {
    happened: "A session was signed out with its own token (logout).",
    actor: "the session's user",
    target: "the session",
  },
  "session.revoked": {
    happened: "A user signed out one of their own sessions by its id.",
    actor: "the user",
    target: "the signed-out session",
  },
  "session.revoked_all": {
    happened:
      "Every session of a user was signed out (on a password change, all but the one that made it), with their pending CLI handoffs and paste codes; the detail gives the reason, the count and the scope (`sign_ins` leaves API tokens, `everything` revokes them too).",
    actor: "the user whose sessions they were, also when an operator disabled the account",
    target: "that user",
  },

  // Password reset.
  "auth.password_reset.requested": {
    happened: "A password reset was asked for; the detail says whether the address has a live account (`known`). The typed address is not recorded.",
    actor: "the account, when known; otherwise none",
    target: "the account, when known; otherwise none",
  },
  "auth.password_reset.completed": {
    happened: "A password was reset with a mailed link: every session and API token was revoked (see `session.revoked_all`).",
    actor: "the user",
    target: "the user",
  },
  "auth.password_reset.failed": {
    happened: "A reset was completed with a token that is unknown, expired, used or out of attempts; nothing changed.",
    actor: "none",
    target: "none",
  },

  // The account page.
  "user.profile_updated": {
    happened: "A user changed their profile; the detail names the fields (`name`, `notify_new_cli_sessions`), never their values.",
    actor: "the user",
    target: "the user",
  },
  "user.deletion_requested": {
    happened:
      "A user asked for their account to be deleted, proving their password (or a fresh sign-in): every session and API token was revoked, and the account is deleted at `due_at` (the detail) unless they sign in before.",
    actor: "the user",
    target: "the user",
  },
  "user.deletion_failed": {
    happened: "A request to delete an account gave a wrong password; nothing changed.",
    actor: "the user",
    target: "the user",
  },
  "user.deletion_cancelled": {
    happened: "A user signed in during their account's grace period, so its deletion was called off.",
    actor: "the user",
    target: "the user",
  },
  "user.deleted": {
    happened: "An account was deleted at once, as its user asked (the grace period is 0); later deletions at the end of a grace period are done by the periodic clean-up.",
    actor: "the user (now deleted)",
    target: "the deleted user's id",
  },

  // Organizations.
  "org.created": { happened: "A user created an organization and became its owner.", actor: "the user", target: "the new org" },
  "org.updated": { happened: "An owner or admin renamed an org or changed its slug; the detail names the fields.", actor: "the owner or admin", target: "the org" },
  "org.deleted": { happened: "An owner deleted an org, with its memberships and invitations; sessions in it fell back to no org.", actor: "the owner", target: "the deleted org's id" },
  "org.access.denied": {
    happened: "A member asked for something their role does not allow; the detail gives the role needed and theirs.",
    actor: "the member",
    target: "the org",
  },
  "org.member.role_changed": { happened: "A member's role changed; the detail names the member and the roles from and to.", actor: "the owner or admin", target: "the org" },
  "org.member.removed": {
    happened: "An owner or admin removed a member; the member's sessions in the org fell back to no org in the same transaction.",
    actor: "the owner or admin",
    target: "the org",
  },
  "org.member.left": { happened: "A member left an org; their sessions in it fell back to no org.", actor: "the member", target: "the org" },
  "org.invitation.created": {
    happened: "An owner or admin invited an address; the detail gives the invitation's id and role (never the address or the token).",
    actor: "the owner or admin",
    target: "the org",
  },
  "org.invitation.revoked": { happened: "An owner or admin revoked an invitation.", actor: "the owner or admin", target: "the org" },
  "org.invitation.accepted": {
    happened: "A user accepted an invitation and joined the org (an existing member keeps their role: `already_member`).",
    actor: "the user",
    target: "the org",
  },
  "org.invitation.email_mismatch": {
    happened: "A user tried an invitation sent to another address; nothing was consumed.",
    actor: "the user",
    target: "the org",
  },
  "session.org_switched": { happened: "A session's active org changed; the detail gives the org ids from and to.", actor: "the user", target: "the session" },

  // API tokens.
  "api_token.created": {
    happened: "A user made an API token; the detail gives its expiry in days (`null`: none).",
    actor: "the user",
    target: "the new token's id",
  },
  "api_token.revoked": {
    happened: "A user revoked one of their API tokens by its id.",
    actor: "the user",
    target: "the revoked token's id",
  },

  // Operator commands (`harmont-server users …`).
  "oauth.device.requested": {
    happened: "A client asked for a device authorization (RFC 8628): a device code and a user code to show.",
    actor: "none (nobody is signed in on the device)",
    target: "the OAuth client id",
  },
  "oauth.device.approved": {
    happened: "A signed-in person approved a device authorization by its user code; the detail names the client.",
    actor: "the user",
    target: "the approving session",
  },
  "oauth.device.denied": {
    happened: "A signed-in person denied a device authorization; the waiting client hears access_denied.",
    actor: "the user",
    target: "the denying session",
  },
  "oauth.device.token_issued": {
    happened: "An approved device authorization was picked up: a new CLI session, a child of the approving session; the detail names the client.",
    actor: "the user",
    target: "the new CLI session",
  },
  "oauth.device.replayed": {
    happened: "A device code that was already used was polled again, and refused with invalid_grant.",
    actor: "the user who approved it",
    target: "the session it was used for",
  },
  "oauth.device.user_code_failed": {
    happened: "A signed-in person typed a user code that is malformed, unknown, expired or already answered.",
    actor: "the user",
    target: "none",
  },
  "oauth.token.revoked": {
    happened: "A client revoked one of its own tokens through the OAuth revocation endpoint (RFC 7009).",
    actor: "the token's user",
    target: "the revoked session",
  },
  "admin.access.denied": {
    happened: "A session without the operator role called an operator-only endpoint; the target is the route.",
    actor: "the caller",
    target: "the route pattern",
  },
  "admin.impersonation.started": {
    happened: "An operator started a support session of an account (with a fresh two-step code); the detail holds the session id and the written reason.",
    actor: "the operator",
    target: "the account",
  },
  "admin.impersonation.refused": {
    happened: "An operator tried to start a support session of themself or of another operator, which is not allowed; the detail says which.",
    actor: "the operator",
    target: "the account",
  },
  "admin.impersonation.ended": {
    happened:
      "A support session ended: stopped, logged out, revoked by the account's owner, with the operator's own session, by a revocation of everything, or expired; the detail names the operator and the reason.",
    actor: "whoever ended it (the operator or the account's owner), or none when it expired",
    target: "the account",
  },
  "operator.role_granted": {
    happened: "An operator made the account a platform operator (`harmont-server users grant-operator`).",
    actor: "none (the operator works at the server's command line)",
    target: "the user",
  },
  "operator.role_revoked": {
    happened: "An operator took the platform operator role away (`harmont-server users revoke-operator`); the account was signed out everywhere.",
    actor: "none (the operator works at the server's command line)",
    target: "the user",
  },
  "operator.second_factor_reset": {
    happened: "An operator removed an account's two-step verification (`harmont-server users reset-2fa`) and signed out everything of it.",
    actor: "none (the operator works at the server's command line)",
    target: "the user",
  },
  "operator.user_created": {
    happened: "An operator created a verified account with `harmont-server users create`.",
    actor: "none (the operator works at the server's command line)",
    target: "the new user",
  },
  "operator.user_disabled": {
    happened: "An operator disabled an account with `harmont-server users disable`, signing out every session.",
    actor: "none (the operator works at the server's command line)",
    target: "the disabled user",
  },
  "operator.user_enabled": {
    happened: "An operator enabled a disabled account again with `harmont-server users enable`; its sessions stay signed out.",
    actor: "none (the operator works at the server's command line)",
    target: "the enabled user",
  },
} as const satisfies Record<string, AuditActionDefinition>;

/** An action the audit log records. */
export type AuditAction = keyof typeof auditActions;
