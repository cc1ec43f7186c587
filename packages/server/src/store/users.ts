/** The `users` table. */
import type { UserStore, UserWithPassword } from "../auth/users.js";
import type { UsersTable } from "./schema.js";
import { affected, type Connection } from "./shared.js";

export function toUser(row: UsersTable): UserWithPassword {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    emailVerifiedAt: row.email_verified_at,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
  };
}

export function fromUser(user: UserWithPassword): UsersTable {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    password_hash: user.passwordHash,
    email_verified_at: user.emailVerifiedAt,
    disabled_at: user.disabledAt,
    created_at: user.createdAt,
    updated_at: user.createdAt,
  };
}

/**
 * `rowLocks`: whether the database takes row locks (PostgreSQL). SQLite runs one writing
 * transaction at a time on its one connection, so there a plain read inside the transaction
 * already holds everyone else off.
 */
export function createUserStore(db: Connection, rowLocks: boolean): UserStore {
  return {
    async insert(user) {
      const result = await db
        .insertInto("users")
        .values(fromUser(user))
        .onConflict((conflict) => conflict.column("email").doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async findByEmail(email) {
      const row = await db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async findById(id) {
      const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async list() {
      const rows = await db
        .selectFrom("users")
        .select(["id", "email", "name", "email_verified_at", "disabled_at", "created_at"])
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map((row) => ({
        id: row.id,
        email: row.email,
        name: row.name,
        emailVerifiedAt: row.email_verified_at,
        disabledAt: row.disabled_at,
        createdAt: row.created_at,
      }));
    },
    async markEmailVerified(userId, now, clearPassword) {
      await db
        .updateTable("users")
        .set(clearPassword ? { email_verified_at: now, password_hash: null, updated_at: now } : { email_verified_at: now, updated_at: now })
        .where("id", "=", userId)
        .execute();
    },
    async setPasswordHash(userId, passwordHash, now) {
      await db.updateTable("users").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", userId).execute();
    },
    async setDisabled(userId, disabledAt, now) {
      await db.updateTable("users").set({ disabled_at: disabledAt, updated_at: now }).where("id", "=", userId).execute();
    },
    async setName(userId, name, now) {
      await db.updateTable("users").set({ name, updated_at: now }).where("id", "=", userId).execute();
    },
    async readSettings(userId) {
      const row = await db.selectFrom("users").select(["notify_new_cli_sessions", "deletion_due_at"]).where("id", "=", userId).executeTakeFirst();
      return row ? { notifyNewCliSessions: Number(row.notify_new_cli_sessions ?? 1) === 1, deletionDueAt: row.deletion_due_at ?? null } : null;
    },
    async readPlatformRole(userId) {
      const row = await db.selectFrom("users").select("platform_role").where("id", "=", userId).executeTakeFirst();
      return row?.platform_role === "operator" ? "operator" : null;
    },
    async setPlatformRole(userId, role, now) {
      await db.updateTable("users").set({ platform_role: role, updated_at: now }).where("id", "=", userId).execute();
    },
    async setNotifyNewCliSessions(userId, notify, now) {
      await db.updateTable("users").set({ notify_new_cli_sessions: notify ? 1 : 0, updated_at: now }).where("id", "=", userId).execute();
    },
    async scheduleDeletion(userId, dueAt, now) {
      await db.updateTable("users").set({ deletion_due_at: dueAt, updated_at: now }).where("id", "=", userId).execute();
    },
    async cancelDeletion(userId, now) {
      const result = await db
        .updateTable("users")
        .set({ deletion_due_at: null, updated_at: now })
        .where("id", "=", userId)
        .where("deletion_due_at", "is not", null)
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async delete(userId) {
      return affected(await db.deleteFrom("users").where("id", "=", userId).executeTakeFirst()) === 1;
    },
    async deleteDueForDeletion(now) {
      const rows = await db.deleteFrom("users").where("deletion_due_at", "<=", now).returning("id").execute();
      return rows.map((row) => row.id);
    },
    async lockForSessionChange(userId, mode) {
      let query = db.selectFrom("users").selectAll().where("id", "=", userId);
      if (rowLocks) query = mode === "share" ? query.forShare() : query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toUser(row) : null;
    },
  };
}
