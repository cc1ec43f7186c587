/**
 * The AuthStore conformance suite: the same cases on SQLite and on PostgreSQL (when
 * HARMONT_TEST_DATABASE_URL is set). Every test opens its own fresh, migrated database.
 */
import { randomBytes } from "node:crypto";
import SqliteDatabase from "better-sqlite3";
import { describe, expect, it, onTestFinished } from "vitest";
import type { DeviceAuthorization } from "../auth/device-codes.js";
import type { LoginChallenge } from "../auth/login-challenges.js";
import type { Org } from "../auth/orgs.js";
import type { EmailCode, Grant, NewSession, Session, StoredAuditEvent, UserWithPassword } from "../auth/types.js";
import { databaseTargets, reportSkippedPostgres, type DatabaseTarget } from "../test-support/databases.js";
import { grantKinds } from "../auth/grants.js";
import { openDatabase, sqlitePathOf, type OpenDatabase, type OpenDatabaseOptions } from "./database.js";

reportSkippedPostgres();

const T0 = Date.UTC(2026, 0, 1);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

function unique(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString("base64url")}`;
}

function newUser(overrides: Partial<UserWithPassword> = {}): UserWithPassword {
  return {
    id: unique("usr"),
    email: `${unique("u").toLowerCase()}@example.com`,
    name: null,
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
    emailVerifiedAt: null,
    disabledAt: null,
    createdAt: T0,
    ...overrides,
  };
}

function newSession(userId: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    id: unique("ses"),
    tokenHash: unique("tokhash"),
    userId,
    kind: "web",
    name: "Firefox on Linux",
    parentSessionId: null,
    clientId: null,
    orgId: null,
    impersonatorUserId: null,
    secondFactorPending: false,
    authenticatedAt: T0,
    mfaVerifiedAt: null,
    ip: "203.0.113.7",
    lastIp: null,
    userAgent: "Mozilla/5.0",
    createdAt: T0,
    lastUsedAt: T0,
    idleTimeoutMs: 7 * DAY,
    absoluteExpiresAt: T0 + 30 * DAY,
    ...overrides,
  };
}

/** The session as the store hands it back: everything but the token hash. */
function withoutHash(session: NewSession): Session {
  const { tokenHash: _tokenHash, ...rest } = session;
  return rest;
}

function newGrant(owner: { userId: string; sessionId: string }, overrides: Partial<Grant> = {}): Grant {
  return {
    kind: "cli_handoff",
    secretHash: unique("secret"),
    state: "approved",
    userId: owner.userId,
    sessionId: owner.sessionId,
    createdAt: T0,
    expiresAt: T0 + MINUTE,
    ...overrides,
  };
}

function newEmailCode(overrides: Partial<EmailCode> = {}): EmailCode {
  return {
    email: `${unique("e").toLowerCase()}@example.com`,
    purpose: "sign_in",
    codeHash: unique("codehash"),
    attempts: 0,
    createdAt: T0,
    expiresAt: T0 + 10 * MINUTE,
    ...overrides,
  };
}

function auditEvent(overrides: Partial<StoredAuditEvent> = {}): StoredAuditEvent {
  return {
    id: unique("aud"),
    at: T0,
    action: "session.logout",
    actorUserId: null,
    target: null,
    ip: null,
    requestId: null,
    ...overrides,
  };
}

describe.each(databaseTargets)("AuthStore on $kind", (target: DatabaseTarget) => {
  describe.skipIf(!target.available)(`${target.kind}`, () => {
    /** A fresh migrated database for this test, closed and dropped when the test ends. */
    async function freshDatabase(options?: OpenDatabaseOptions): Promise<OpenDatabase & { url: string }> {
      const database = await target.create();
      let opened: OpenDatabase;
      try {
        opened = await openDatabase(database.url, options);
      } catch (error) {
        await database.drop();
        throw error;
      }
      onTestFinished(async () => {
        await opened.close();
        await database.drop();
      });
      return Object.assign(opened, { url: database.url });
    }

    async function userWithSession(database: OpenDatabase, sessionOverrides: Partial<NewSession> = {}) {
      const user = newUser();
      expect(await database.store.users.insert(user)).toBe(true);
      const session = newSession(user.id, sessionOverrides);
      await database.store.sessions.insert(session);
      return { user, session };
    }

    describe("transactions", () => {
      it.runIf(target.kind === "sqlite")(
        "a transaction that read first still commits its writes when another connection writes to the file meanwhile",
        async () => {
          const database = await freshDatabase();
          const { user } = await userWithSession(database);
          // Another process on the same file (an operator command, a backup tool): it waits for
          // no lock, so it either writes at once or is refused at once.
          const other = new SqliteDatabase(sqlitePathOf(database.url));
          onTestFinished(() => void other.close());
          other.pragma("busy_timeout = 0");
          const rename = () => other.prepare("update users set name = 'renamed elsewhere' where id = ?").run(user.id);
          const session = newSession(user.id);
          await database.store.transaction(async (inner) => {
            expect(await inner.users.findById(user.id)).not.toBeNull();
            // While this transaction is open the other connection cannot write in between
            // (SQLite would otherwise refuse this transaction's write, its snapshot being stale).
            expect(rename).toThrow(expect.objectContaining({ code: "SQLITE_BUSY" }));
            await inner.sessions.insert(session);
          });
          expect(await database.store.sessions.findById(session.id)).toEqual(withoutHash(session));
          expect(rename().changes).toBe(1);
        },
      );

      it("a transaction lets other work run between its statements", async () => {
        const database = await freshDatabase();
        const { user } = await userWithSession(database);
        let finished = false;
        const work = database.store
          .transaction(async (inner) => {
            for (let index = 0; index < 5; index++) await inner.sessions.insert(newSession(user.id));
          })
          .then(() => (finished = true));
        // Queued after the transaction started: it runs before the transaction's five inserts are all done.
        const finishedWhenOtherWorkRan = await new Promise<boolean>((resolve) => setImmediate(() => resolve(finished)));
        expect(finishedWhenOtherWorkRan).toBe(false);
        await work;
        expect(await database.store.sessions.listByUser(user.id)).toHaveLength(6);
      });
    });

    describe("users", () => {
      it("inserts a user and finds it by email and by id", async () => {
        const { store } = await freshDatabase();
        const user = newUser({ name: "Ada Lovelace", emailVerifiedAt: T0 + 5 });
        expect(await store.users.insert(user)).toBe(true);

        expect(await store.users.findByEmail(user.email)).toEqual(user);
        expect(await store.users.findById(user.id)).toEqual(user);
        const found = await store.users.findById(user.id);
        expect(typeof found?.createdAt).toBe("number");
        expect(typeof found?.emailVerifiedAt).toBe("number");
      });

      it("refuses a second user with the same email and keeps the first", async () => {
        const { store } = await freshDatabase();
        const first = newUser();
        const second = newUser({ email: first.email, name: "Impostor" });
        expect(await store.users.insert(first)).toBe(true);
        expect(await store.users.insert(second)).toBe(false);

        expect(await store.users.findByEmail(first.email)).toEqual(first);
        expect(await store.users.findById(second.id)).toBeNull();
      });

      it("answers null for an unknown email or id", async () => {
        const { store } = await freshDatabase();
        await store.users.insert(newUser());
        expect(await store.users.findByEmail("nobody@example.com")).toBeNull();
        expect(await store.users.findById("usr_unknown")).toBeNull();
      });

      it("lists every user oldest first, ties by id, without password hashes", async () => {
        const { store } = await freshDatabase();
        expect(await store.users.list()).toEqual([]);
        const later = newUser({ createdAt: T0 + 10, disabledAt: T0 + 20, name: "Later" });
        const tiedB = newUser({ id: "usr_b", emailVerifiedAt: T0 + 1 });
        const tiedA = newUser({ id: "usr_a", passwordHash: null });
        for (const user of [later, tiedB, tiedA]) expect(await store.users.insert(user)).toBe(true);

        const listed = await store.users.list();
        expect(listed.map((user) => user.id)).toEqual(["usr_a", "usr_b", later.id]);
        const { passwordHash: _hash, ...expected } = later;
        expect(listed[2]).toEqual(expected);
        for (const user of listed) expect(user).not.toHaveProperty("passwordHash");
        expect(typeof listed[2]?.createdAt).toBe("number");
        expect(typeof listed[2]?.disabledAt).toBe("number");
      });

      it("sets the name and the notice setting, and reads the settings (notices on by default)", async () => {
        const { store } = await freshDatabase();
        const user = newUser();
        await store.users.insert(user);
        expect(await store.users.readSettings(user.id)).toEqual({ notifyNewCliSessions: true, deletionDueAt: null });
        await store.users.setName(user.id, "Grace", T0 + 1);
        await store.users.setNotifyNewCliSessions(user.id, false, T0 + 1);
        expect((await store.users.findById(user.id))?.name).toBe("Grace");
        expect(await store.users.readSettings(user.id)).toEqual({ notifyNewCliSessions: false, deletionDueAt: null });
        expect(await store.users.readSettings("usr_unknown")).toBeNull();
      });

      it("schedules, cancels once, and carries out deletions that fell due, with the account's sessions", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session } = await userWithSession(database);
        const other = newUser();
        await store.users.insert(other);
        expect(await store.users.cancelDeletion(user.id, T0)).toBe(false);
        await store.users.scheduleDeletion(user.id, T0 + DAY, T0);
        expect((await store.users.readSettings(user.id))?.deletionDueAt).toBe(T0 + DAY);
        expect(await store.users.cancelDeletion(user.id, T0)).toBe(true);
        expect(await store.users.cancelDeletion(user.id, T0)).toBe(false);

        await store.users.scheduleDeletion(user.id, T0 + DAY, T0);
        expect(await store.users.deleteDueForDeletion(T0 + DAY - 1)).toEqual([]);
        expect(await store.users.deleteDueForDeletion(T0 + DAY)).toEqual([user.id]);
        expect(await store.users.findById(user.id)).toBeNull();
        expect(await store.sessions.findById(session.id)).toBeNull();
        expect(await store.users.findById(other.id)).toEqual(other);
        expect(await store.users.delete(other.id)).toBe(true);
        expect(await store.users.delete(other.id)).toBe(false);
      });

      it("keeps a null password hash and a disabled time", async () => {
        const { store } = await freshDatabase();
        const user = newUser({ passwordHash: null, disabledAt: T0 + 99 });
        await store.users.insert(user);
        expect(await store.users.findById(user.id)).toEqual(user);
      });
    });

    describe("sessions", () => {
      it("finds a session with its user by token hash, with JS booleans and numbers", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const user = newUser({ name: "Grace", emailVerifiedAt: T0 + 1, createdAt: T0 - DAY });
        await store.users.insert(user);
        const pending = newSession(user.id, {
          kind: "cli",
          name: "harmont CLI",
          parentSessionId: "ses_parent",
          orgId: "org_1",
          impersonatorUserId: "usr_admin",
          secondFactorPending: true,
          authenticatedAt: T0 - 29 * DAY,
          createdAt: T0 + 10,
          lastUsedAt: T0 + 20,
          idleTimeoutMs: 30 * DAY,
          absoluteExpiresAt: T0 + 90 * DAY,
        });
        const plain = newSession(user.id, { ip: null, userAgent: null, authenticatedAt: null });
        await store.sessions.insert(pending);
        await store.sessions.insert(plain);

        const { passwordHash: _passwordHash, ...publicUser } = user;
        const found = await store.sessions.findWithUserByTokenHash(pending.tokenHash);
        // Its org_1 has no membership of the user behind it, so it reads as no org.
        expect(found).toEqual({ session: { ...withoutHash(pending), orgId: null }, user: publicUser, orgRole: null });
        expect((await store.sessions.findById(pending.id))?.orgId).toBe("org_1");
        expect(found?.session.secondFactorPending).toBe(true);
        for (const value of [
          found?.session.createdAt,
          found?.session.lastUsedAt,
          found?.session.idleTimeoutMs,
          found?.session.absoluteExpiresAt,
          found?.session.authenticatedAt,
          found?.user.createdAt,
          found?.user.emailVerifiedAt,
        ]) {
          expect(typeof value).toBe("number");
        }
        expect(found?.user.disabledAt).toBeNull();

        const other = await store.sessions.findWithUserByTokenHash(plain.tokenHash);
        expect(other?.session).toEqual(withoutHash(plain));
        expect(other?.session.secondFactorPending).toBe(false);

        // Inside a transaction the lookup goes through the query builder: same answer.
        const inside = await store.transaction((trx) => trx.sessions.findWithUserByTokenHash(pending.tokenHash));
        expect(inside).toEqual(found);
        expect(inside?.session.secondFactorPending).toBe(true);
        expect(typeof inside?.session.absoluteExpiresAt).toBe("number");

        expect(await store.sessions.findWithUserByTokenHash("no-such-hash")).toBeNull();
      });

      it("session checks made together each get their own row, and each reads after it was asked", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session: first } = await userWithSession(database);
        const second = newSession(user.id, { name: "second" });
        const other = await userWithSession(database, { name: "someone else's" });
        await store.sessions.insert(second);

        // Asked in one turn (PostgreSQL reads these in one query): unknown, repeated and distinct hashes.
        const hashes = [first.tokenHash, "no-such-hash", second.tokenHash, first.tokenHash, other.session.tokenHash];
        const found = await Promise.all(hashes.map((hash) => store.sessions.findWithUserByTokenHash(hash)));
        expect(found.map((entry) => entry?.session.id ?? null)).toEqual([first.id, null, second.id, first.id, other.session.id]);
        expect(found.map((entry) => entry?.user.id ?? null)).toEqual([user.id, null, user.id, user.id, other.user.id]);
        expect(found[0]).toEqual(found[3]);
        // The same row asked twice is two objects: a caller that updates its copy changes no other.
        expect(found[0]).not.toBe(found[3]);
        expect(found[0]?.session).not.toBe(found[3]?.session);

        // A revocation that finished before the next checks were asked is seen by all of them.
        await store.sessions.deleteById(first.id);
        const after = await Promise.all([first.tokenHash, second.tokenHash, first.tokenHash].map((hash) => store.sessions.findWithUserByTokenHash(hash)));
        expect(after.map((entry) => entry?.session.id ?? null)).toEqual([null, second.id, null]);

        // More than one query's worth at once still answers every one.
        const many = await Promise.all(Array.from({ length: 250 }, (_, index) => store.sessions.findWithUserByTokenHash(index % 2 === 0 ? second.tokenHash : `missing-${index}`)));
        expect(many.filter((entry) => entry?.session.id === second.id)).toHaveLength(125);
        expect(many.filter((entry) => entry === null)).toHaveLength(125);
      });

      it("findById returns the session without its token hash, or null", async () => {
        const database = await freshDatabase();
        const { session } = await userWithSession(database, { secondFactorPending: true });
        const found = await database.store.sessions.findById(session.id);
        expect(found).toEqual(withoutHash(session));
        expect(found).not.toHaveProperty("tokenHash");
        expect(await database.store.sessions.findById("ses_unknown")).toBeNull();
      });

      it("touch writes last_used_at only while it is before notBefore", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { session } = await userWithSession(database, { lastUsedAt: T0 });

        // last_used_at == notBefore: not written.
        await store.sessions.touch(session.id, T0 + 5 * MINUTE, T0, "192.0.2.1");
        expect(await store.sessions.findById(session.id)).toMatchObject({ lastUsedAt: T0, lastIp: null });

        // last_used_at < notBefore: written, with the address.
        await store.sessions.touch(session.id, T0 + 2 * MINUTE, T0 + 1, "192.0.2.2");
        expect(await store.sessions.findById(session.id)).toMatchObject({ lastUsedAt: T0 + 2 * MINUTE, lastIp: "192.0.2.2" });

        // last_used_at > notBefore: not written, even with a later `now`.
        await store.sessions.touch(session.id, T0 + 10 * MINUTE, T0 + MINUTE, "192.0.2.3");
        expect(await store.sessions.findById(session.id)).toMatchObject({ lastUsedAt: T0 + 2 * MINUTE, lastIp: "192.0.2.2" });

        // Touching an unknown session is harmless.
        await expect(store.sessions.touch("ses_unknown", T0, T0 + 1, null)).resolves.toBeUndefined();
      });

      it("lists a user's sessions newest first, and only theirs", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session: oldest } = await userWithSession(database, { createdAt: T0 });
        const newest = newSession(user.id, { createdAt: T0 + 2 * MINUTE, kind: "cli", parentSessionId: oldest.id });
        const middle = newSession(user.id, { createdAt: T0 + MINUTE });
        await store.sessions.insert(newest);
        await store.sessions.insert(middle);
        const { user: stranger, session: strangers } = await userWithSession(database);

        expect(await store.sessions.listByUser(user.id)).toEqual([withoutHash(newest), withoutHash(middle), withoutHash(oldest)]);
        expect(await store.sessions.listByUser(stranger.id)).toEqual([withoutHash(strangers)]);
        expect(await store.sessions.listByUser("usr_unknown")).toEqual([]);
      });

      it("deleteByTokenHash returns the deleted session once, then null", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { session } = await userWithSession(database, { secondFactorPending: true });

        const deleted = await store.sessions.deleteByTokenHash(session.tokenHash);
        expect(deleted).toEqual(withoutHash(session));
        expect(deleted?.secondFactorPending).toBe(true);
        expect(await store.sessions.findWithUserByTokenHash(session.tokenHash)).toBeNull();
        expect(await store.sessions.findById(session.id)).toBeNull();
        expect(await store.sessions.deleteByTokenHash(session.tokenHash)).toBeNull();
      });

      it("deleteById returns the deleted session once, then null, and leaves the others", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session } = await userWithSession(database);
        const sibling = newSession(user.id);
        await store.sessions.insert(sibling);

        expect(await store.sessions.deleteById(session.id)).toEqual(withoutHash(session));
        expect(await store.sessions.findById(session.id)).toBeNull();
        expect(await store.sessions.deleteById(session.id)).toBeNull();
        expect(await store.sessions.findById(sibling.id)).toEqual(withoutHash(sibling));
      });

      it("deleteAllForUser deletes every session of the user and returns their ids", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session: first } = await userWithSession(database);
        const second = newSession(user.id, { kind: "cli" });
        await store.sessions.insert(second);
        const { session: strangers } = await userWithSession(database);

        const deleted = await store.sessions.deleteAllForUser(user.id);
        expect([...deleted].sort()).toEqual([first.id, second.id].sort());
        expect(await store.sessions.listByUser(user.id)).toEqual([]);
        expect(await store.sessions.findById(strangers.id)).toEqual(withoutHash(strangers));
        expect(await store.sessions.deleteAllForUser(user.id)).toEqual([]);
      });

      it("deleteAllForUser keeps the excepted session", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session: current } = await userWithSession(database);
        const second = newSession(user.id);
        const third = newSession(user.id, { kind: "cli" });
        await store.sessions.insert(second);
        await store.sessions.insert(third);

        const deleted = await store.sessions.deleteAllForUser(user.id, { exceptSessionId: current.id });
        expect([...deleted].sort()).toEqual([second.id, third.id].sort());
        expect(await store.sessions.listByUser(user.id)).toEqual([withoutHash(current)]);
      });

      it("deleteAllForUser with keepApiTokens keeps the user's API tokens", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session: web } = await userWithSession(database);
        const apiToken = newSession(user.id, { kind: "api" });
        await store.sessions.insert(apiToken);

        expect(await store.sessions.deleteAllForUser(user.id, { keepApiTokens: true })).toEqual([web.id]);
        expect(await store.sessions.listByUser(user.id)).toEqual([withoutHash(apiToken)]);
        expect(await store.sessions.deleteAllForUser(user.id)).toEqual([apiToken.id]);
      });

      it("deleteWebChildren deletes one generation of web children of the given parents, never CLI children or others", async () => {
        const database = await freshDatabase();
        const { user, session } = await userWithSession(database);
        const web = newSession(user.id, { parentSessionId: session.id });
        const cli = newSession(user.id, { parentSessionId: session.id, kind: "cli" });
        const grandchild = newSession(user.id, { parentSessionId: web.id });
        const unrelated = newSession(user.id);
        for (const row of [web, cli, grandchild, unrelated]) await database.store.sessions.insert(row);
        expect(await database.store.sessions.deleteWebChildren([])).toEqual([]);
        expect((await database.store.sessions.deleteWebChildren([session.id])).map((child) => child.id)).toEqual([web.id]);
        expect((await database.store.sessions.listByUser(user.id)).map((left) => left.id).sort()).toEqual([session.id, cli.id, grandchild.id, unrelated.id].sort());
      });

      it("deleteExpired removes sessions past their absolute end or idle too long, and no others", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const now = T0 + 10 * DAY;
        const { user, session: live } = await userWithSession(database, {
          lastUsedAt: now - DAY + 1,
          idleTimeoutMs: DAY,
          absoluteExpiresAt: now + 1,
        });
        const absoluteEnded = newSession(user.id, { lastUsedAt: now - 1, idleTimeoutMs: 30 * DAY, absoluteExpiresAt: now });
        const idleEnded = newSession(user.id, { lastUsedAt: now - DAY, idleTimeoutMs: DAY, absoluteExpiresAt: now + 30 * DAY });
        const longDead = newSession(user.id, { lastUsedAt: T0, idleTimeoutMs: MINUTE, absoluteExpiresAt: T0 + DAY });
        for (const session of [absoluteEnded, idleEnded, longDead]) await store.sessions.insert(session);

        expect(await store.sessions.deleteExpired(now)).toBe(3);
        expect(await store.sessions.listByUser(user.id)).toEqual([withoutHash(live)]);
        expect(await store.sessions.deleteExpired(now)).toBe(0);
      });
    });

    describe("organizations", () => {
      const org = (overrides: Partial<Org> = {}): Org => ({
        id: `org_${Math.random().toString(36).slice(2)}`,
        name: "Acme",
        slug: null,
        createdByUserId: "usr_creator",
        createdAt: T0,
        updatedAt: T0,
        ...overrides,
      });

      it("keeps slugs unique (many orgs may have none), and updates name and slug", async () => {
        const { store } = await freshDatabase();
        const acme = org({ slug: "acme" });
        expect(await store.orgs.insertOrg(acme)).toBe(true);
        expect(await store.orgs.insertOrg(org({ slug: "acme" }))).toBe(false);
        expect(await store.orgs.insertOrg(org())).toBe(true);
        expect(await store.orgs.insertOrg(org())).toBe(true);
        const other = org({ slug: "other" });
        await store.orgs.insertOrg(other);
        expect(await store.orgs.updateOrg(other.id, { slug: "acme" }, T0 + 1)).toBe(false);
        expect(await store.orgs.updateOrg(other.id, { name: "Other Inc", slug: null }, T0 + 1)).toBe(true);
        expect(await store.orgs.findOrg(other.id)).toEqual({ ...other, name: "Other Inc", slug: null, updatedAt: T0 + 1 });
        expect(await store.orgs.lockOrg("org_unknown")).toBeNull();
      });

      it("adds a member once, counts owners, lists orgs most recently active first, and members with their users", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user } = await userWithSession(database);
        const [a, b, c] = [org({ name: "A" }), org({ name: "B" }), org({ name: "C" })];
        for (const each of [a, b, c]) await store.orgs.insertOrg(each);
        expect(await store.orgs.insertMembership({ orgId: a.id, userId: user.id, role: "owner", createdAt: T0, lastActiveAt: null })).toBe(true);
        expect(await store.orgs.insertMembership({ orgId: a.id, userId: user.id, role: "member", createdAt: T0, lastActiveAt: null })).toBe(false);
        await store.orgs.insertMembership({ orgId: b.id, userId: user.id, role: "member", createdAt: T0 + 1, lastActiveAt: T0 + 5 });
        await store.orgs.insertMembership({ orgId: c.id, userId: user.id, role: "admin", createdAt: T0 + 2, lastActiveAt: T0 + 9 });
        expect((await store.orgs.findMembership(a.id, user.id))?.role).toBe("owner");
        expect(await store.orgs.countOwners(a.id)).toBe(1);
        expect((await store.orgs.listOrgsOfUser(user.id, 10)).map((entry) => entry.org.name)).toEqual(["C", "B", "A"]);
        expect((await store.orgs.listOrgsOfUser(user.id, 1)).map((entry) => entry.org.name)).toEqual(["C"]);
        await store.orgs.setRole(a.id, user.id, "admin", T0 + 3);
        expect(await store.orgs.countOwners(a.id)).toBe(0);
        expect(await store.orgs.listMembers(a.id)).toEqual([{ user: { id: user.id, email: user.email, name: user.name }, role: "admin", joinedAt: T0 }]);
        expect(await store.orgs.deleteMembership(a.id, user.id)).toBe(true);
        expect(await store.orgs.deleteMembership(a.id, user.id)).toBe(false);
        // Deleting an org takes its memberships.
        await store.orgs.deleteOrg(b.id);
        expect(await store.orgs.findMembership(b.id, user.id)).toBeNull();
      });

      it("switches a session only into an org its user belongs to, and clears an org from sessions", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session } = await userWithSession(database);
        const { user: stranger, session: strangers } = await userWithSession(database);
        const acme = org();
        await store.orgs.insertOrg(acme);
        expect(await store.orgs.setSessionOrg(session.id, user.id, acme.id)).toBe(false);
        await store.orgs.insertMembership({ orgId: acme.id, userId: user.id, role: "member", createdAt: T0, lastActiveAt: null });
        expect(await store.orgs.setSessionOrg(session.id, user.id, acme.id)).toBe(true);
        expect(await store.orgs.setSessionOrg(strangers.id, user.id, acme.id)).toBe(false);
        expect((await store.sessions.findById(session.id))?.orgId).toBe(acme.id);
        // The session check reads the role with the session, and no org once the membership is gone.
        const found = await store.sessions.findWithUserByTokenHash(session.tokenHash);
        expect(found).toMatchObject({ orgRole: "member", session: { orgId: acme.id } });
        await store.orgs.deleteMembership(acme.id, user.id);
        expect(await store.sessions.findWithUserByTokenHash(session.tokenHash)).toMatchObject({ orgRole: null, session: { orgId: null } });
        await store.orgs.insertMembership({ orgId: acme.id, userId: stranger.id, role: "owner", createdAt: T0, lastActiveAt: null });
        await store.orgs.setSessionOrg(strangers.id, stranger.id, acme.id);
        await store.orgs.clearSessionsOrg(acme.id, user.id);
        expect((await store.sessions.findById(strangers.id))?.orgId).toBe(acme.id);
        await store.orgs.clearSessionsOrg(acme.id);
        expect((await store.sessions.findById(strangers.id))?.orgId).toBeNull();
        expect(await store.orgs.setSessionOrg(strangers.id, stranger.id, null)).toBe(true);
      });

      it("keeps one live invitation per org and address, consumed once, and purges expired ones", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user } = await userWithSession(database);
        const acme = org();
        await store.orgs.insertOrg(acme);
        const invitation = (id: string, tokenHash: string, expiresAt = T0 + DAY) => ({
          id, orgId: acme.id, email: "grace@example.com", role: "member" as const, tokenHash, invitedByUserId: user.id, createdAt: T0, expiresAt,
        });
        await store.invitations.upsert(invitation("inv_1", "hash-1"));
        await store.invitations.upsert(invitation("inv_2", "hash-2"));
        expect(await store.invitations.findLiveByTokenHash("hash-1", T0)).toBeNull();
        expect((await store.invitations.listLive(acme.id, T0)).map((each) => [each.id, each.invitedBy?.email])).toEqual([["inv_2", user.email]]);
        expect(await store.invitations.findLiveByTokenHash("hash-2", T0 + DAY)).toBeNull();
        expect((await store.invitations.consume("hash-2", T0))?.id).toBe("inv_2");
        expect(await store.invitations.consume("hash-2", T0)).toBeNull();
        await store.invitations.upsert({ ...invitation("inv_3", "hash-3"), email: "other@example.com" });
        expect(await store.invitations.delete("org_elsewhere", "inv_3")).toBe(false);
        expect(await store.invitations.delete(acme.id, "inv_3")).toBe(true);
        await store.invitations.upsert(invitation("inv_4", "hash-4", T0 + 10));
        expect(await store.invitations.deleteExpired(T0 + 10)).toBe(1);
      });

      it("of 20 concurrent consumes of one invitation exactly one gets it", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user } = await userWithSession(database);
        const acme = org();
        await store.orgs.insertOrg(acme);
        await store.invitations.upsert({ id: "inv_x", orgId: acme.id, email: "g@example.com", role: "member", tokenHash: "hash-x", invitedByUserId: user.id, createdAt: T0, expiresAt: T0 + DAY });
        const results = await Promise.all(Array.from({ length: 20 }, () => store.transaction((trx) => trx.invitations.consume("hash-x", T0))));
        expect(results.filter((result) => result !== null)).toHaveLength(1);
      });
    });

    describe("password resets", () => {
      it("finds a live token, spends at most the allowed attempts, consumes it once, and purges expired ones", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user } = await userWithSession(database);
        await store.passwordResets.insert({ tokenHash: "reset-1", userId: user.id, createdAt: T0, expiresAt: T0 + MINUTE });
        expect(await store.passwordResets.findLive("reset-1", T0)).toEqual({ userId: user.id, expiresAt: T0 + MINUTE });
        expect(await store.passwordResets.findLive("reset-1", T0 + MINUTE)).toBeNull();
        expect(await store.passwordResets.spendAttempt("reset-1", T0, 2)).toBe(user.id);
        expect(await store.passwordResets.spendAttempt("reset-1", T0, 2)).toBe(user.id);
        expect(await store.passwordResets.spendAttempt("reset-1", T0, 2)).toBeNull();
        expect(await store.passwordResets.consume("reset-1", T0)).toBe(user.id);
        expect(await store.passwordResets.consume("reset-1", T0)).toBeNull();
        await store.passwordResets.insert({ tokenHash: "reset-2", userId: user.id, createdAt: T0, expiresAt: T0 + MINUTE });
        await store.passwordResets.insert({ tokenHash: "reset-3", userId: user.id, createdAt: T0, expiresAt: T0 + 2 * MINUTE });
        expect(await store.passwordResets.deleteExpired(T0 + MINUTE)).toBe(1);
        await store.passwordResets.deleteForUser(user.id);
        expect(await store.passwordResets.findLive("reset-3", T0)).toBeNull();
      });
    });

    describe("two-step factors", () => {
      const pending = (userId: string, sealed = "v1.first") => ({ userId, secretSealed: sealed, enrollmentExpiresAt: T0 + 10 * MINUTE, createdAt: T0 });
      const code = (userId: string, codeId: string) => ({ userId, codeId, secretHash: `hash-${codeId}`, usedAt: null, createdAt: T0 });

      it("restarts a pending enrolment with a new secret, never replaces a confirmed one, and spends at most the allowed tries", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user } = await userWithSession(database);
        expect(await store.secondFactors.upsertPending(pending(user.id))).toBe("ok");
        expect(await store.secondFactors.upsertPending(pending(user.id, "v1.second"))).toBe("ok");
        expect((await store.secondFactors.findFactor(user.id))?.secretSealed).toBe("v1.second");
        expect(await store.secondFactors.isEnabled(user.id)).toBe(false);
        for (let attempt = 1; attempt <= 2; attempt++) expect((await store.secondFactors.spendEnrollmentAttempt(user.id, T0, 2))?.enrollmentAttempts).toBe(attempt);
        expect(await store.secondFactors.spendEnrollmentAttempt(user.id, T0, 2)).toBeNull();
        expect(await store.secondFactors.upsertPending(pending(user.id, "v1.third"))).toBe("ok");
        expect(await store.secondFactors.spendEnrollmentAttempt(user.id, T0 + 10 * MINUTE, 5)).toBeNull();

        expect(await store.secondFactors.confirm(user.id, 7, T0)).toBe(true);
        expect(await store.secondFactors.confirm(user.id, 8, T0)).toBe(false);
        expect(await store.secondFactors.isEnabled(user.id)).toBe(true);
        expect(await store.secondFactors.upsertPending(pending(user.id, "v1.attacker"))).toBe("already_enabled");
        expect(await store.secondFactors.findFactor(user.id)).toMatchObject({ secretSealed: "v1.third", confirmedAt: T0, enrollmentExpiresAt: null, lastUsedStep: 7 });
        expect(await store.secondFactors.spendEnrollmentAttempt(user.id, T0, 5)).toBeNull();
      });

      it("accepts only a later time step, uses each backup code once, and deletes the factor with its codes", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user } = await userWithSession(database);
        await store.secondFactors.upsertPending(pending(user.id));
        expect(await store.secondFactors.useStep(user.id, 3)).toBe(false); // not confirmed yet
        await store.secondFactors.confirm(user.id, 3, T0);
        expect([await store.secondFactors.useStep(user.id, 3), await store.secondFactors.useStep(user.id, 2), await store.secondFactors.useStep(user.id, 4)]).toEqual([false, false, true]);

        await store.secondFactors.replaceBackupCodes(user.id, [code(user.id, "AAAA"), code(user.id, "BBBB")]);
        expect(await store.secondFactors.countUnusedBackupCodes(user.id)).toBe(2);
        expect((await store.secondFactors.findUnusedBackupCode(user.id, "AAAA"))?.secretHash).toBe("hash-AAAA");
        expect(await store.secondFactors.useBackupCode(user.id, "AAAA", T0)).toBe(true);
        expect(await store.secondFactors.useBackupCode(user.id, "AAAA", T0)).toBe(false);
        expect(await store.secondFactors.findUnusedBackupCode(user.id, "AAAA")).toBeNull();
        expect(await store.secondFactors.countUnusedBackupCodes(user.id)).toBe(1);
        await store.secondFactors.replaceBackupCodes(user.id, [code(user.id, "CCCC")]);
        expect(await store.secondFactors.findUnusedBackupCode(user.id, "BBBB")).toBeNull();

        expect(await store.secondFactors.deleteFactor(user.id)).toBe(true);
        expect(await store.secondFactors.deleteFactor(user.id)).toBe(false);
        expect([await store.secondFactors.findFactor(user.id), await store.secondFactors.countUnusedBackupCodes(user.id)]).toEqual([null, 0]);
      });

      it("purges enrolments that ran out, and nothing confirmed", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const first = await userWithSession(database);
        const second = await userWithSession(database);
        await store.secondFactors.upsertPending(pending(first.user.id));
        await store.secondFactors.upsertPending(pending(second.user.id));
        await store.secondFactors.confirm(second.user.id, 0, T0);
        expect(await store.secondFactors.deleteExpiredEnrollments(T0 + 10 * MINUTE)).toBe(1);
        expect(await store.secondFactors.isEnabled(second.user.id)).toBe(true);
      });
    });

    describe("login challenges", () => {
      function challenge(userId: string, overrides: Partial<LoginChallenge & { tokenHash: string }> = {}) {
        return {
          id: unique("lch"),
          tokenHash: unique("chash"),
          userId,
          firstFactor: "password" as const,
          attempts: 0,
          state: "pending" as const,
          approvalNumber: null,
          approvalRequestedAt: null,
          decidedBySessionId: null,
          decidedAt: null,
          ip: "203.0.113.7",
          userAgent: "Mozilla/5.0",
          createdAt: T0,
          expiresAt: T0 + 5 * MINUTE,
          ...overrides,
        };
      }

      it("counts tries up to the limit, asks for approval once, lets only its own user decide, and is consumed once in the right state", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session } = await userWithSession(database);
        const other = await userWithSession(database);
        const waiting = challenge(user.id);
        await store.loginChallenges.insert(waiting);
        expect((await store.loginChallenges.spendAttempt(waiting.tokenHash, T0, 2))?.attempts).toBe(1);
        expect((await store.loginChallenges.spendAttempt(waiting.tokenHash, T0, 2))?.attempts).toBe(2);
        expect(await store.loginChallenges.spendAttempt(waiting.tokenHash, T0, 2)).toBeNull();

        expect(await store.loginChallenges.requestApproval(waiting.tokenHash, "47", T0)).toBe(true);
        expect(await store.loginChallenges.requestApproval(waiting.tokenHash, "48", T0)).toBe(false);
        expect(await store.loginChallenges.findLiveByTokenHash(waiting.tokenHash, T0)).toMatchObject({ state: "awaiting_approval", approvalNumber: "47", approvalRequestedAt: T0 });
        expect((await store.loginChallenges.listAwaiting(user.id, T0)).map((listed) => listed.id)).toEqual([waiting.id]);
        expect(await store.loginChallenges.listAwaiting(other.user.id, T0)).toEqual([]);

        expect(await store.loginChallenges.decide(waiting.id, other.user.id, "approved", other.session.id, T0)).toBe(false);
        expect(await store.loginChallenges.consume(waiting.tokenHash, ["approved"], T0)).toBeNull();
        expect(await store.loginChallenges.decide(waiting.id, user.id, "approved", session.id, T0 + 1)).toBe(true);
        expect(await store.loginChallenges.decide(waiting.id, user.id, "rejected", session.id, T0 + 2)).toBe(false);
        expect(await store.loginChallenges.spendAttempt(waiting.tokenHash, T0, 5)).toBeNull();
        expect(await store.loginChallenges.consume(waiting.tokenHash, ["approved"], T0)).toMatchObject({ id: waiting.id, decidedAt: T0 + 1, decidedBySessionId: session.id });
        expect(await store.loginChallenges.consume(waiting.tokenHash, ["approved"], T0)).toBeNull();
      });

      it("ignores expired challenges, deletes a user's, and purges expired ones", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user } = await userWithSession(database);
        const early = challenge(user.id, { expiresAt: T0 + MINUTE });
        const late = challenge(user.id);
        await store.loginChallenges.insert(early);
        await store.loginChallenges.insert(late);
        expect(await store.loginChallenges.findLiveByTokenHash(early.tokenHash, T0 + MINUTE)).toBeNull();
        expect(await store.loginChallenges.findLiveById(early.id, T0 + MINUTE)).toBeNull();
        expect(await store.loginChallenges.consume(early.tokenHash, ["pending"], T0 + MINUTE)).toBeNull();
        expect(await store.loginChallenges.deleteExpired(T0 + MINUTE)).toBe(1);
        expect(await store.loginChallenges.deleteForUser(user.id)).toBe(1);
        expect(await store.loginChallenges.findLiveById(late.id, T0)).toBeNull();
      });
    });

    describe("device authorizations", () => {
      function authorization(overrides: Partial<DeviceAuthorization> = {}): DeviceAuthorization {
        return {
          deviceCodeHash: unique("dch"),
          userCodeHash: unique("uch"),
          clientId: "harmont-cli",
          sessionName: "harmont CLI on test",
          deviceDescription: null,
          requesterIp: "198.51.100.7",
          state: "pending",
          userId: null,
          approvingSessionId: null,
          issuedSessionId: null,
          intervalMs: 5000,
          lastPolledAt: null,
          createdAt: T0,
          expiresAt: T0 + 5 * MINUTE,
          answeredAt: null,
          consumedAt: null,
          ...overrides,
        };
      }

      it("keeps a live user code unique, frees an expired one, and records polls only while pending", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const first = authorization();
        expect(await store.deviceAuthorizations.insert(first)).toBe(true);
        expect(await store.deviceAuthorizations.insert(authorization({ userCodeHash: first.userCodeHash }))).toBe(false);
        // Once it expired, the code may be drawn again; the old row stays for late polls.
        expect(await store.deviceAuthorizations.insert(authorization({ userCodeHash: first.userCodeHash, createdAt: T0 + 5 * MINUTE, expiresAt: T0 + 10 * MINUTE }))).toBe(true);
        expect((await store.deviceAuthorizations.findByDeviceCodeHash(first.deviceCodeHash))?.userCodeHash).toBeNull();
        expect(await store.deviceAuthorizations.findLiveByUserCodeHash(first.userCodeHash!, T0 + 6 * MINUTE)).toMatchObject({ createdAt: T0 + 5 * MINUTE });

        const polled = authorization();
        await store.deviceAuthorizations.insert(polled);
        await store.deviceAuthorizations.recordPoll(polled.deviceCodeHash, T0 + SECOND, 10_000);
        expect(await store.deviceAuthorizations.findByDeviceCodeHash(polled.deviceCodeHash)).toMatchObject({ lastPolledAt: T0 + SECOND, intervalMs: 10_000 });
      });

      it("approves a pending one once, lets only its approver deny it before pick-up, and consumes it once for its own client", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const { user, session } = await userWithSession(database);
        const other = await userWithSession(database);
        const waiting = authorization();
        await store.deviceAuthorizations.insert(waiting);
        expect(await store.deviceAuthorizations.consume(waiting.deviceCodeHash, "harmont-cli", T0)).toBeNull();
        expect(await store.deviceAuthorizations.approve(waiting.userCodeHash!, user.id, session.id, T0)).toBe(true);
        expect(await store.deviceAuthorizations.approve(waiting.userCodeHash!, other.user.id, other.session.id, T0)).toBe(false);
        expect(await store.deviceAuthorizations.deny(waiting.userCodeHash!, other.user.id, T0)).toBe(false);
        expect(await store.deviceAuthorizations.consume(waiting.deviceCodeHash, "acme-cli", T0)).toBeNull();
        const consumed = await store.deviceAuthorizations.consume(waiting.deviceCodeHash, "harmont-cli", T0 + 1);
        expect(consumed).toMatchObject({ state: "consumed", userId: user.id, approvingSessionId: session.id, userCodeHash: null, consumedAt: T0 + 1 });
        expect(await store.deviceAuthorizations.consume(waiting.deviceCodeHash, "harmont-cli", T0 + 1)).toBeNull();
        await store.deviceAuthorizations.finish(waiting.deviceCodeHash, { issuedSessionId: "ses_issued" });
        expect((await store.deviceAuthorizations.findByDeviceCodeHash(waiting.deviceCodeHash))?.issuedSessionId).toBe("ses_issued");

        const refused = authorization();
        await store.deviceAuthorizations.insert(refused);
        await store.deviceAuthorizations.approve(refused.userCodeHash!, user.id, session.id, T0);
        expect(await store.deviceAuthorizations.deny(refused.userCodeHash!, user.id, T0)).toBe(true);
        expect(await store.deviceAuthorizations.consume(refused.deviceCodeHash, "harmont-cli", T0)).toBeNull();
        expect(await store.deviceAuthorizations.approve(refused.userCodeHash!, user.id, session.id, T0 + 5 * MINUTE)).toBe(false);
        expect(await store.deviceAuthorizations.deleteExpired(T0 + 5 * MINUTE)).toBe(2);
      });
    });

    describe("grants", () => {
      /** A user with a session that owns the grants of a test. */
      async function owner(database: OpenDatabase) {
        const { user, session } = await userWithSession(database);
        return { userId: user.id, sessionId: session.id };
      }

      it("isLive reads whether a live grant of that kind exists, in and out of a transaction", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const grant = newGrant(await owner(database));
        expect(await store.grants.isLive("cli_handoff", grant.secretHash, T0)).toBe(false);
        expect(await store.grants.insertIfAbsent(grant, T0)).toBe("inserted");
        expect(await store.grants.isLive("cli_handoff", grant.secretHash, T0 + MINUTE - 1)).toBe(true);
        expect(await store.grants.isLive("cli_handoff", grant.secretHash, T0 + MINUTE)).toBe(false);
        // Another kind under the same hash is another grant.
        expect(await store.grants.isLive("cli_paste_code", grant.secretHash, T0)).toBe(false);
        expect(await store.transaction((inner) => inner.grants.isLive("cli_handoff", grant.secretHash, T0))).toBe(true);
        await store.grants.consume("cli_handoff", grant.secretHash, T0);
        expect(await store.grants.isLive("cli_handoff", grant.secretHash, T0)).toBe(false);
      });

      it("insertIfAbsent: the first writer wins while the grant is live", async () => {
        const database = await freshDatabase();
        const first = newGrant(await owner(database));
        const second = newGrant(await owner(database), { secretHash: first.secretHash, state: "denied", createdAt: T0 + 1, expiresAt: T0 + 2 * MINUTE });

        expect(await database.store.grants.insertIfAbsent(first, T0)).toBe("inserted");
        expect(await database.store.grants.insertIfAbsent(second, T0 + MINUTE - 1)).toBe("taken");
        expect(await database.store.grants.findLive("cli_handoff", first.secretHash, T0)).toEqual(first);
        // The same hash of another kind does not collide.
        expect(await database.store.grants.insertIfAbsent({ ...second, kind: "cli_paste_code" }, T0)).toBe("inserted");
      });

      it("insertIfAbsent replaces an expired grant", async () => {
        const database = await freshDatabase();
        const stale = newGrant(await owner(database), { expiresAt: T0 + MINUTE });
        await database.store.grants.insertIfAbsent(stale, T0);
        const fresh = newGrant(await owner(database), { secretHash: stale.secretHash, state: "denied", createdAt: T0 + MINUTE, expiresAt: T0 + 2 * MINUTE });

        expect(await database.store.grants.insertIfAbsent(fresh, T0 + MINUTE)).toBe("inserted");
        expect(await database.store.grants.findLive("cli_handoff", stale.secretHash, T0 + MINUTE)).toEqual(fresh);
      });

      it("insertIfAbsent stores nothing and says owner_gone when the owning session no longer exists", async () => {
        const database = await freshDatabase();
        const { userId } = await owner(database);
        const orphan = newGrant({ userId, sessionId: "ses_revoked_meanwhile" });
        expect(await database.store.grants.insertIfAbsent(orphan, T0)).toBe("owner_gone");
        expect(await database.store.grants.findLive("cli_handoff", orphan.secretHash, T0)).toBeNull();
        // A grant nobody has decided yet has no owner, and is stored.
        const undecided = newGrant({ userId, sessionId: "unused" }, { state: "pending", userId: null, sessionId: null });
        expect(await database.store.grants.insertIfAbsent(undecided, T0)).toBe("inserted");
        expect(await database.store.grants.findLive("cli_handoff", undecided.secretHash, T0)).toEqual(undecided);
      });

      it("a grant dies with the session that decided it, and with its user", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const a = await owner(database);
        const b = await owner(database);
        const byA = newGrant(a);
        const deniedByA = newGrant(a, { state: "denied" });
        const codeByA = newGrant(a, { kind: "cli_paste_code" });
        const byB = newGrant(b);
        for (const grant of [byA, deniedByA, codeByA, byB]) expect(await store.grants.insertIfAbsent(grant, T0)).toBe("inserted");

        await store.sessions.deleteById(a.sessionId);
        for (const gone of [byA, deniedByA, codeByA]) expect(await store.grants.findLive(gone.kind, gone.secretHash, T0)).toBeNull();
        expect(await store.grants.findLive("cli_handoff", byB.secretHash, T0)).toEqual(byB);

        // A user's deletion takes their grants too (sessions cascade from users, grants from both).
        await database.db.deleteFrom("users").where("id", "=", b.userId).execute();
        expect(await store.grants.findLive("cli_handoff", byB.secretHash, T0)).toBeNull();
      });

      it("findLive ignores an expired grant and an unknown hash", async () => {
        const database = await freshDatabase();
        const grant = newGrant(await owner(database));
        await database.store.grants.insertIfAbsent(grant, T0);

        expect(await database.store.grants.findLive("cli_handoff", grant.secretHash, grant.expiresAt - 1)).toEqual(grant);
        expect(await database.store.grants.findLive("cli_handoff", grant.secretHash, grant.expiresAt)).toBeNull();
        expect(await database.store.grants.findLive("cli_handoff", "unknown", T0)).toBeNull();
      });

      it("changeState moves a live grant from one state to another, only for its user when one is named", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const grant = newGrant(await owner(database));
        await store.grants.insertIfAbsent(grant, T0);
        const deny = { from: "approved", to: "denied", expiresAt: T0 + 5 * MINUTE } as const;

        expect(await store.grants.changeState("cli_handoff", grant.secretHash, { ...deny, userId: "usr_someone_else" }, T0 + 1)).toBe(false);
        expect(await store.grants.findLive("cli_handoff", grant.secretHash, T0 + 1)).toEqual(grant);

        expect(await store.grants.changeState("cli_handoff", grant.secretHash, { ...deny, userId: grant.userId! }, T0 + 1)).toBe(true);
        expect(await store.grants.findLive("cli_handoff", grant.secretHash, T0 + 2 * MINUTE)).toEqual({ ...grant, state: "denied", expiresAt: T0 + 5 * MINUTE });

        // Only a grant in `from` moves: a denied one stays as it is.
        expect(await store.grants.changeState("cli_handoff", grant.secretHash, { ...deny, expiresAt: T0 + 9 * MINUTE }, T0 + 2)).toBe(false);
        expect((await store.grants.findLive("cli_handoff", grant.secretHash, T0 + 2))?.expiresAt).toBe(T0 + 5 * MINUTE);
      });

      it("changeState does not touch an expired or unknown grant, or one of another kind", async () => {
        const database = await freshDatabase();
        const grant = newGrant(await owner(database));
        await database.store.grants.insertIfAbsent(grant, T0);
        const deny = { from: "approved", to: "denied", expiresAt: T0 + 5 * MINUTE } as const;

        expect(await database.store.grants.changeState("cli_handoff", grant.secretHash, deny, grant.expiresAt)).toBe(false);
        expect(await database.store.grants.changeState("cli_paste_code", grant.secretHash, deny, T0)).toBe(false);
        expect(await database.store.grants.changeState("cli_handoff", "unknown", deny, T0)).toBe(false);
        expect(await database.store.grants.findLive("cli_handoff", grant.secretHash, grant.expiresAt - 1)).toEqual(grant);
      });

      it("consume returns the live grant once, in any state, then null", async () => {
        const database = await freshDatabase();
        const approved = newGrant(await owner(database));
        const denied = newGrant(await owner(database), { state: "denied" });
        await database.store.grants.insertIfAbsent(approved, T0);
        await database.store.grants.insertIfAbsent(denied, T0);

        expect(await database.store.grants.consume("cli_handoff", approved.secretHash, T0 + 1)).toEqual(approved);
        expect(await database.store.grants.consume("cli_handoff", approved.secretHash, T0 + 2)).toBeNull();
        expect(await database.store.grants.consume("cli_handoff", denied.secretHash, T0 + 1)).toEqual(denied);
        expect(await database.store.grants.consume("cli_handoff", denied.secretHash, T0 + 1)).toBeNull();
      });

      it("consume answers null for an expired grant, an unknown hash and another kind", async () => {
        const database = await freshDatabase();
        const grant = newGrant(await owner(database));
        await database.store.grants.insertIfAbsent(grant, T0);

        expect(await database.store.grants.consume("cli_handoff", grant.secretHash, grant.expiresAt)).toBeNull();
        expect(await database.store.grants.consume("cli_paste_code", grant.secretHash, T0)).toBeNull();
        expect(await database.store.grants.consume("cli_handoff", "unknown", T0)).toBeNull();
        // The misses did not delete a grant that is still live at an earlier time.
        expect(await database.store.grants.consume("cli_handoff", grant.secretHash, grant.expiresAt - 1)).toEqual(grant);
      });

      it("deleteByUser deletes the user's grants in that state, of every kind, and no others", async () => {
        const database = await freshDatabase();
        const { store } = database;
        const a = await owner(database);
        const b = await owner(database);
        const approved = newGrant(a);
        const code = newGrant(a, { kind: "cli_paste_code" });
        const denied = newGrant(a, { state: "denied" });
        const strangers = newGrant(b);
        for (const grant of [approved, code, denied, strangers]) await store.grants.insertIfAbsent(grant, T0);

        expect(await store.grants.deleteByUser(a.userId, "approved")).toBe(2);
        expect(await store.grants.findLive("cli_handoff", approved.secretHash, T0)).toBeNull();
        expect(await store.grants.findLive("cli_paste_code", code.secretHash, T0)).toBeNull();
        expect(await store.grants.findLive("cli_handoff", denied.secretHash, T0)).toEqual(denied);
        expect(await store.grants.findLive("cli_handoff", strangers.secretHash, T0)).toEqual(strangers);
        expect(await store.grants.deleteByUser(a.userId, "approved")).toBe(0);
      });

      it("deleteExpired removes only grants at or past their end", async () => {
        const database = await freshDatabase();
        const who = await owner(database);
        const ended = newGrant(who, { expiresAt: T0 + MINUTE });
        const live = newGrant(who, { expiresAt: T0 + MINUTE + 1, kind: "cli_paste_code" });
        await database.store.grants.insertIfAbsent(ended, T0);
        await database.store.grants.insertIfAbsent(live, T0);

        expect(await database.store.grants.deleteExpired(T0 + MINUTE)).toBe(1);
        expect(await database.store.grants.consume("cli_handoff", ended.secretHash, T0)).toBeNull();
        expect(await database.store.grants.consume("cli_paste_code", live.secretHash, T0)).toEqual(live);
      });
    });

    describe("email codes", () => {
      it("replace stores a code and replaces the earlier one of the same address and purpose only", async () => {
        const { store } = await freshDatabase();
        const first = newEmailCode({ attempts: 3 });
        const otherPurpose = newEmailCode({ email: first.email, purpose: "verify_email" });
        await store.emailCodes.replace(first);
        await store.emailCodes.replace(otherPurpose);
        const second = newEmailCode({ email: first.email, createdAt: T0 + 1, expiresAt: T0 + 20 * MINUTE });
        await store.emailCodes.replace(second);

        // The replacement starts with no attempts and answers with its own hash.
        expect(await store.emailCodes.countAttempt(first.email, "sign_in", T0 + 2, 5)).toBe(second.codeHash);
        expect(await store.emailCodes.consume(first.email, "sign_in", first.codeHash)).toBe(false);
        expect(await store.emailCodes.consume(first.email, "verify_email", otherPurpose.codeHash)).toBe(true);
      });

      it("countAttempt counts before any comparison and refuses past the limit or the expiry", async () => {
        const { store } = await freshDatabase();
        const code = newEmailCode();
        await store.emailCodes.replace(code);
        for (let attempt = 1; attempt <= 3; attempt++) expect(await store.emailCodes.countAttempt(code.email, "sign_in", T0 + attempt, 3)).toBe(code.codeHash);
        expect(await store.emailCodes.countAttempt(code.email, "sign_in", T0 + 4, 3)).toBeNull();
        expect(await store.emailCodes.countAttempt(code.email, "sign_in", T0 + 4, 5)).toBe(code.codeHash);
        expect(await store.emailCodes.countAttempt(code.email, "sign_in", code.expiresAt, 5)).toBeNull();
        expect(await store.emailCodes.countAttempt("nobody@example.com", "sign_in", T0, 5)).toBeNull();
        expect(await store.emailCodes.countAttempt(code.email, "verify_email", T0, 5)).toBeNull();
      });

      it("consume deletes the code only while it still has that hash, once", async () => {
        const { store } = await freshDatabase();
        const code = newEmailCode();
        await store.emailCodes.replace(code);
        expect(await store.emailCodes.consume(code.email, "sign_in", "another-hash")).toBe(false);
        expect(await store.emailCodes.consume(code.email, "sign_in", code.codeHash)).toBe(true);
        expect(await store.emailCodes.consume(code.email, "sign_in", code.codeHash)).toBe(false);
        expect(await store.emailCodes.countAttempt(code.email, "sign_in", T0, 5)).toBeNull();
      });

      it("deleteExpired removes only codes at or past their end", async () => {
        const { store } = await freshDatabase();
        const ended = newEmailCode({ expiresAt: T0 + MINUTE });
        const live = newEmailCode({ expiresAt: T0 + MINUTE + 1 });
        await store.emailCodes.replace(ended);
        await store.emailCodes.replace(live);
        expect(await store.emailCodes.deleteExpired(T0 + MINUTE)).toBe(1);
        expect(await store.emailCodes.consume(ended.email, "sign_in", ended.codeHash)).toBe(false);
        expect(await store.emailCodes.consume(live.email, "sign_in", live.codeHash)).toBe(true);
      });
    });

    describe("audit", () => {
      it("records events and lists them in time order, with filters and details intact", async () => {
        const { store } = await freshDatabase();
        const late = auditEvent({
          at: T0 + 30,
          action: "cli.handoff.claimed",
          actorUserId: "usr_a",
          target: "ses_new",
          ip: "198.51.100.1",
          requestId: "req_3",
          detail: { parent_session_id: "ses_parent", count: 3, forced: false, note: null },
        });
        const early = auditEvent({ at: T0 + 10, action: "session.logout", actorUserId: "usr_a", target: "ses_1", requestId: "req_1" });
        const other = auditEvent({
          at: T0 + 20,
          action: "session.logout",
          actorUserId: "usr_b",
          target: "ses_2",
          detail: { reason: "logout_all", ok: true },
        });
        const anonymous = auditEvent({ at: T0 + 40, action: "cli.handoff.rejected_in_use" });
        for (const event of [late, early, other, anonymous]) await store.audit.record(event);

        const all = await store.audit.list();
        expect(all).toEqual([early, other, late, anonymous]);
        expect(all[0]?.detail).toBeUndefined();
        expect(all[2]?.detail).toEqual({ parent_session_id: "ses_parent", count: 3, forced: false, note: null });
        expect(typeof all[2]?.at).toBe("number");

        expect(await store.audit.list({ actorUserId: "usr_a" })).toEqual([early, late]);
        expect(await store.audit.list({ action: "session.logout" })).toEqual([early, other]);
        expect(await store.audit.list({ actorUserId: "usr_a", action: "session.logout" })).toEqual([early]);
        expect(await store.audit.list({ actorUserId: "usr_nobody" })).toEqual([]);
      });
    });

    describe("transactions", () => {
      it("commits the work and returns its value", async () => {
        const { store } = await freshDatabase();
        const user = newUser();
        const result = await store.transaction(async (trx) => {
          await trx.users.insert(user);
          return "done";
        });
        expect(result).toBe("done");
        expect(await store.users.findById(user.id)).toEqual(user);
      });

      it("rolls back every write when the work throws", async () => {
        const { store } = await freshDatabase();
        const user = newUser();
        const session = newSession(user.id);
        const handoff = newGrant({ userId: user.id, sessionId: session.id });
        const code = newGrant({ userId: user.id, sessionId: session.id }, { kind: "cli_paste_code" });
        const event = auditEvent({ actorUserId: user.id });
        const failure = new Error("work failed half-way");

        await expect(
          store.transaction(async (trx) => {
            expect(await trx.users.insert(user)).toBe(true);
            await trx.sessions.insert(session);
            expect(await trx.grants.insertIfAbsent(handoff, T0)).toBe("inserted");
            expect(await trx.grants.insertIfAbsent(code, T0)).toBe("inserted");
            await trx.audit.record(event);
            // Visible inside the transaction…
            expect(await trx.sessions.findWithUserByTokenHash(session.tokenHash)).not.toBeNull();
            // …nested transactions join the outer one…
            await trx.transaction(async (inner) => {
              expect(await inner.users.findById(user.id)).toEqual(user);
            });
            throw failure;
          }),
        ).rejects.toBe(failure);

        // …and nothing is left afterwards.
        expect(await store.users.findById(user.id)).toBeNull();
        expect(await store.sessions.findWithUserByTokenHash(session.tokenHash)).toBeNull();
        expect(await store.sessions.findById(session.id)).toBeNull();
        expect(await store.grants.findLive("cli_handoff", handoff.secretHash, T0)).toBeNull();
        expect(await store.grants.consume("cli_paste_code", code.secretHash, T0)).toBeNull();
        expect(await store.audit.list()).toEqual([]);
      });

      it("a failed transaction leaves the database usable", async () => {
        const { store } = await freshDatabase();
        const user = newUser();
        await expect(
          store.transaction(async (trx) => {
            await trx.users.insert(user);
            throw new Error("boom");
          }),
        ).rejects.toThrow("boom");
        expect(await store.users.insert(user)).toBe(true);
        expect(await store.users.findByEmail(user.email)).toEqual(user);
      });
    });

    describe("migrations", () => {
      it("opening an already migrated database again works and keeps the data", async () => {
        const database = await target.create();
        onTestFinished(() => database.drop());
        const first = await openDatabase(database.url);
        const user = newUser();
        try {
          await first.store.users.insert(user);
        } finally {
          await first.close();
        }

        const second = await openDatabase(database.url);
        try {
          await second.ping();
          expect(await second.store.users.findById(user.id)).toEqual(user);
          const session = newSession(user.id);
          await second.store.sessions.insert(session);
          expect((await second.store.sessions.findWithUserByTokenHash(session.tokenHash))?.user.id).toBe(user.id);
        } finally {
          await second.close();
        }

        // A third time, while nothing else holds it open, still works.
        const third = await openDatabase(database.url);
        await third.close();
      });

      it.runIf(target.kind === "postgres")("two processes may migrate a fresh database at the same time", async () => {
        const database = await target.create();
        onTestFinished(() => database.drop());
        const opened = await Promise.all([openDatabase(database.url), openDatabase(database.url)]);
        try {
          const user = newUser();
          expect(await opened[0].store.users.insert(user)).toBe(true);
          expect(await opened[1].store.users.findById(user.id)).toEqual(user);
        } finally {
          await Promise.all(opened.map((each) => each.close()));
        }
      });
    });

    describe("single use under concurrency", () => {
      const ATTEMPTS = 50;
      // Other test files hold PostgreSQL connections at the same time (the server allows 100), so
      // 24 connections carry the 50 attempts: still many overlapping transactions.
      const CONNECTIONS = 24;

      /** A database whose pool runs many attempts at once (PostgreSQL), connections already open. */
      async function concurrentDatabase(): Promise<OpenDatabase> {
        const database = await freshDatabase({ poolSize: CONNECTIONS });
        if (database.pool) {
          await Promise.all(Array.from({ length: CONNECTIONS }, () => database.pool!.query("select pg_sleep(0.02)")));
        }
        return database;
      }

      for (const kind of grantKinds) {
        it(`of ${ATTEMPTS} concurrent consumes of a ${kind} grant exactly one gets it`, async () => {
          const database = await concurrentDatabase();
          const { user, session } = await userWithSession(database);
          const grant = newGrant({ userId: user.id, sessionId: session.id }, { kind });
          expect(await database.store.grants.insertIfAbsent(grant, T0)).toBe("inserted");

          const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => database.store.grants.consume(kind, grant.secretHash, T0 + 1)));
          expect(results.filter((result) => result !== null)).toEqual([grant]);
          expect(await database.store.grants.findLive(kind, grant.secretHash, T0 + 1)).toBeNull();
        });
      }

      it(`of ${ATTEMPTS} concurrent pick-ups of one approved device authorization exactly one gets it`, async () => {
        const database = await concurrentDatabase();
        const { user, session } = await userWithSession(database);
        const deviceCodeHash = unique("dch");
        const userCodeHash = unique("uch");
        await database.store.deviceAuthorizations.insert({
          deviceCodeHash, userCodeHash, clientId: "harmont-cli", sessionName: "cli", deviceDescription: null, requesterIp: null, state: "pending", userId: null,
          approvingSessionId: null, issuedSessionId: null, intervalMs: 5000, lastPolledAt: null, createdAt: T0, expiresAt: T0 + MINUTE, answeredAt: null, consumedAt: null,
        });
        await database.store.deviceAuthorizations.approve(userCodeHash, user.id, session.id, T0);
        const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => database.store.transaction((trx) => trx.deviceAuthorizations.consume(deviceCodeHash, "harmont-cli", T0))));
        expect(results.filter((result) => result !== null)).toHaveLength(1);
      });

      it(`of ${ATTEMPTS} concurrent uses of one TOTP time step (one code on many sign-ins) exactly one succeeds`, async () => {
        const database = await concurrentDatabase();
        const { user } = await userWithSession(database);
        await database.store.secondFactors.upsertPending({ userId: user.id, secretSealed: "v1.x", enrollmentExpiresAt: T0 + MINUTE, createdAt: T0 });
        await database.store.secondFactors.confirm(user.id, 10, T0);
        const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => database.store.transaction((trx) => trx.secondFactors.useStep(user.id, 11))));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it(`of ${ATTEMPTS} concurrent uses of one backup code exactly one succeeds`, async () => {
        const database = await concurrentDatabase();
        const { user } = await userWithSession(database);
        await database.store.secondFactors.replaceBackupCodes(user.id, [{ userId: user.id, codeId: "K7P2", secretHash: "h", usedAt: null, createdAt: T0 }]);
        const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => database.store.transaction((trx) => trx.secondFactors.useBackupCode(user.id, "K7P2", T0))));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it(`of ${ATTEMPTS} concurrent tries on one login challenge with 5 allowed, exactly 5 are counted; of ${ATTEMPTS} consumes, one`, async () => {
        const database = await concurrentDatabase();
        const { user } = await userWithSession(database);
        const tokenHash = unique("chash");
        const base = { id: unique("lch"), tokenHash, userId: user.id, firstFactor: "password" as const, attempts: 0, state: "pending" as const };
        await database.store.loginChallenges.insert({ ...base, approvalNumber: null, approvalRequestedAt: null, decidedBySessionId: null, decidedAt: null, ip: null, userAgent: null, createdAt: T0, expiresAt: T0 + MINUTE });
        const tries = await Promise.all(Array.from({ length: ATTEMPTS }, () => database.store.loginChallenges.spendAttempt(tokenHash, T0, 5)));
        expect(tries.filter((result) => result !== null).map((result) => result!.attempts).sort()).toEqual([1, 2, 3, 4, 5]);
        const consumed = await Promise.all(Array.from({ length: ATTEMPTS }, () => database.store.transaction((trx) => trx.loginChallenges.consume(tokenHash, ["pending", "awaiting_approval"], T0))));
        expect(consumed.filter((result) => result !== null)).toHaveLength(1);
      });

      it("of 25 approvals and 25 refusals of one waiting sign-in, exactly one decides, and the state is the winner's", async () => {
        const database = await concurrentDatabase();
        const { user, session } = await userWithSession(database);
        const tokenHash = unique("chash");
        const id = unique("lch");
        await database.store.loginChallenges.insert({
          id, tokenHash, userId: user.id, firstFactor: "password", attempts: 0, state: "pending", approvalNumber: null, approvalRequestedAt: null,
          decidedBySessionId: null, decidedAt: null, ip: null, userAgent: null, createdAt: T0, expiresAt: T0 + MINUTE,
        });
        await database.store.loginChallenges.requestApproval(tokenHash, "47", T0);
        const decisions = Array.from({ length: ATTEMPTS }, (_, index) => (index % 2 === 0 ? ("approved" as const) : ("rejected" as const)));
        const results = await Promise.all(decisions.map((to) => database.store.loginChallenges.decide(id, user.id, to, session.id, T0)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = decisions[results.indexOf(true)];
        expect((await database.store.loginChallenges.findLiveById(id, T0))?.state).toBe(winner);
      });

      it(`of ${ATTEMPTS} concurrent consumes inside transactions exactly one gets the record`, async () => {
        const database = await concurrentDatabase();
        const { store } = database;
        const { user, session } = await userWithSession(database);
        const handoff = newGrant({ userId: user.id, sessionId: session.id });
        await store.grants.insertIfAbsent(handoff, T0);

        // The claim path: consume, then more writes, in one transaction per attempt.
        const results = await Promise.all(
          Array.from({ length: ATTEMPTS }, (_, index) =>
            store.transaction(async (trx) => {
              const consumed = await trx.grants.consume("cli_handoff", handoff.secretHash, T0 + 1);
              if (consumed) await trx.audit.record(auditEvent({ action: "cli.handoff.claimed", target: `attempt_${index}` }));
              return consumed;
            }),
          ),
        );
        expect(results.filter((result) => result !== null)).toEqual([handoff]);
        expect(await store.audit.list({ action: "cli.handoff.claimed" })).toHaveLength(1);
      });
    });
  });
});
