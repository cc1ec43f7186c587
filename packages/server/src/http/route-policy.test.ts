/**
 * What the route policy and the session check decide, end to end through HTTP: a session row
 * with the reserved second-factor flag does not authenticate, a route's declared session kind
 * and freshness are enforced in one place, and freshness follows a session's lineage (a CLI
 * session claimed from an old web session is not fresh).
 */
import { randomBytes } from "node:crypto";
import { OpenAPIHono } from "@hono/zod-openapi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashSecret } from "../auth/tokens.js";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServerWithMail, signUp, errorCode } from "../test-support/harness.js";
import { enforceRoutePolicy, type RoutePolicy } from "./authenticate.js";
import type { AppEnv } from "./context.js";
import { createErrorHandler } from "./error-envelope.js";

reportSkippedPostgres();

type Server = Awaited<ReturnType<typeof createTestServerWithMail>>;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe.each(databaseTargets)("route policy on $kind", (target) => {
  let server: Server;
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create());
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  /** Signs in a new passwordless account with an emailed code; returns its web session token. */
  async function signInByEmailCode(email: string): Promise<string> {
    await server.request("/api/v0/auth/email-code", { json: { email } });
    const code = await server.smtp.latestCode(email);
    const response = await server.request("/api/v0/auth/email-code/verify", { json: { email, code } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  }

  /** A CLI session claimed through the loopback handoff, authorized by `webToken`. */
  async function claimCliSession(webToken: string): Promise<string> {
    const nonce = randomBytes(32).toString("base64url");
    expect((await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: webToken })).status).toBe(204);
    const claimed = await server.request("/api/v0/auth/cli/claim", { json: { nonce, name: "laptop" } });
    expect(claimed.status).toBe(200);
    return ((await claimed.json()) as { token: string }).token;
  }

  /** A route behind `policy`, on a small app sharing the test server's guard. */
  function appWithPolicy(policy: RoutePolicy) {
    const app = new OpenAPIHono<AppEnv>();
    app.use("*", async (c, next) => {
      c.set("requestId", "req_test");
      c.set("clientIp", "127.0.0.1");
      await next();
    });
    const guard = enforceRoutePolicy(server.deps.guard, policy);
    app.get("/probe", ...(guard ? [guard] : []), (c) => c.json({ kind: c.get("auth").session.kind }));
    app.onError(createErrorHandler({ docsUrl: server.config.docsUrl, logger: server.deps.logger, isServiceUnavailable: () => false }));
    return (token: string) => app.request("/probe", { headers: { authorization: `Bearer ${token}` } });
  }

  describe.skipIf(!target.available)("the session check", () => {
    it("refuses a session row whose second_factor_pending is set: 401, like no session", async () => {
      const alice = await signUp(server);
      const token = `hmt_${randomBytes(32).toString("base64url")}`;
      const now = server.clock.now();
      await server.database.store.sessions.insert({
        id: `ses_${randomBytes(9).toString("base64url")}`,
        tokenHash: hashSecret(token),
        userId: alice.user.id,
        kind: "web",
        name: "half signed in",
        parentSessionId: null,
        clientId: null,
        orgId: null,
        impersonatorUserId: null,
        secondFactorPending: true,
        authenticatedAt: now,
        mfaVerifiedAt: null,
        ip: null,
        userAgent: null,
        createdAt: now,
        lastUsedAt: now,
        idleTimeoutMs: DAY,
        absoluteExpiresAt: now + DAY,
        lastIp: null,
      });
      const refused = await server.request("/api/v0/auth/session", { token });
      expect(refused.status).toBe(401);
      expect(await errorCode(refused)).toBe("unauthorized");
      // It cannot be used for anything else either.
      expect((await server.request("/api/v0/auth/cli/code", { method: "POST", token })).status).toBe(401);
      // The account's real session still works.
      expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(200);
    });
  });

  describe.skipIf(!target.available)("support sessions", () => {
    /** A session of `userId` that an operator started: what impersonation makes. */
    async function supportSessionOf(userId: string, operatorId: string) {
      const token = `hmt_${randomBytes(32).toString("base64url")}`;
      const now = server.clock.now();
      const id = `ses_${randomBytes(9).toString("base64url")}`;
      await server.database.store.sessions.insert({
        id,
        tokenHash: hashSecret(token),
        userId,
        kind: "web",
        name: "Support session",
        parentSessionId: null,
        clientId: null,
        orgId: null,
        impersonatorUserId: operatorId,
        secondFactorPending: false,
        authenticatedAt: null,
        mfaVerifiedAt: null,
        ip: null,
        userAgent: null,
        createdAt: now,
        lastUsedAt: now,
        idleTimeoutMs: 15 * 60_000,
        absoluteExpiresAt: now + 60 * 60_000,
        lastIp: null,
      });
      return { token, id };
    }

    it("read, switch org and end themselves; every other write, on any route, answers 403 impersonation_forbidden", async () => {
      const alice = await signUp(server);
      const operator = await signUp(server);
      const support = await supportSessionOf(alice.user.id, operator.user.id);
      const own = await server.request("/api/v0/auth/session", { token: alice.token });
      const aliceSessionId = ((await own.json()) as { session: { id: string } }).session.id;

      for (const path of ["/api/v0/auth/session", "/api/v0/user", "/api/v0/auth/sessions", "/api/v0/orgs", "/api/v0/auth/2fa"]) {
        expect((await server.request(path, { token: support.token })).status, path).toBe(200);
      }
      const writes: Array<[string, string, unknown]> = [
        ["POST", "/api/v0/auth/password", { current_password: alice.password, new_password: "a new passphrase here" }],
        ["POST", "/api/v0/auth/logout-all", undefined],
        ["POST", "/api/v0/auth/tokens", { name: "x", expires_in_days: 30 }],
        ["POST", "/api/v0/auth/cli/code", undefined],
        ["POST", "/api/v0/orgs", { name: "Acme" }],
        ["PATCH", "/api/v0/user", { name: "Mallory" }],
        ["POST", "/api/v0/user/deletion", { password: alice.password }],
        ["POST", "/api/v0/auth/2fa/totp", { password: alice.password }],
        ["POST", "/api/v0/auth/device/approve", { user_code: "BCDF-GHJK" }],
        ["POST", "/api/v0/auth/email/verification", undefined],
        ["DELETE", `/api/v0/auth/sessions/${aliceSessionId}`, undefined],
        ["GET", "/api/v0/auth/approvals", undefined],
      ];
      for (const [method, path, json] of writes) {
        const response = await server.request(path, { method, token: support.token, ...(json === undefined ? {} : { json }) });
        expect([response.status, await errorCode(response)], `${method} ${path}`).toEqual([403, "impersonation_forbidden"]);
      }
      // Nothing changed: Alice's own session still works, and her name is hers.
      expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(200);
      const switched = await server.request("/api/v0/auth/session/org", { token: support.token, json: { org_id: null } });
      expect(switched.status).toBe(200);
      expect((await server.request(`/api/v0/auth/sessions/${support.id}`, { method: "DELETE", token: support.token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: support.token })).status).toBe(401);
    });
  });

  describe.skipIf(!target.available)("declared needs", () => {
    it("a route that needs a CLI session refuses a web session with 403, and serves a CLI one", async () => {
      const alice = await signUp(server);
      const cliToken = await claimCliSession(alice.token);
      const probe = appWithPolicy({ authentication: "session", sessionKind: "cli" });
      const refused = await probe(alice.token);
      expect(refused.status).toBe(403);
      expect(await errorCode(refused)).toBe("forbidden");
      const served = await probe(cliToken);
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual({ kind: "cli" });
    });

    it("a route that needs a fresh session serves one signed in 15 minutes ago, and refuses one signed in just before", async () => {
      const alice = await signUp(server);
      const probe = appWithPolicy({ authentication: "session", fresh: true });
      expect((await probe(alice.token)).status).toBe(200);
      server.clock.advance(15 * MINUTE);
      expect((await probe(alice.token)).status).toBe(200);
      server.clock.advance(1);
      const stale = await probe(alice.token);
      expect(stale.status).toBe(403);
      expect(await errorCode(stale)).toBe("forbidden");
      // Use keeps a session alive, but does not make it fresh again.
      expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(200);
      expect((await probe(alice.token)).status).toBe(403);
    });
  });

  describe.skipIf(!target.available)("freshness follows the session's lineage", () => {
    it("a CLI session claimed from a 29-day-old web session may not set a first password", async () => {
      const webToken = await signInByEmailCode("old-web@example.com");
      // Keep the web session in use (its idle timeout is a week) for 29 days.
      for (let day = 0; day < 29; day++) {
        server.clock.advance(DAY);
        expect((await server.request("/api/v0/auth/session", { token: webToken })).status).toBe(200);
      }
      const cliToken = await claimCliSession(webToken);
      const refused = await server.request("/api/v0/auth/password", { json: { new_password: "a first passphrase 4821" }, token: cliToken });
      expect(refused.status).toBe(403);
      expect(await errorCode(refused)).toBe("forbidden");
      // The account still has no password.
      const user = await server.database.store.users.findByEmail("old-web@example.com");
      expect(user?.passwordHash).toBeNull();
    });

    it("a CLI session claimed from a web session signed in minutes ago inherits its freshness", async () => {
      const webToken = await signInByEmailCode("new-web@example.com");
      server.clock.advance(5 * MINUTE);
      const cliToken = await claimCliSession(webToken);
      const set = await server.request("/api/v0/auth/password", { json: { new_password: "a first passphrase 4821" }, token: cliToken });
      expect(set.status).toBe(204);
    });

    it("the CLI session records its parent's sign-in time, not its own creation", async () => {
      const webToken = await signInByEmailCode("lineage@example.com");
      const signedInAt = server.clock.now();
      server.clock.advance(3 * DAY);
      expect((await server.request("/api/v0/auth/session", { token: webToken })).status).toBe(200);
      const cliToken = await claimCliSession(webToken);
      const found = await server.database.store.sessions.findWithUserByTokenHash(hashSecret(cliToken));
      expect(found?.session.kind).toBe("cli");
      expect(found?.session.authenticatedAt).toBe(signedInAt);
      expect(found?.session.createdAt).toBe(signedInAt + 3 * DAY);
    });
  });
});
