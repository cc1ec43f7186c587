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
