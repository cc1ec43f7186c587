/**
 * The AuthStore conformance suite: the same cases on SQLite and on PostgreSQL (when
 * HARMONT_TEST_DATABASE_URL is set). Every test opens its own fresh, migrated database.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it, onTestFinished } from "vitest";
import type { Handoff, NewSession, PasteCode, Session, StoredAuditEvent, UserWithPassword } from "../auth/types.js";
import { databaseTargets, reportSkippedPostgres, type DatabaseTarget } from "../test-support/databases.js";
import { openDatabase, type OpenDatabase, type OpenDatabaseOptions } from "./database.js";

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
    orgId: null,
    impersonatorUserId: null,
    secondFactorPending: false,
    ip: "203.0.113.7",
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

function newHandoff(overrides: Partial<Handoff> = {}): Handoff {
  return {
    nonceHash: unique("nonce"),
    state: "parked",
    userId: unique("usr"),
    sessionId: unique("ses"),
    createdAt: T0,
    expiresAt: T0 + MINUTE,
    ...overrides,
  };
}

function newPasteCode(overrides: Partial<PasteCode> = {}): PasteCode {
  return {
    codeHash: unique("code"),
    userId: unique("usr"),
    sessionId: unique("ses"),
    createdAt: T0,
    expiresAt: T0 + 5 * MINUTE,
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
    async function freshDatabase(options?: OpenDatabaseOptions): Promise<OpenDatabase> {
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
      return opened;
    }

    async function userWithSession(database: OpenDatabase, sessionOverrides: Partial<NewSession> = {}) {
      const user = newUser();
      expect(await database.store.users.insert(user)).toBe(true);
      const session = newSession(user.id, sessionOverrides);
      await database.store.sessions.insert(session);
      return { user, session };
    }

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
          createdAt: T0 + 10,
          lastUsedAt: T0 + 20,
          idleTimeoutMs: 30 * DAY,
          absoluteExpiresAt: T0 + 90 * DAY,
        });
        const plain = newSession(user.id, { ip: null, userAgent: null });
        await store.sessions.insert(pending);
        await store.sessions.insert(plain);

        const { passwordHash: _passwordHash, ...publicUser } = user;
        const found = await store.sessions.findWithUserByTokenHash(pending.tokenHash);
        expect(found).toEqual({ session: withoutHash(pending), user: publicUser });
        expect(found?.session.secondFactorPending).toBe(true);
        for (const value of [
          found?.session.createdAt,
          found?.session.lastUsedAt,
          found?.session.idleTimeoutMs,
          found?.session.absoluteExpiresAt,
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
        await store.sessions.touch(session.id, T0 + 5 * MINUTE, T0);
        expect((await store.sessions.findById(session.id))?.lastUsedAt).toBe(T0);

        // last_used_at < notBefore: written.
        await store.sessions.touch(session.id, T0 + 2 * MINUTE, T0 + 1);
        expect((await store.sessions.findById(session.id))?.lastUsedAt).toBe(T0 + 2 * MINUTE);

        // last_used_at > notBefore: not written, even with a later `now`.
        await store.sessions.touch(session.id, T0 + 10 * MINUTE, T0 + MINUTE);
        expect((await store.sessions.findById(session.id))?.lastUsedAt).toBe(T0 + 2 * MINUTE);

        // Touching an unknown session is harmless.
        await expect(store.sessions.touch("ses_unknown", T0, T0 + 1)).resolves.toBeUndefined();
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

        const deleted = await store.sessions.deleteAllForUser(user.id, current.id);
        expect([...deleted].sort()).toEqual([second.id, third.id].sort());
        expect(await store.sessions.listByUser(user.id)).toEqual([withoutHash(current)]);
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

    describe("handoffs", () => {
      it("isPending reads whether a live record exists, in and out of a transaction", async () => {
        const { store } = await freshDatabase();
        const handoff = newHandoff({ expiresAt: T0 + MINUTE });
        expect(await store.handoffs.isPending(handoff.nonceHash, T0)).toBe(false);
        await store.handoffs.insertIfAbsent(handoff, T0);
        expect(await store.handoffs.isPending(handoff.nonceHash, T0 + MINUTE - 1)).toBe(true);
        expect(await store.handoffs.isPending(handoff.nonceHash, T0 + MINUTE)).toBe(false);
        expect(await store.transaction((inner) => inner.handoffs.isPending(handoff.nonceHash, T0))).toBe(true);
        await store.handoffs.consume(handoff.nonceHash, T0);
        expect(await store.handoffs.isPending(handoff.nonceHash, T0)).toBe(false);
      });

      it("insertIfAbsent: the first writer wins while the record is live", async () => {
        const { store } = await freshDatabase();
        const first = newHandoff();
        const second = newHandoff({ nonceHash: first.nonceHash, state: "denied", createdAt: T0 + 1, expiresAt: T0 + 2 * MINUTE });

        expect(await store.handoffs.insertIfAbsent(first, T0)).toBe(true);
        expect(await store.handoffs.insertIfAbsent(second, T0 + MINUTE - 1)).toBe(false);
        expect(await store.handoffs.findLive(first.nonceHash, T0)).toEqual(first);
      });

      it("insertIfAbsent replaces an expired record", async () => {
        const { store } = await freshDatabase();
        const stale = newHandoff({ expiresAt: T0 + MINUTE });
        await store.handoffs.insertIfAbsent(stale, T0);
        const fresh = newHandoff({ nonceHash: stale.nonceHash, state: "denied", createdAt: T0 + MINUTE, expiresAt: T0 + 2 * MINUTE });

        expect(await store.handoffs.insertIfAbsent(fresh, T0 + MINUTE)).toBe(true);
        expect(await store.handoffs.findLive(stale.nonceHash, T0 + MINUTE)).toEqual(fresh);
      });

      it("findLive ignores an expired record and an unknown hash", async () => {
        const { store } = await freshDatabase();
        const handoff = newHandoff();
        await store.handoffs.insertIfAbsent(handoff, T0);

        expect(await store.handoffs.findLive(handoff.nonceHash, handoff.expiresAt - 1)).toEqual(handoff);
        expect(await store.handoffs.findLive(handoff.nonceHash, handoff.expiresAt)).toBeNull();
        expect(await store.handoffs.findLive("unknown", T0)).toBeNull();
      });

      it("denyParked turns the parker's own parked record into a denied one", async () => {
        const { store } = await freshDatabase();
        const handoff = newHandoff();
        await store.handoffs.insertIfAbsent(handoff, T0);

        expect(await store.handoffs.denyParked(handoff.nonceHash, "usr_someone_else", T0 + 1, T0 + 5 * MINUTE)).toBe(false);
        expect(await store.handoffs.findLive(handoff.nonceHash, T0 + 1)).toEqual(handoff);

        expect(await store.handoffs.denyParked(handoff.nonceHash, handoff.userId, T0 + 1, T0 + 5 * MINUTE)).toBe(true);
        expect(await store.handoffs.findLive(handoff.nonceHash, T0 + 2 * MINUTE)).toEqual({
          ...handoff,
          state: "denied",
          expiresAt: T0 + 5 * MINUTE,
        });

        // Only a parked record can be denied: a denied one stays as it is.
        expect(await store.handoffs.denyParked(handoff.nonceHash, handoff.userId, T0 + 2, T0 + 9 * MINUTE)).toBe(false);
        expect((await store.handoffs.findLive(handoff.nonceHash, T0 + 2))?.expiresAt).toBe(T0 + 5 * MINUTE);
      });

      it("denyParked does not touch an expired or unknown record", async () => {
        const { store } = await freshDatabase();
        const handoff = newHandoff();
        await store.handoffs.insertIfAbsent(handoff, T0);

        expect(await store.handoffs.denyParked(handoff.nonceHash, handoff.userId, handoff.expiresAt, T0 + 5 * MINUTE)).toBe(false);
        expect(await store.handoffs.findLive(handoff.nonceHash, handoff.expiresAt - 1)).toEqual(handoff);
        expect(await store.handoffs.denyParked("unknown", handoff.userId, T0, T0 + MINUTE)).toBe(false);
      });

      it("consume returns the live record once, then null", async () => {
        const { store } = await freshDatabase();
        const handoff = newHandoff();
        await store.handoffs.insertIfAbsent(handoff, T0);

        expect(await store.handoffs.consume(handoff.nonceHash, T0 + 1)).toEqual(handoff);
        expect(await store.handoffs.consume(handoff.nonceHash, T0 + 2)).toBeNull();
        expect(await store.handoffs.findLive(handoff.nonceHash, T0 + 2)).toBeNull();
      });

      it("consume hands back a denied record too, with its state", async () => {
        const { store } = await freshDatabase();
        const denied = newHandoff({ state: "denied" });
        await store.handoffs.insertIfAbsent(denied, T0);
        expect(await store.handoffs.consume(denied.nonceHash, T0 + 1)).toEqual(denied);
        expect(await store.handoffs.consume(denied.nonceHash, T0 + 1)).toBeNull();
      });

      it("consume answers null for an expired record", async () => {
        const { store } = await freshDatabase();
        const handoff = newHandoff();
        await store.handoffs.insertIfAbsent(handoff, T0);

        expect(await store.handoffs.consume(handoff.nonceHash, handoff.expiresAt)).toBeNull();
        expect(await store.handoffs.consume("unknown", T0)).toBeNull();
        // The expired miss did not delete a record that is still live at an earlier time.
        expect(await store.handoffs.consume(handoff.nonceHash, handoff.expiresAt - 1)).toEqual(handoff);
      });

      it("deleteParkedBySessions deletes parked records of those sessions and leaves denied ones", async () => {
        const { store } = await freshDatabase();
        const parkedByA = newHandoff({ sessionId: "ses_a" });
        const parkedByB = newHandoff({ sessionId: "ses_b" });
        const deniedByA = newHandoff({ sessionId: "ses_a", state: "denied" });
        const parkedByC = newHandoff({ sessionId: "ses_c" });
        for (const handoff of [parkedByA, parkedByB, deniedByA, parkedByC]) await store.handoffs.insertIfAbsent(handoff, T0);

        expect(await store.handoffs.deleteParkedBySessions([])).toBe(0);
        expect(await store.handoffs.deleteParkedBySessions(["ses_a", "ses_b"])).toBe(2);
        expect(await store.handoffs.findLive(parkedByA.nonceHash, T0)).toBeNull();
        expect(await store.handoffs.findLive(parkedByB.nonceHash, T0)).toBeNull();
        expect(await store.handoffs.findLive(deniedByA.nonceHash, T0)).toEqual(deniedByA);
        expect(await store.handoffs.findLive(parkedByC.nonceHash, T0)).toEqual(parkedByC);
      });

      it("deleteParkedByUser deletes the user's parked records and leaves denied ones", async () => {
        const { store } = await freshDatabase();
        const parked = newHandoff({ userId: "usr_a" });
        const parkedToo = newHandoff({ userId: "usr_a", sessionId: "ses_other" });
        const denied = newHandoff({ userId: "usr_a", state: "denied" });
        const strangers = newHandoff({ userId: "usr_b" });
        for (const handoff of [parked, parkedToo, denied, strangers]) await store.handoffs.insertIfAbsent(handoff, T0);

        expect(await store.handoffs.deleteParkedByUser("usr_a")).toBe(2);
        expect(await store.handoffs.findLive(parked.nonceHash, T0)).toBeNull();
        expect(await store.handoffs.findLive(parkedToo.nonceHash, T0)).toBeNull();
        expect(await store.handoffs.findLive(denied.nonceHash, T0)).toEqual(denied);
        expect(await store.handoffs.findLive(strangers.nonceHash, T0)).toEqual(strangers);
      });

      it("deleteExpired removes only records at or past their end", async () => {
        const { store } = await freshDatabase();
        const ended = newHandoff({ expiresAt: T0 + MINUTE });
        const live = newHandoff({ expiresAt: T0 + MINUTE + 1 });
        await store.handoffs.insertIfAbsent(ended, T0);
        await store.handoffs.insertIfAbsent(live, T0);

        expect(await store.handoffs.deleteExpired(T0 + MINUTE)).toBe(1);
        expect(await store.handoffs.consume(ended.nonceHash, T0)).toBeNull();
        expect(await store.handoffs.consume(live.nonceHash, T0)).toEqual(live);
      });
    });

    describe("paste codes", () => {
      it("isPending reads whether a live code exists", async () => {
        const { store } = await freshDatabase();
        const code = newPasteCode();
        expect(await store.pasteCodes.isPending(code.codeHash, T0)).toBe(false);
        await store.pasteCodes.insert(code);
        expect(await store.pasteCodes.isPending(code.codeHash, T0 + 1)).toBe(true);
        expect(await store.pasteCodes.isPending(code.codeHash, code.expiresAt)).toBe(false);
        expect(await store.transaction((inner) => inner.pasteCodes.isPending(code.codeHash, T0 + 1))).toBe(true);
      });

      it("consume returns the live code once, then null", async () => {
        const { store } = await freshDatabase();
        const code = newPasteCode();
        await store.pasteCodes.insert(code);

        expect(await store.pasteCodes.consume(code.codeHash, T0 + 1)).toEqual(code);
        expect(await store.pasteCodes.consume(code.codeHash, T0 + 2)).toBeNull();
        expect(await store.pasteCodes.consume("unknown", T0)).toBeNull();
      });

      it("consume answers null once the code has expired", async () => {
        const { store } = await freshDatabase();
        const code = newPasteCode();
        await store.pasteCodes.insert(code);

        expect(await store.pasteCodes.consume(code.codeHash, code.expiresAt)).toBeNull();
        expect(await store.pasteCodes.consume(code.codeHash, code.expiresAt + DAY)).toBeNull();
        expect(await store.pasteCodes.consume(code.codeHash, code.expiresAt - 1)).toEqual(code);
      });

      it("deleteBySessions deletes the codes those sessions made", async () => {
        const { store } = await freshDatabase();
        const byA = newPasteCode({ sessionId: "ses_a" });
        const byAToo = newPasteCode({ sessionId: "ses_a" });
        const byB = newPasteCode({ sessionId: "ses_b" });
        const byC = newPasteCode({ sessionId: "ses_c" });
        for (const code of [byA, byAToo, byB, byC]) await store.pasteCodes.insert(code);

        expect(await store.pasteCodes.deleteBySessions([])).toBe(0);
        expect(await store.pasteCodes.deleteBySessions(["ses_a", "ses_b"])).toBe(3);
        for (const gone of [byA, byAToo, byB]) expect(await store.pasteCodes.consume(gone.codeHash, T0)).toBeNull();
        expect(await store.pasteCodes.consume(byC.codeHash, T0)).toEqual(byC);
      });

      it("deleteByUser deletes the user's codes only", async () => {
        const { store } = await freshDatabase();
        const mine = newPasteCode({ userId: "usr_a" });
        const mineToo = newPasteCode({ userId: "usr_a" });
        const theirs = newPasteCode({ userId: "usr_b" });
        for (const code of [mine, mineToo, theirs]) await store.pasteCodes.insert(code);

        expect(await store.pasteCodes.deleteByUser("usr_a")).toBe(2);
        expect(await store.pasteCodes.consume(mine.codeHash, T0)).toBeNull();
        expect(await store.pasteCodes.consume(mineToo.codeHash, T0)).toBeNull();
        expect(await store.pasteCodes.consume(theirs.codeHash, T0)).toEqual(theirs);
        expect(await store.pasteCodes.deleteByUser("usr_a")).toBe(0);
      });

      it("deleteExpired removes only codes at or past their end", async () => {
        const { store } = await freshDatabase();
        const ended = newPasteCode({ expiresAt: T0 + MINUTE });
        const live = newPasteCode({ expiresAt: T0 + MINUTE + 1 });
        await store.pasteCodes.insert(ended);
        await store.pasteCodes.insert(live);

        expect(await store.pasteCodes.deleteExpired(T0 + MINUTE)).toBe(1);
        expect(await store.pasteCodes.consume(ended.codeHash, T0)).toBeNull();
        expect(await store.pasteCodes.consume(live.codeHash, T0)).toEqual(live);
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
        const handoff = newHandoff({ userId: user.id, sessionId: session.id });
        const code = newPasteCode({ userId: user.id, sessionId: session.id });
        const event = auditEvent({ actorUserId: user.id });
        const failure = new Error("work failed half-way");

        await expect(
          store.transaction(async (trx) => {
            expect(await trx.users.insert(user)).toBe(true);
            await trx.sessions.insert(session);
            expect(await trx.handoffs.insertIfAbsent(handoff, T0)).toBe(true);
            await trx.pasteCodes.insert(code);
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
        expect(await store.handoffs.findLive(handoff.nonceHash, T0)).toBeNull();
        expect(await store.pasteCodes.consume(code.codeHash, T0)).toBeNull();
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

      it(`of ${ATTEMPTS} concurrent handoff consumes exactly one gets the record`, async () => {
        const { store } = await concurrentDatabase();
        const handoff = newHandoff();
        expect(await store.handoffs.insertIfAbsent(handoff, T0)).toBe(true);

        const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => store.handoffs.consume(handoff.nonceHash, T0 + 1)));
        const winners = results.filter((result) => result !== null);
        expect(winners).toEqual([handoff]);
        expect(await store.handoffs.findLive(handoff.nonceHash, T0 + 1)).toBeNull();
      });

      it(`of ${ATTEMPTS} concurrent paste-code consumes exactly one gets the code`, async () => {
        const { store } = await concurrentDatabase();
        const code = newPasteCode();
        await store.pasteCodes.insert(code);

        const results = await Promise.all(Array.from({ length: ATTEMPTS }, () => store.pasteCodes.consume(code.codeHash, T0 + 1)));
        const winners = results.filter((result) => result !== null);
        expect(winners).toEqual([code]);
        expect(await store.pasteCodes.consume(code.codeHash, T0 + 1)).toBeNull();
      });

      it(`of ${ATTEMPTS} concurrent consumes inside transactions exactly one gets the record`, async () => {
        const { store } = await concurrentDatabase();
        const handoff = newHandoff();
        await store.handoffs.insertIfAbsent(handoff, T0);

        // The claim path: consume, then more writes, in one transaction per attempt.
        const results = await Promise.all(
          Array.from({ length: ATTEMPTS }, (_, index) =>
            store.transaction(async (trx) => {
              const consumed = await trx.handoffs.consume(handoff.nonceHash, T0 + 1);
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
