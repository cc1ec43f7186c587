/** API tokens through HTTP: made once, read like a session, refused where they may not act, revoked. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServerWithMail, signUp, type TestServer, errorCode } from "../test-support/harness.js";
import type { TestSmtpServer } from "../test-support/smtp.js";

reportSkippedPostgres();

const DAY = 24 * 60 * 60 * 1000;

interface CreatedToken {
  token: string;
  api_token: { id: string; name: string; created_at: string; last_used_at: string; expires_at: string | null };
}

describe.each(databaseTargets)("API tokens on $kind", (target) => {
  let server: TestServer & { smtp: TestSmtpServer };
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create());
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  async function makeToken(sessionToken: string, body: unknown = { name: "CI deploy", expires_in_days: 30 }) {
    const response = await server.request("/api/v0/auth/tokens", { token: sessionToken, json: body });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    return (await response.json()) as CreatedToken;
  }

  describe.skipIf(!target.available)("making and using one", () => {
    it("answers an hma_ token once, which then authenticates the session check and the user", async () => {
      const { token: sessionToken, email } = await signUp(server);
      const created = await makeToken(sessionToken);
      expect(created.token).toMatch(/^hma_[A-Za-z0-9_-]{43}$/);
      expect(created.api_token).toMatchObject({ id: expect.stringMatching(/^tok_/), name: "CI deploy" });
      expect(Date.parse(created.api_token.expires_at!) - Date.parse(created.api_token.created_at)).toBe(30 * DAY);

      const check = await server.request("/api/v0/auth/session", { token: created.token });
      expect(check.status).toBe(200);
      const body = (await check.json()) as { user: { email: string }; session: { id: string; kind: string } };
      expect(body.user.email).toBe(email);
      expect(body.session).toMatchObject({ id: created.api_token.id, kind: "api" });
      expect((await server.request("/api/v0/user", { token: created.token })).status).toBe(200);

      // Listed without the token, and not among the sessions.
      const list = await server.request("/api/v0/auth/tokens", { token: sessionToken });
      const listed = (await list.json()) as { tokens: Array<{ id: string }> };
      expect(listed.tokens.map((token) => token.id)).toEqual([created.api_token.id]);
      expect(JSON.stringify(listed)).not.toContain(created.token);
      const sessions = (await (await server.request("/api/v0/auth/sessions", { token: sessionToken })).json()) as { sessions: Array<{ id: string }> };
      expect(sessions.sessions.map((session) => session.id)).not.toContain(created.api_token.id);

      // The account is told, by name, and the mail holds no token.
      const mail = await server.smtp.waitForMail(email, 1);
      expect(mail.subject).toBe("A new API token was created for your Harmont account");
      expect(mail.raw).toContain("CI deploy");
      expect(mail.raw).not.toContain(created.token);
      expect(server.logs.text).not.toContain(created.token);
    });

    it("records its last use", async () => {
      const { token: sessionToken } = await signUp(server);
      const created = await makeToken(sessionToken);
      server.clock.advance(2 * DAY);
      expect((await server.request("/api/v0/auth/session", { token: created.token })).status).toBe(200);
      const listed = (await (await server.request("/api/v0/auth/tokens", { token: sessionToken })).json()) as { tokens: CreatedToken["api_token"][] };
      expect(Date.parse(listed.tokens[0]!.last_used_at) - Date.parse(listed.tokens[0]!.created_at)).toBe(2 * DAY);
    });

    it("has no idle timeout and stops at its expiry", async () => {
      const { token: sessionToken } = await signUp(server);
      const created = await makeToken(sessionToken, { name: "nightly", expires_in_days: 60 });
      // Unused for longer than a CLI session's idle timeout (30 days): still valid.
      server.clock.advance(45 * DAY);
      expect((await server.request("/api/v0/auth/session", { token: created.token })).status).toBe(200);
      server.clock.advance(15 * DAY);
      expect((await server.request("/api/v0/auth/session", { token: created.token })).status).toBe(401);
    });

    it("cannot make tokens, change credentials, sign out everywhere, or approve a CLI login", async () => {
      const { token: sessionToken, password } = await signUp(server);
      const { token } = await makeToken(sessionToken);
      const refused: Array<[string, RequestInit & { json?: unknown }]> = [
        ["/api/v0/auth/tokens", { json: { name: "another", expires_in_days: 1 } }],
        ["/api/v0/auth/tokens", {}],
        ["/api/v0/auth/password", { json: { current_password: password, new_password: "a whole new passphrase" } }],
        ["/api/v0/auth/logout-all", { method: "POST" }],
        ["/api/v0/auth/sessions", {}],
        ["/api/v0/auth/cli/transfer", { json: { nonce: "n".repeat(43) } }],
        ["/api/v0/auth/cli/code", { method: "POST" }],
      ];
      for (const [path, init] of refused) {
        const response = await server.request(path, { ...init, token });
        expect({ path, status: response.status }).toEqual({ path, status: 403 });
        expect(await errorCode(response)).toBe("forbidden");
      }
      // Nothing changed: the password still signs in, and the session still works.
      const login = await server.request("/api/v0/auth/login", { json: { email: (await (await server.request("/api/v0/user", { token })).json() as { email: string }).email, password } });
      expect(login.status).toBe(200);
      expect((await server.request("/api/v0/auth/session", { token: sessionToken })).status).toBe(200);
    });

    it("is refused in the session cookie", async () => {
      const { token: sessionToken } = await signUp(server);
      const { token } = await makeToken(sessionToken);
      const response = await server.request("/api/v0/auth/session", { headers: { cookie: `${server.deps.cookie.name}=${token}` } });
      expect(response.status).toBe(401);
    });

    it("an hmt_ token and an hma_ token never stand for each other", async () => {
      const { token: sessionToken } = await signUp(server);
      const { token } = await makeToken(sessionToken);
      const swapped = `hmt_${token.slice(4)}`;
      expect((await server.request("/api/v0/auth/session", { token: swapped })).status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token: `hma_${sessionToken.slice(4)}` })).status).toBe(401);
    });
  });

  describe.skipIf(!target.available)("expiry rules", () => {
    it("refuses an expiry past the maximum, no expiry by default, and bad input, and makes nothing", async () => {
      const { token: sessionToken } = await signUp(server);
      const tooLong = await server.request("/api/v0/auth/tokens", { token: sessionToken, json: { name: "x", expires_in_days: 366 } });
      expect(tooLong.status).toBe(400);
      expect(await errorCode(tooLong)).toBe("api_token_expiry_too_long");
      const never = await server.request("/api/v0/auth/tokens", { token: sessionToken, json: { name: "x", expires_in_days: null } });
      expect(never.status).toBe(400);
      expect(await errorCode(never)).toBe("api_token_expiry_required");
      for (const body of [{ name: "", expires_in_days: 1 }, { name: "x", expires_in_days: 1.5 }, { name: "x", expires_in_days: 0 }, { name: "x" }, { expires_in_days: 1 }, { name: "x".repeat(101), expires_in_days: 1 }]) {
        const response = await server.request("/api/v0/auth/tokens", { token: sessionToken, json: body });
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
      }
      const listed = (await (await server.request("/api/v0/auth/tokens", { token: sessionToken })).json()) as { tokens: unknown[] };
      expect(listed.tokens).toEqual([]);
      const meta = (await (await server.request("/api/v0/meta")).json()) as Record<string, unknown>;
      expect(meta).toMatchObject({ api_token_max_days: 365, api_token_no_expiry: false });
    });

    it("makes a token that never expires where the operator allows it", async () => {
      await server.close();
      server = await createTestServerWithMail(await target.create(), { HARMONT_API_TOKEN_NO_EXPIRY: "on", HARMONT_API_TOKEN_MAX: "7d" });
      const { token: sessionToken } = await signUp(server);
      const created = await makeToken(sessionToken, { name: "forever", expires_in_days: null });
      expect(created.api_token.expires_at).toBeNull();
      const tooLong = await server.request("/api/v0/auth/tokens", { token: sessionToken, json: { name: "x", expires_in_days: 8 } });
      expect(await errorCode(tooLong)).toBe("api_token_expiry_too_long");
      server.clock.advance(3 * 365 * DAY);
      expect((await server.request("/api/v0/auth/session", { token: created.token })).status).toBe(200);
    });
  });

  describe.skipIf(!target.available)("revocation", () => {
    it("revokes one token by id, at once; another user's id is 404 and changes nothing", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const first = await makeToken(alice.token, { name: "one", expires_in_days: 10 });
      const second = await makeToken(alice.token, { name: "two", expires_in_days: 10 });

      const foreign = await server.request(`/api/v0/auth/tokens/${first.api_token.id}`, { method: "DELETE", token: bob.token });
      expect(foreign.status).toBe(404);
      // A session id is not a token id, and the sessions route does not revoke tokens.
      const sessionId = ((await (await server.request("/api/v0/auth/session", { token: alice.token })).json()) as { session: { id: string } }).session.id;
      expect((await server.request(`/api/v0/auth/tokens/${sessionId}`, { method: "DELETE", token: alice.token })).status).toBe(404);
      expect((await server.request(`/api/v0/auth/sessions/${first.api_token.id}`, { method: "DELETE", token: alice.token })).status).toBe(404);
      expect((await server.request("/api/v0/auth/session", { token: first.token })).status).toBe(200);

      const revoked = await server.request(`/api/v0/auth/tokens/${first.api_token.id}`, { method: "DELETE", token: alice.token });
      expect(revoked.status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: first.token })).status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token: second.token })).status).toBe(200);
      expect((await server.request(`/api/v0/auth/tokens/${first.api_token.id}`, { method: "DELETE", token: alice.token })).status).toBe(404);
    });

    it("a token can log itself out", async () => {
      const { token: sessionToken } = await signUp(server);
      const { token } = await makeToken(sessionToken);
      expect((await server.request("/api/v0/auth/logout", { method: "POST", token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
    });

    it("sign out everywhere and a password change keep tokens; disabling the account ends them", async () => {
      const { token: sessionToken, password, email } = await signUp(server);
      const { token } = await makeToken(sessionToken);
      expect((await server.request("/api/v0/auth/password", { token: sessionToken, json: { current_password: password, new_password: "a whole new passphrase" } })).status).toBe(204);
      expect((await server.request("/api/v0/auth/logout-all", { method: "POST", token: sessionToken })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: sessionToken })).status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(200);

      const { disableUser } = await import("../auth/accounts.js");
      const disabled = await disableUser(server.deps.auth, email, { ip: null, userAgent: null, requestId: null, actor: null });
      expect(disabled).toEqual({ ok: true, value: { sessionsRevoked: 1 } });
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
    });
  });
});
