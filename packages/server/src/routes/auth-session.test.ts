/** Sessions through HTTP: the check, expiry, listing, revocation, logout and sign-up/sign-in. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createSession } from "../auth/sessions.js";
import { hashSecret } from "../auth/tokens.js";
import { createTestServer, signUp, type TestServer } from "../test-support/harness.js";

reportSkippedPostgres();

const DAY = 24 * 60 * 60 * 1000;

describe.each(databaseTargets)("sessions on $kind", (target) => {
  let server: TestServer;
  beforeEach(async () => {
    if (target.available) server = await createTestServer(await target.create());
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  describe.skipIf(!target.available)("the session check", () => {
    it("describes the session and its user", async () => {
      const { token, email } = await signUp(server, "Ada@Example.COM");
      const response = await server.request("/api/v0/auth/session", { token });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { user: Record<string, unknown>; session: Record<string, unknown> };
      expect(body.user).toEqual({ id: expect.stringMatching(/^usr_/), email: email.toLowerCase(), name: null, email_verified: false });
      expect(body.session).toMatchObject({ id: expect.stringMatching(/^ses_/), kind: "web", parent_session_id: null });
      expect(JSON.stringify(body)).not.toContain(token);
    });

    it("answers 401 with WWW-Authenticate for missing, malformed and unknown tokens", async () => {
      const cases: Array<Record<string, string>> = [
        {},
        { authorization: "Bearer" },
        { authorization: "Basic YWRhOnBhc3M=" },
        { authorization: `Bearer hmt_${"A".repeat(43)}` },
        { authorization: "Bearer not-a-token" },
      ];
      for (const headers of cases) {
        const response = await server.request("/api/v0/auth/session", { headers });
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      }
    });

    it("accepts the scheme in any case", async () => {
      const { token } = await signUp(server);
      expect((await server.request("/api/v0/auth/session", { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
    });

    it("ignores a token in the query string or a form body", async () => {
      const { token } = await signUp(server);
      expect((await server.request(`/api/v0/auth/session?access_token=${token}`)).status).toBe(401);
      const form = await server.request("/api/v0/auth/cli/code", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `access_token=${token}`,
      });
      expect(form.status).toBe(401);
    });

    it("enforces the idle timeout on the server", async () => {
      const { token } = await signUp(server);
      server.clock.advance(7 * DAY - 1);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(200);
      server.clock.advance(7 * DAY - 1);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(200);
      server.clock.advance(7 * DAY);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
    });

    it("enforces the absolute lifetime even for a session in constant use", async () => {
      const { token } = await signUp(server);
      for (let day = 0; day < 29; day++) {
        server.clock.advance(DAY);
        expect((await server.request("/api/v0/auth/session", { token })).status).toBe(200);
      }
      server.clock.advance(DAY);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
    });

    it("keeps a session in use alive when the idle timeout is shorter than a minute", async () => {
      const shortIdle = await createTestServer(await target.create(), { HARMONT_WEB_SESSION_IDLE: "8s" });
      try {
        const { token } = await signUp(shortIdle);
        for (let use = 0; use < 6; use++) {
          shortIdle.clock.advance(3000);
          expect((await shortIdle.request("/api/v0/auth/session", { token })).status).toBe(200);
        }
        shortIdle.clock.advance(8000);
        expect((await shortIdle.request("/api/v0/auth/session", { token })).status).toBe(401);
      } finally {
        await shortIdle.close();
      }
    });

    it("writes last_used_at at most once a minute", async () => {
      const { token } = await signUp(server);
      const read = async () =>
        ((await (await server.request("/api/v0/auth/session", { token })).json()) as { session: { last_used_at: string } }).session.last_used_at;
      const first = await read();
      server.clock.advance(30_000);
      expect(await read()).toBe(first);
      server.clock.advance(31_000);
      expect(Date.parse(await read())).toBe(server.clock.now());
    });
  });

  describe.skipIf(!target.available)("sign-up and sign-in", () => {
    it("gives a new token at every sign-in, and one email is one account whatever its case", async () => {
      const { password } = await signUp(server, "alice@example.com");
      const tokens = new Set<string>();
      for (const email of ["alice@example.com", "ALICE@Example.com", "  alice@example.com "]) {
        const response = await server.request("/api/v0/auth/login", { json: { email, password } });
        expect(response.status).toBe(200);
        tokens.add(((await response.json()) as { token: string }).token);
      }
      expect(tokens.size).toBe(3);
      const duplicate = await server.request("/api/v0/auth/signup", { json: { email: "Alice@Example.com", password } });
      expect(duplicate.status).toBe(409);
      expect(((await duplicate.json()) as { error: { code: string } }).error.code).toBe("email_taken");
    });

    it("answers a wrong password and an unknown email alike", async () => {
      const { email } = await signUp(server);
      const wrong = await server.request("/api/v0/auth/login", { json: { email, password: "not the password" } });
      const unknown = await server.request("/api/v0/auth/login", { json: { email: "nobody@example.com", password: "not the password" } });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const strip = async (response: Response) => {
        const body = (await response.json()) as { error: Record<string, string> };
        return { ...body.error, request_id: undefined };
      };
      expect(await strip(wrong)).toEqual(await strip(unknown));
    });

    it("refuses passwords shorter than 8 characters", async () => {
      const response = await server.request("/api/v0/auth/signup", { json: { email: "short@example.com", password: "1234567" } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("password_rejected");
    });
  });

  describe.skipIf(!target.available)("browser sessions opened from another session", () => {
    /** A session of `kind` made from the session of `parentToken`, as a support session or `harmont open` makes one. */
    async function childOf(parentToken: string, kind: "web" | "cli") {
      const found = await server.database.store.sessions.findWithUserByTokenHash(hashSecret(parentToken));
      const { token, session } = await createSession(
        { store: server.database.store, clock: server.clock, lifetimes: server.config.lifetimes },
        { user: found!.user, kind, name: `${kind} child`, parentSessionId: found!.session.id, authenticatedAt: null, mfaVerifiedAt: null, orgId: null, meta: { ip: null, userAgent: null, requestId: null, actor: null } },
      );
      return { token, id: session.id };
    }
    const live = async (token: string) => (await server.request("/api/v0/auth/session", { token })).status === 200;

    it("die with their parent on every revocation path, two generations down; CLI children stay", async () => {
      // Each path, and whether the parent's CLI child outlives it (signing out everywhere takes every session).
      const paths: Array<[(token: string, id: string) => Promise<unknown>, boolean]> = [
        [(token) => server.request("/api/v0/auth/logout", { token, method: "POST" }), true],
        [async (_token, id) => {
          const other = await server.request("/api/v0/auth/login", { json: { email: account.email, password: account.password } });
          const { token: otherToken } = (await other.json()) as { token: string };
          return server.request(`/api/v0/auth/sessions/${id}`, { token: otherToken, method: "DELETE" });
        }, true],
        [async () => {
          const other = await server.request("/api/v0/auth/login", { json: { email: account.email, password: account.password } });
          const { token: otherToken } = (await other.json()) as { token: string };
          return server.request("/api/v0/auth/logout-all", { token: otherToken, method: "POST" });
        }, false],
      ];
      const account = await signUp(server);
      for (const [revoke, cliSurvives] of paths) {
        const parent = await server.request("/api/v0/auth/login", { json: { email: account.email, password: account.password } });
        const { token } = (await parent.json()) as { token: string };
        const parentId = (await server.database.store.sessions.findWithUserByTokenHash(hashSecret(token)))!.session.id;
        const browser = await childOf(token, "web");
        const grandchild = await childOf(browser.token, "web");
        const cli = await childOf(token, "cli");
        expect([await live(browser.token), await live(grandchild.token), await live(cli.token)]).toEqual([true, true, true]);
        await revoke(token, parentId);
        expect([await live(token), await live(browser.token), await live(grandchild.token), await live(cli.token)]).toEqual([false, false, false, cliSurvives]);
      }
    });
  });

  describe.skipIf(!target.available)("listing and revoking", () => {
    it("lists my sessions with the current one marked and no secrets", async () => {
      const { token, email, password } = await signUp(server);
      await server.request("/api/v0/auth/login", { json: { email, password } });
      const response = await server.request("/api/v0/auth/sessions", { token });
      expect(response.status).toBe(200);
      const { sessions } = (await response.json()) as { sessions: Array<{ id: string; current: boolean }> };
      expect(sessions).toHaveLength(2);
      expect(sessions.filter((session) => session.current)).toHaveLength(1);
      const text = JSON.stringify(sessions);
      expect(text).not.toContain("hmt_");
      expect(text).not.toContain("hash");
    });

    it("revokes my own session by id; another user's id is 404 and theirs keeps working", async () => {
      const alice = await signUp(server);
      const second = (await (await server.request("/api/v0/auth/login", { json: { email: alice.email, password: alice.password } })).json()) as {
        token: string;
      };
      const bob = await signUp(server);
      const bobSession = ((await (await server.request("/api/v0/auth/session", { token: bob.token })).json()) as { session: { id: string } }).session;
      const secondSession = ((await (await server.request("/api/v0/auth/session", { token: second.token })).json()) as { session: { id: string } })
        .session;

      const foreign = await server.request(`/api/v0/auth/sessions/${bobSession.id}`, { method: "DELETE", token: alice.token });
      expect(foreign.status).toBe(404);
      expect((await server.request("/api/v0/auth/session", { token: bob.token })).status).toBe(200);

      expect((await server.request(`/api/v0/auth/sessions/${secondSession.id}`, { method: "DELETE", token: alice.token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: second.token })).status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(200);
      expect((await server.request("/api/v0/auth/sessions/ses_unknown", { method: "DELETE", token: alice.token })).status).toBe(404);
    });

    it("logout revokes only that session and is idempotent", async () => {
      const { token, email, password } = await signUp(server);
      const other = ((await (await server.request("/api/v0/auth/login", { json: { email, password } })).json()) as { token: string }).token;
      const first = await server.request("/api/v0/auth/logout", { method: "POST", token });
      expect(first.status).toBe(204);
      expect(await first.text()).toBe("");
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
      expect((await server.request("/api/v0/auth/logout", { method: "POST", token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/logout", { method: "POST", token: `hmt_${"Z".repeat(43)}` })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: other })).status).toBe(200);
    });

    it("logout without a well-formed bearer is 401", async () => {
      expect((await server.request("/api/v0/auth/logout", { method: "POST" })).status).toBe(401);
      expect((await server.request("/api/v0/auth/logout", { method: "POST", token: "hmt_short" })).status).toBe(401);
      expect((await server.request("/api/v0/auth/logout", { method: "POST", headers: { authorization: "Token abc" } })).status).toBe(401);
    });

    it("revoking the CLI token leaves the browser session working, and the reverse", async () => {
      const browser = await signUp(server);
      const mintCli = async () => {
        const { code } = (await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token })).json()) as { code: string };
        return ((await (await server.request("/api/v0/auth/cli/redeem", { json: { code } })).json()) as { token: string }).token;
      };
      const cli = await mintCli();
      await server.request("/api/v0/auth/logout", { method: "POST", token: cli });
      expect((await server.request("/api/v0/auth/session", { token: browser.token })).status).toBe(200);
      const cli2 = await mintCli();
      await server.request("/api/v0/auth/logout", { method: "POST", token: browser.token });
      expect((await server.request("/api/v0/auth/session", { token: cli2 })).status).toBe(200);
    });

    it("sign out everywhere kills every token of the user, and only theirs", async () => {
      const alice = await signUp(server);
      const other = ((await (await server.request("/api/v0/auth/login", { json: { email: alice.email, password: alice.password } })).json()) as {
        token: string;
      }).token;
      const bob = await signUp(server);
      expect((await server.request("/api/v0/auth/logout-all", { method: "POST", token: alice.token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token: other })).status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token: bob.token })).status).toBe(200);
    });

    it("records sign-ins, failures, handoffs and revocations in the audit log with request id and IP", async () => {
      const alice = await signUp(server);
      await server.request("/api/v0/auth/login", { json: { email: alice.email, password: "wrong password!" }, ip: "203.0.113.7" });
      await server.request("/api/v0/auth/logout", { method: "POST", token: alice.token, headers: { "x-request-id": "audit-test-request-0001" } });
      const events = await server.database.store.audit.list({ actorUserId: alice.user.id });
      // The fake clock stands still, so events share a time: compare them by action.
      const byAction = new Map(events.map((event) => [event.action, event]));
      expect([...byAction.keys()].sort()).toEqual(["auth.login.failed", "session.logout", "user.signed_up"]);
      expect(byAction.get("auth.login.failed")).toMatchObject({ ip: "203.0.113.7", requestId: expect.stringMatching(/^req_/) });
      expect(byAction.get("session.logout")).toMatchObject({ requestId: "audit-test-request-0001", target: expect.stringMatching(/^ses_/) });
    });
  });
});
