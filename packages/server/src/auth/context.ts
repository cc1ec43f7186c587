/** What the domain functions are given: storage, time, hashing and lifetimes. No HTTP. */
import type { PasswordHasher } from "./passwords.js";
import type { AuthStore, Clock, Session, User } from "./types.js";

export interface Lifetimes {
  handoffMs: number;
  pasteCodeMs: number;
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
}

export interface AuthDeps {
  store: AuthStore;
  clock: Clock;
  passwords: PasswordHasher;
  lifetimes: Lifetimes;
  notifier: Notifier;
  /** Life of an emailed code. */
  emailCodeTtlMs: number;
}

/** Who is asking, for sessions and the audit log. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** The caller's validated session. */
export interface Authenticated {
  session: Session;
  user: User;
}
