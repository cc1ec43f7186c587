/**
 * The domain's records and the storage port it needs. The domain never sees SQL or HTTP:
 * `src/store` implements `AuthStore` for SQLite and PostgreSQL.
 */

export type SessionKind = "web" | "cli";

export interface User {
  id: string;
  email: string;
  name: string | null;
  emailVerifiedAt: number | null;
  disabledAt: number | null;
  createdAt: number;
}

export interface UserWithPassword extends User {
  passwordHash: string | null;
}

export interface Session {
  id: string;
  userId: string;
  kind: SessionKind;
  name: string;
  parentSessionId: string | null;
  orgId: string | null;
  impersonatorUserId: string | null;
  secondFactorPending: boolean;
  ip: string | null;
  userAgent: string | null;
  createdAt: number;
  lastUsedAt: number;
  idleTimeoutMs: number;
  absoluteExpiresAt: number;
}

export interface NewSession extends Session {
  tokenHash: string;
}

export type HandoffState = "parked" | "denied";

/** A CLI loopback handoff, stored under the SHA-256 of the CLI's nonce. */
export interface Handoff {
  nonceHash: string;
  state: HandoffState;
  userId: string;
  /** The session that parked or denied it. */
  sessionId: string;
  createdAt: number;
  expiresAt: number;
}

/** A paste code, stored under the SHA-256 of its canonical form. */
export interface PasteCode {
  codeHash: string;
  userId: string;
  sessionId: string;
  createdAt: number;
  expiresAt: number;
}

export type EmailCodePurpose = "sign_in" | "verify_email";

/** An emailed code, stored under its SHA-256; one live code per address and purpose. */
export interface EmailCode {
  email: string;
  purpose: EmailCodePurpose;
  codeHash: string;
  attempts: number;
  createdAt: number;
  expiresAt: number;
}

export interface AuditEvent {
  action: string;
  actorUserId: string | null;
  target: string | null;
  ip: string | null;
  requestId: string | null;
  /** Extra facts; never a secret. */
  detail?: Record<string, string | number | boolean | null>;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
  at: number;
}

export interface UserStore {
  /** Inserts a user; `false` when the (normalised) email is taken. */
  insert(user: UserWithPassword): Promise<boolean>;
  findByEmail(email: string): Promise<UserWithPassword | null>;
  findById(id: string): Promise<UserWithPassword | null>;
  /** Marks the email verified; `clearPassword` also removes a password set before verification. */
  markEmailVerified(userId: string, now: number, clearPassword: boolean): Promise<void>;
  setPasswordHash(userId: string, passwordHash: string, now: number): Promise<void>;
  setDisabled(userId: string, disabledAt: number | null, now: number): Promise<void>;
}

export interface SessionStore {
  insert(session: NewSession): Promise<void>;
  /** The hot path: one indexed lookup by token hash, joined with the user. */
  findWithUserByTokenHash(tokenHash: string): Promise<{ session: Session; user: User } | null>;
  /** Sets `last_used_at` unless it is already at least `notBefore`. */
  touch(sessionId: string, now: number, notBefore: number): Promise<void>;
  findById(sessionId: string): Promise<Session | null>;
  listByUser(userId: string): Promise<Session[]>;
  deleteByTokenHash(tokenHash: string): Promise<Session | null>;
  deleteById(sessionId: string): Promise<Session | null>;
  /** Deletes every session of the user but `exceptSessionId`; returns the deleted ids. */
  deleteAllForUser(userId: string, exceptSessionId?: string): Promise<string[]>;
  deleteExpired(now: number): Promise<number>;
}

export interface HandoffStore {
  /** Inserts unless a live record exists for the hash (expired ones are replaced). */
  insertIfAbsent(handoff: Handoff, now: number): Promise<boolean>;
  findLive(nonceHash: string, now: number): Promise<Handoff | null>;
  /**
   * Whether a live record exists: a read only, so the polls of a waiting CLI (most claim
   * traffic) never write. The consume that follows decides who wins.
   */
  isPending(nonceHash: string, now: number): Promise<boolean>;
  /** parked → denied, only for the user who parked it. */
  denyParked(nonceHash: string, userId: string, now: number, expiresAt: number): Promise<boolean>;
  /** Deletes and returns the live record in one conditional write: one winner. */
  consume(nonceHash: string, now: number): Promise<Handoff | null>;
  deleteParkedBySessions(sessionIds: string[]): Promise<number>;
  deleteParkedByUser(userId: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
}

export interface PasteCodeStore {
  insert(code: PasteCode): Promise<void>;
  /** Whether a live code exists (a read only, as for handoffs). */
  isPending(codeHash: string, now: number): Promise<boolean>;
  /** Deletes and returns the live code in one conditional write: one winner. */
  consume(codeHash: string, now: number): Promise<PasteCode | null>;
  deleteBySessions(sessionIds: string[]): Promise<number>;
  deleteByUser(userId: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
}

export interface EmailCodeStore {
  /** Stores a code, replacing any earlier one for the same address and purpose. */
  replace(code: EmailCode): Promise<void>;
  /**
   * Counts one attempt before any comparison, in one conditional write, and returns the code's
   * hash; `null` when there is no live code or it has used up its attempts.
   */
  countAttempt(email: string, purpose: EmailCodePurpose, now: number, maxAttempts: number): Promise<string | null>;
  /** Deletes the code if it still has this hash: of concurrent callers exactly one gets `true`. */
  consume(email: string, purpose: EmailCodePurpose, codeHash: string): Promise<boolean>;
  deleteByEmail(email: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
}

export interface AuditStore {
  record(event: StoredAuditEvent): Promise<void>;
  list(filter?: { actorUserId?: string; action?: string }): Promise<StoredAuditEvent[]>;
}

export interface AuthStore {
  users: UserStore;
  sessions: SessionStore;
  handoffs: HandoffStore;
  pasteCodes: PasteCodeStore;
  emailCodes: EmailCodeStore;
  audit: AuditStore;
  /** Runs `work` in one transaction; the store handed in must be used for every step. */
  transaction<T>(work: (store: AuthStore) => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
