/**
 * Revocation races, on SQLite and PostgreSQL: a stolen session token looping paste codes and
 * handoffs while the owner revokes it, signs out everywhere or changes the password, and
 * sign-ins with the old password in flight during a password change. Whatever the timing,
 * nothing made from the revoked state may work once the revocation has returned.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signInWithPassword } from "../auth/accounts.js";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServer, signUp, type TestServer } from "../test-support/harness.js";

reportSkippedPostgres();

const ROUNDS = 4;
const LOOPS = 6;
const password = "correct horse battery staple";

describe.each(databaseTargets)("revocation races on $kind", (target) => {
  let server: TestServer;
  beforeEach(async () => {
    if (target.available) {
      server = await createTestServer(await target.create(), {
        HARMONT_LIMIT_CLI_PER_IP: "0",
        HARMONT_LIMIT_LOGIN_PER_IP: "0",
        HARMONT_LIMIT_LOGIN_FAILURES: "100",
      });
    }
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  const json = async <T>(response: Response) => (await response.json()) as T;

  async function signIn(email: string, pass = password): Promise<Response> {
    return server.request("/api/v0/auth/login", { json: { email, password: pass } });
  }

  /**
   * What a thief does with a stolen token until it stops working: mint paste codes and redeem
   * them, transfer nonces and claim them. Returns every CLI token and every unredeemed code.
   */
  async function plunder(stolen: string, stop: { done: boolean }) {
    const tokens: string[] = [];
    const codes: string[] = [];
    const loop = async (index: number) => {
      for (let step = 0; step < 200 && !stop.done; step++) {
        // Yield to timers and I/O each step: SQLite answers without ever leaving the microtask
        // queue, and the owner's request must get a turn in the middle of the loop.
        await new Promise((resolve) => setImmediate(resolve));
        if ((index + step) % 2 === 0) {
          const minted = await server.request("/api/v0/auth/cli/code", { method: "POST", token: stolen });
          if (minted.status === 401) return;
          expect(minted.status).toBe(200);
          const { code } = await json<{ code: string }>(minted);
          const redeemed = await server.request("/api/v0/auth/cli/redeem", { json: { code } });
          expect([200, 400]).toContain(redeemed.status);
          if (redeemed.status === 200) tokens.push((await json<{ token: string }>(redeemed)).token);
          else codes.push(code);
        } else {
          const nonce = randomBytes(32).toString("base64url");
          const parked = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: stolen });
          if (parked.status === 401) return;
          expect(parked.status).toBe(204);
          const claimed = await server.request("/api/v0/auth/cli/claim", { json: { nonce } });
          expect([200, 400]).toContain(claimed.status);
          if (claimed.status === 200) tokens.push((await json<{ token: string }>(claimed)).token);
        }
      }
    };
    return { run: Promise.all(Array.from({ length: LOOPS }, (_, index) => loop(index))), tokens, codes };
  }

  /** Waits until the thief has got `count` CLI sessions, so the revocation lands mid-loop. */
  async function untilLooted(thief: { tokens: string[] }, count: number) {
    for (let wait = 0; wait < 2000 && thief.tokens.length < count; wait++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(thief.tokens.length).toBeGreaterThanOrEqual(count);
  }

  async function sessionsOf(userId: string) {
    return server.database.db.selectFrom("sessions").select(["id", "kind"]).where("user_id", "=", userId).execute();
  }

  async function grantsOf(userId: string) {
    return server.database.db.selectFrom("grants").select(["kind", "session_id"]).where("user_id", "=", userId).execute();
  }

  async function expectAllRefused(tokens: string[], codes: string[]) {
    for (const token of tokens) expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
    for (const code of codes) expect((await server.request("/api/v0/auth/cli/redeem", { json: { code } })).status).toBe(400);
  }

  describe.skipIf(!target.available)("a stolen token looping CLI logins", () => {
    it("leaves nothing working once the owner signs out everywhere", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const alice = await signUp(server, `alice-${round}@example.com`);
        const owner = await json<{ token: string }>(await signIn(alice.email));
        const stop = { done: false };
        const thief = await plunder(alice.token, stop);
        await untilLooted(thief, 2 + round * 3);
        expect((await server.request("/api/v0/auth/logout-all", { method: "POST", token: owner.token })).status).toBe(204);
        await thief.run;
        stop.done = true;
        // The revocation landed while the loops were still going.
        expect(thief.tokens.length).toBeLessThan(LOOPS * 100);

        expect(await sessionsOf(alice.user.id)).toEqual([]);
        expect(await grantsOf(alice.user.id)).toEqual([]);
        await expectAllRefused(thief.tokens, thief.codes);
      }
    });

    it("leaves nothing working but the changer's session once the owner changes the password", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const alice = await signUp(server, `bob-${round}@example.com`);
        const owner = await json<{ token: string }>(await signIn(alice.email));
        const stop = { done: false };
        const thief = await plunder(alice.token, stop);
        await untilLooted(thief, 2 + round * 3);
        const changed = await server.request("/api/v0/auth/password", {
          json: { current_password: password, new_password: `a new passphrase ${round}7731` },
          token: owner.token,
        });
        expect(changed.status).toBe(204);
        await thief.run;
        stop.done = true;
        // The revocation landed while the loops were still going.
        expect(thief.tokens.length).toBeLessThan(LOOPS * 100);

        const left = await sessionsOf(alice.user.id);
        expect(left).toHaveLength(1);
        expect((await server.request("/api/v0/auth/session", { token: owner.token })).status).toBe(200);
        expect(await grantsOf(alice.user.id)).toEqual([]);
        await expectAllRefused(thief.tokens, thief.codes);
      }
    });

    it("leaves no grant of the revoked session, and none of its codes redeemable, once it is revoked", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const alice = await signUp(server, `carol-${round}@example.com`);
        const owner = await json<{ token: string }>(await signIn(alice.email));
        const stolenId = (await json<{ session: { id: string } }>(await server.request("/api/v0/auth/session", { token: alice.token }))).session.id;
        const stop = { done: false };
        const thief = await plunder(alice.token, stop);
        await untilLooted(thief, 2 + round * 3);
        expect((await server.request(`/api/v0/auth/sessions/${stolenId}`, { method: "DELETE", token: owner.token })).status).toBe(204);
        await thief.run;
        stop.done = true;
        // The revocation landed while the loops were still going.
        expect(thief.tokens.length).toBeLessThan(LOOPS * 100);

        const grants = await grantsOf(alice.user.id);
        expect(grants.filter((grant) => grant.session_id === stolenId)).toEqual([]);
        for (const code of thief.codes) expect((await server.request("/api/v0/auth/cli/redeem", { json: { code } })).status).toBe(400);
        expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(401);
      }
    });
  });

  describe.skipIf(!target.available)("a password change with sign-ins in flight", () => {
    it("refuses a sign-in whose old password was checked before the change and whose session would come after", async () => {
      const alice = await signUp(server, "erin@example.com");
      const real = server.deps.auth.passwords;
      let checked!: () => void;
      const passwordChecked = new Promise<void>((resolve) => (checked = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      // A hasher whose check of Alice's old password pauses after it has succeeded.
      const paused = {
        ...real,
        verify: async (hash: string, typed: string) => {
          const matches = await real.verify(hash, typed);
          checked();
          await released;
          return matches;
        },
      };
      const meta = { ip: null, userAgent: null, requestId: null, actor: null };
      const inFlight = signInWithPassword({ ...server.deps.auth, passwords: paused }, { email: alice.email, password }, meta);
      await passwordChecked;
      const changed = await server.request("/api/v0/auth/password", {
        json: { current_password: password, new_password: "a replacement passphrase 8812" },
        token: alice.token,
      });
      expect(changed.status).toBe(204);
      release();
      expect(await inFlight).toEqual({ ok: false, failure: "invalid_credentials" });
      expect(await sessionsOf(alice.user.id)).toHaveLength(1);
    });

    it("leaves no session made with the old password", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const alice = await signUp(server, `dave-${round}@example.com`);
        const attempts = Array.from({ length: 4 }, (_, index) =>
          new Promise((resolve) => setTimeout(resolve, index * 15)).then(() => signIn(alice.email)),
        );
        await new Promise((resolve) => setTimeout(resolve, 10 + round * 10));
        const changed = await server.request("/api/v0/auth/password", {
          json: { current_password: password, new_password: `another passphrase ${round}5521` },
          token: alice.token,
        });
        expect(changed.status).toBe(204);
        const answers = await Promise.all(attempts);
        const tokens: string[] = [];
        for (const answer of answers) {
          expect([200, 401, 503]).toContain(answer.status);
          if (answer.status === 200) tokens.push((await json<{ token: string }>(answer)).token);
        }
        // Only the session that changed the password is left; every old-password sign-in is gone.
        expect(await sessionsOf(alice.user.id)).toHaveLength(1);
        await expectAllRefused(tokens, []);
      }
    });
  });
});
