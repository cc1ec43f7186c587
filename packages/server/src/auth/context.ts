/** What the domain functions are given: storage, time, hashing and lifetimes. No HTTP. */
import type { ApiTokenPolicy } from "./api-tokens.js";
import type { OrgRole } from "./orgs.js";
import type { PasswordHasher } from "./passwords.js";
import type { Session } from "./sessions.js";
import type { DeviceGrantSettings } from "./device-codes.js";
import type { ImpersonationSettings } from "./impersonation.js";
import type { TotpSettings } from "./second-factor.js";
import type { ShortCodeHasher } from "./tokens.js";
import type { AuthStore, Clock } from "./types.js";
import type { User } from "./users.js";

export interface Lifetimes {
  /** How long a deleted account waits before it is gone; a sign-in meanwhile keeps it. 0: at once. */
  accountDeletionGraceMs: number;
  handoffMs: number;
  pasteCodeMs: number;
  /** Life of an org invitation. */
  invitationMs: number;
  /** Life of a password reset link. */
  passwordResetMs: number;
  /** How long a sign-in waits for its second factor. */
  loginChallengeMs: number;
  webSessionIdleMs: number;
  webSessionAbsoluteMs: number;
  cliSessionIdleMs: number;
  cliSessionAbsoluteMs: number;
}

/** Mail the domain sends; the transport lives in `src/email`. */
export interface Notifier {
  sendSignInCode(to: string, code: string, ttlMinutes: number): Promise<void>;
  sendVerificationCode(to: string, code: string, ttlMinutes: number): Promise<void>;
  sendPasswordChanged(to: string): Promise<void>;
  /** `tokenName` is the cleaned name the person gave it; never the token. */
  sendApiTokenCreated(to: string, tokenName: string): Promise<void>;
  /** Never rejects: a notice that cannot be sent is logged, and the login it reports stands. */
  sendNewCliSession(to: string, session: { name: string; ip: string | null; device: string | null; at: number }): Promise<void>;
  sendAccountDeletionScheduled(to: string, dueAt: number): Promise<void>;
  sendAccountDeletionCancelled(to: string): Promise<void>;
  sendAccountDeleted(to: string): Promise<void>;
  /** `link` carries the reset token in its fragment. */
  sendPasswordReset(to: string, link: string, ttlMinutes: number): Promise<void>;
  /** For an address with no account (or a disabled one): no link, the same work. */
  sendPasswordResetNoAccount(to: string): Promise<void>;
  sendPasswordResetDone(to: string): Promise<void>;
  /** The link carries `token` in its fragment; `invitedBy` is the inviter's name or address. */
  sendOrgInvitation(to: string, invitation: { orgName: string; invitedBy: string; role: string; token: string; expiresAt: number }): Promise<void>;
  sendSecondFactorChanged(to: string, change: SecondFactorChange): Promise<void>;
  /** A support session of the account started; `reason` is the operator's written reason. */
  sendImpersonationStarted(to: string, support: { reason: string; expiresAt: number }): Promise<void>;
  sendBackupCodeUsed(to: string, remaining: number): Promise<void>;
  /** A sign-in challenge ran out of tries: someone who knows the first factor is guessing codes. */
  sendSecondFactorFailures(to: string, attempt: { ip: string | null; device: string | null }): Promise<void>;
  /** The person pressed "This wasn't me" on a sign-in approval. */
  sendLoginReported(to: string, attempt: { ip: string | null; device: string | null; at: number }): Promise<void>;
}

export type SecondFactorChange = "enabled" | "disabled" | "backup_codes_regenerated" | "reset_by_operator";

export interface AuthDeps {
  store: AuthStore;
  clock: Clock;
  passwords: PasswordHasher;
  lifetimes: Lifetimes;
  /** What an API token may be given at creation. */
  apiTokens: ApiTokenPolicy;
  notifier: Notifier;
  /** Life of an emailed code. */
  emailCodeTtlMs: number;
  /** Keyed digests for short codes (email codes, paste codes), under the server's secret key. */
  shortCodes: ShortCodeHasher;
  /** The keys two-step secrets are sealed under, and the issuer authenticator apps show. */
  totp: TotpSettings;
  /** Life and poll interval of device-grant codes. */
  deviceGrant: DeviceGrantSettings;
  /** Life of a support session, and whether its target is mailed. */
  impersonation: ImpersonationSettings;
}

/** The signed-in session a request came with: the audit log's actor. */
export interface RequestActor {
  userId: string;
  sessionId: string;
  /** The operator behind a support session; `null` otherwise. */
  impersonatorUserId: string | null;
}

/** Who is asking, for sessions and the audit log. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** `null` for a request without a session (sign-in, claim, redeem, operator commands). */
  actor: RequestActor | null;
}

/** The caller's validated session. */
export interface Authenticated {
  session: Session;
  user: User;
  /** The user's role in `session.orgId` (read with the session); `null` without an active org. */
  orgRole: OrgRole | null;
}
