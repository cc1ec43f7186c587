/** Users as the domain sees them, and the storage they need. */

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

/** What a person chose for their account, read where it matters (not by the session check). */
export interface AccountSettings {
  /** Whether a new CLI session mails a notice. */
  notifyNewCliSessions: boolean;
  /** When the account is deleted, once its deletion was asked for; `null`: it is not. */
  deletionDueAt: number | null;
}

/** The one platform role: an operator may start support sessions (impersonation) of other accounts. */
export type PlatformRole = "operator";

export interface UserStore {
  /** Inserts a user; `false` when the (normalised) email is taken. */
  insert(user: UserWithPassword): Promise<boolean>;
  findByEmail(email: string): Promise<UserWithPassword | null>;
  findById(id: string): Promise<UserWithPassword | null>;
  /** Every user, oldest first (ties by id), without password hashes. */
  list(): Promise<User[]>;
  /** Marks the email verified; `clearPassword` also removes a password set before verification. */
  markEmailVerified(userId: string, now: number, clearPassword: boolean): Promise<void>;
  setPasswordHash(userId: string, passwordHash: string, now: number): Promise<void>;
  setDisabled(userId: string, disabledAt: number | null, now: number): Promise<void>;
  setName(userId: string, name: string | null, now: number): Promise<void>;
  readSettings(userId: string): Promise<AccountSettings | null>;
  /** `"operator"` for a platform operator (set only from the server's command line); `null` otherwise. */
  readPlatformRole(userId: string): Promise<PlatformRole | null>;
  setPlatformRole(userId: string, role: PlatformRole | null, now: number): Promise<void>;
  setNotifyNewCliSessions(userId: string, notify: boolean, now: number): Promise<void>;
  scheduleDeletion(userId: string, dueAt: number, now: number): Promise<void>;
  /** Clears a scheduled deletion; `true` when one was scheduled. */
  cancelDeletion(userId: string, now: number): Promise<boolean>;
  /** Deletes the user at once (its sessions and grants go with it: foreign keys, cascade). */
  delete(userId: string): Promise<boolean>;
  /** Deletes every account whose deletion fell due; returns their ids. */
  deleteDueForDeletion(now: number): Promise<string[]>;
  /**
   * Reads the user and holds their row until the transaction ends: the account's lock for
   * anything that creates or revokes its sessions. `"share"` (a sign-in, a CLI claim) lets
   * others share it; `"exclusive"` (a password change, sign-out everywhere, disabling) waits
   * for every shared holder to commit and keeps new ones out until it commits, so a session
   * made from the old state cannot appear after the change. Used inside `transaction` only.
   * `null` when the user does not exist.
   */
  lockForSessionChange(userId: string, mode: "share" | "exclusive"): Promise<UserWithPassword | null>;
}

/** The user without its password hash: what leaves the domain. */
export function toPublicUser(user: User): User {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerifiedAt: user.emailVerifiedAt,
    disabledAt: user.disabledAt,
    createdAt: user.createdAt,
  };
}
