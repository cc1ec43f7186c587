/**
 * The storage port the domain is given, composed of one store per domain area. Each area
 * declares its own records and store interface beside its code (`users.ts`, `sessions.ts`,
 * `grants.ts`, `email-codes.ts`, `audit.ts`, `orgs.ts`, `invitations.ts`, `second-factor.ts`, `login-challenges.ts`); `src/store` implements them for SQLite and
 * PostgreSQL, one file per table group. The domain never sees SQL or HTTP.
 */
import type { AuditStore } from "./audit.js";
import type { DeviceAuthorizationStore } from "./device-codes.js";
import type { EmailCodeStore } from "./email-codes.js";
import type { ImpersonationStore } from "./impersonation.js";
import type { GrantStore } from "./grants.js";
import type { InvitationStore } from "./invitations.js";
import type { OrgStore } from "./orgs.js";
import type { LoginChallengeStore } from "./login-challenges.js";
import type { PasswordResetStore } from "./password-reset.js";
import type { SecondFactorStore } from "./second-factor.js";
import type { SessionStore } from "./sessions.js";
import type { UserStore } from "./users.js";

export type { AuditEvent, AuditStore, StoredAuditEvent } from "./audit.js";
export type { EmailCode, EmailCodePurpose, EmailCodeStore } from "./email-codes.js";
export type { Grant, GrantInsertOutcome, GrantKind, GrantState, GrantStore } from "./grants.js";
export type { NewSession, Session, SessionKind, SessionStore } from "./sessions.js";
export type { User, UserStore, UserWithPassword } from "./users.js";
export type { Invitation, InvitationStore } from "./invitations.js";
export type { Member, Membership, Org, OrgRole, OrgStore, OrgWithRole } from "./orgs.js";

export interface AuthStore {
  users: UserStore;
  sessions: SessionStore;
  grants: GrantStore;
  emailCodes: EmailCodeStore;
  audit: AuditStore;
  orgs: OrgStore;
  invitations: InvitationStore;
  passwordResets: PasswordResetStore;
  secondFactors: SecondFactorStore;
  loginChallenges: LoginChallengeStore;
  deviceAuthorizations: DeviceAuthorizationStore;
  impersonations: ImpersonationStore;
  /** Runs `work` in one transaction; the store handed in must be used for every step. */
  transaction<T>(work: (store: AuthStore) => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
