/**
 * Support sessions through HTTP, on both databases, with a fake clock: who may start one (an
 * operator with two-step verification, a fresh code and a reason), what it shows and refuses,
 * that its audit events name the operator, and every way it ends.
 */
import * as OTPAuth from "otpauth";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listImpersonationTrail } from "../auth/impersonation.js";
import { purgeExpiredRecords } from "../auth/maintenance.js";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServerWithMail, errorCode, jsonBody, signUpVerified, type TestServer } from "../test-support/harness.js";
import type { TestSmtpServer } from "../test-support/smtp.js";

reportSkippedPostgres();

type Server = TestServer & { smtp: TestSmtpServer };
const reason = "Ticket #4821: the org settings page is blank";

describe.each(databaseTargets)("support sessions on $kind", (target) => {
  let server: Server;
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create(), { HARMONT_LIMIT_SIGNUP_PER_IP: "0" });
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  /** A verified account with two-step verification on; `code()` is its app's next unused code. */
  async function withTwoStep(operator: boolean) {
    const person = await signUpVerified(server);
    const { secret } = await jsonBody<{ secret: string }>(await server.request("/api/v0/auth/2fa/totp", { token: person.token, json: { password: person.password } }));
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    expect((await server.request("/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: totp.generate({ timestamp: server.clock.now() }) } })).status).toBe(200);
    if (operator) await server.database.store.users.setPlatformRole(person.user.id, "operator", server.clock.now());
    const code = () => {
      server.clock.advance(30_000);
      return totp.generate({ timestamp: server.clock.now() });
    };
    return { ...person, code };
  }

  const start = (operator: { token: string }, json: Record<string, unknown>) => server.request("/api/v0/admin/impersonations", { token: operator.token, json });

  describe.runIf(target.available)("starting", () => {
    it("is for operators with two-step verification, a fresh code and a reason, and never of an operator or oneself", async () => {
      const ada = await signUpVerified(server);
      const plain = await withTwoStep(false);
      const refused = await start(plain, { email: ada.email, reason, method: "totp", code: plain.code() });
      expect([refused.status, await errorCode(refused)]).toEqual([403, "forbidden"]);
      expect(await server.database.store.audit.list({ action: "admin.access.denied" })).toHaveLength(1);

      const operatorWithout = await signUpVerified(server);
      await server.database.store.users.setPlatformRole(operatorWithout.user.id, "operator", server.clock.now());
      expect((await start(operatorWithout, { email: ada.email, reason, method: "totp", code: "123456" })).status).toBe(403);

      const operator = await withTwoStep(true);
      const other = await withTwoStep(true);
      // Each case gets the app's code of the moment (a code is only good for a step either side).
      const fresh = () => ({ method: "totp", code: operator.code() });
      const cases: Array<[() => Record<string, unknown>, number, string]> = [
        [() => ({ email: ada.email, reason: "because", ...fresh() }), 400, "invalid_request"],
        [() => ({ email: ada.email, user_id: ada.user.id, reason, ...fresh() }), 400, "invalid_request"],
        [() => ({ email: ada.email, reason, method: "totp", code: "000000" }), 400, "second_factor_invalid"],
        [() => ({ email: "nobody@example.com", reason, ...fresh() }), 404, "not_found"],
        [() => ({ email: operator.email, reason, ...fresh() }), 403, "impersonation_forbidden"],
        [() => ({ user_id: other.user.id, reason, ...fresh() }), 403, "impersonation_forbidden"],
      ];
      for (const [json, status, code] of cases) {
        const body = json();
        const response = await start(operator, body);
        expect([response.status, await errorCode(response)], JSON.stringify(body)).toEqual([status, code]);
      }
      expect((await server.database.store.audit.list({ action: "admin.impersonation.refused" })).map((event) => event.detail?.why).sort()).toEqual(["operator_target", "self"]);
    });

    it("gives a read-only session of the account that shows who acts as it, names the operator in the audit log, and mails the person", async () => {
      const ada = await signUpVerified(server);
      const operator = await withTwoStep(true);
      const since = server.smtp.messages.length;
      const code = operator.code();
      const started = await start(operator, { email: ada.email, reason, method: "totp", code });
      expect(started.status).toBe(201);
      expect(started.headers.get("cache-control")).toBe("no-store");
      const { token, impersonation } = await jsonBody<{ token: string; impersonation: { session_id: string; expires_at: string } }>(started);
      expect(Date.parse(impersonation.expires_at) - server.clock.now()).toBe(60 * 60_000);
      // The code was spent.
      const replayed = await start(operator, { email: ada.email, reason, method: "totp", code });
      expect(await errorCode(replayed)).toBe("second_factor_invalid");

      const current = await jsonBody<{ user: { email: string }; session: { impersonated: boolean; name: string }; impersonation: { impersonator: { email: string }; reason: string } }>(
        await server.request("/api/v0/auth/session", { token }),
      );
      expect(current.user.email).toBe(ada.email);
      expect(current.session).toMatchObject({ impersonated: true, name: "Support session" });
      expect(current.impersonation).toMatchObject({ impersonator: { email: operator.email }, reason });
      expect((await jsonBody<{ impersonation: unknown }>(await server.request("/api/v0/auth/session", { token: ada.token }))).impersonation).toBeNull();

      expect(await errorCode(await server.request("/api/v0/auth/password", { token, json: { new_password: "a new passphrase here" } }))).toBe("impersonation_forbidden");
      expect(await errorCode(await start({ token }, { email: operator.email, reason, method: "totp", code: operator.code() }))).toBe("impersonation_forbidden");
      expect((await server.request("/api/v0/auth/session/org", { token, json: { org_id: null } })).status).toBe(200);
      const switched = await server.database.store.audit.list({ action: "session.org_switched" });
      expect(switched.at(-1)).toMatchObject({ actorUserId: ada.user.id, detail: expect.objectContaining({ impersonator_user_id: operator.user.id }) });

      const mail = await server.smtp.waitForMail(ada.email, since);
      expect(mail.subject).toMatch(/support/i);
      expect(mail.raw).toContain("Ticket #4821");
      expect(server.logs.lines.join("\n")).not.toContain(token);
    });
  });

  describe.runIf(target.available)("ending", () => {
    async function supportSession() {
      const ada = await signUpVerified(server);
      const operator = await withTwoStep(true);
      const started = await jsonBody<{ token: string; impersonation: { session_id: string } }>(await start(operator, { email: ada.email, reason, method: "totp", code: operator.code() }));
      return { ada, operator, token: started.token, sessionId: started.impersonation.session_id };
    }
    const live = async (token: string) => (await server.request("/api/v0/auth/session", { token })).status === 200;
    const endReason = async (sessionId: string) => (await server.database.store.impersonations.list({}, 50)).find((row) => row.sessionId === sessionId)?.endReason ?? null;

    it("ends on demand, on logout, when the person revokes it, with the operator's session, and when its hour is up", async () => {
      const stopped = await supportSession();
      expect((await server.request("/api/v0/admin/impersonations/current", { method: "DELETE", token: stopped.token })).status).toBe(204);
      expect([await live(stopped.token), await endReason(stopped.sessionId)]).toEqual([false, "stopped"]);
      expect((await server.request("/api/v0/admin/impersonations/current", { method: "DELETE", token: stopped.ada.token })).status).toBe(404);

      const loggedOut = await supportSession();
      await server.request("/api/v0/auth/logout", { method: "POST", token: loggedOut.token });
      expect([await live(loggedOut.token), await endReason(loggedOut.sessionId)]).toEqual([false, "logout"]);

      const byOwner = await supportSession();
      expect((await server.request(`/api/v0/auth/sessions/${byOwner.sessionId}`, { method: "DELETE", token: byOwner.ada.token })).status).toBe(204);
      expect([await live(byOwner.token), await endReason(byOwner.sessionId)]).toEqual([false, "revoked_by_user"]);

      const withOperator = await supportSession();
      await server.request("/api/v0/auth/logout", { method: "POST", token: withOperator.operator.token });
      expect([await live(withOperator.token), await endReason(withOperator.sessionId)]).toEqual([false, "operator_session_ended"]);

      const expired = await supportSession();
      expect(await live(expired.token)).toBe(true);
      server.clock.advance(60 * 60_000);
      expect(await live(expired.token)).toBe(false);
      expect((await purgeExpiredRecords(server.deps.auth)).supportSessionsEnded).toBe(1);
      expect(await endReason(expired.sessionId)).toBe("expired");
      expect((await server.database.store.audit.list({ action: "admin.impersonation.ended" })).map((event) => event.detail?.end_reason).sort()).toEqual(
        ["expired", "logout", "operator_session_ended", "revoked_by_user", "stopped"],
      );
    });

    it("keeps the audit trail of a support session: its start, what was done in it, naming the operator, and its end", async () => {
      const session = await supportSession();
      await server.request("/api/v0/auth/session/org", { token: session.token, json: { org_id: null } });
      // The person's own doings at the same time are not part of it.
      await server.request("/api/v0/auth/session/org", { token: session.ada.token, json: { org_id: null } });
      await server.request("/api/v0/admin/impersonations/current", { method: "DELETE", token: session.token });
      const trail = await listImpersonationTrail(server.deps.auth, session.sessionId);
      expect(trail?.events.map((event) => event.action).sort()).toEqual(["admin.impersonation.ended", "admin.impersonation.started", "session.org_switched", "session.revoked"]);
      expect(trail?.events.find((event) => event.action === "session.org_switched")?.detail?.impersonator_user_id).toBe(session.operator.user.id);
      expect(await listImpersonationTrail(server.deps.auth, "ses_unknown")).toBeNull();
    });

    it("started from the web app, puts the operator's session aside in a cookie only the end call is sent, and back when it ends", async () => {
      const ada = await signUpVerified(server);
      const operator = await withTwoStep(true);
      const origin = server.config.publicUrl.origin;
      const withCookies = (cookies: string) => ({ cookie: cookies, origin });
      const asBearer = await start(operator, { email: ada.email, reason, method: "totp", code: operator.code(), session: "cookie" });
      expect([asBearer.status, await errorCode(asBearer)]).toEqual([400, "invalid_request"]);
      expect(await server.database.store.impersonations.list({}, 10)).toEqual([]);

      const started = await server.request("/api/v0/admin/impersonations", {
        json: { email: ada.email, reason, method: "totp", code: operator.code(), session: "cookie" },
        headers: withCookies(`harmont_session=${operator.token}`),
      });
      expect(started.status).toBe(201);
      const body = await jsonBody<{ token?: string; user: { email: string } }>(started);
      expect([body.token, body.user.email]).toEqual([undefined, ada.email]);
      const cookies = started.headers.getSetCookie();
      const aside = cookies.find((cookie) => cookie.startsWith("harmont_operator_session="));
      expect(aside).toContain(`harmont_operator_session=${operator.token};`);
      expect(aside).toMatch(/Path=\/api\/v0\/admin\/impersonations;/);
      expect(aside).toMatch(/HttpOnly/);
      expect(aside).toMatch(/SameSite=Strict/);
      const support = /^harmont_session=(hmt_[A-Za-z0-9_-]{43});/.exec(cookies.find((cookie) => cookie.startsWith("harmont_session=")) ?? "")?.[1];
      expect(support).toBeDefined();
      expect(await jsonBody(await server.request("/api/v0/auth/session", { headers: { cookie: `harmont_session=${support}` } }))).toMatchObject({ user: { email: ada.email }, session: { impersonated: true } });
      // The cookie put aside authenticates nothing by itself.
      expect((await server.request("/api/v0/auth/session", { headers: { cookie: `harmont_operator_session=${operator.token}` } })).status).toBe(401);

      const ended = await server.request("/api/v0/admin/impersonations/current", {
        method: "DELETE",
        headers: withCookies(`harmont_session=${support}; harmont_operator_session=${operator.token}`),
      });
      expect(ended.status).toBe(204);
      const after = ended.headers.getSetCookie();
      expect(after.find((cookie) => cookie.startsWith("harmont_session="))).toContain(`harmont_session=${operator.token};`);
      expect(after.find((cookie) => cookie.startsWith("harmont_operator_session="))).toMatch(/Max-Age=0/);
      expect(await live(support!)).toBe(false);
      expect(await live(operator.token)).toBe(true);

      // A cookie that is not the operator's live session is dropped, never put back.
      const again = await server.request("/api/v0/admin/impersonations", {
        json: { email: ada.email, reason, method: "totp", code: operator.code(), session: "cookie" },
        headers: withCookies(`harmont_session=${operator.token}`),
      });
      const second = /^harmont_session=(hmt_[A-Za-z0-9_-]{43});/.exec(again.headers.getSetCookie().find((cookie) => cookie.startsWith("harmont_session=")) ?? "")?.[1];
      const forged = await server.request("/api/v0/admin/impersonations/current", {
        method: "DELETE",
        headers: withCookies(`harmont_session=${second}; harmont_operator_session=${ada.token}`),
      });
      expect(forged.status).toBe(204);
      expect(forged.headers.getSetCookie().find((cookie) => cookie.startsWith("harmont_session="))).toMatch(/^harmont_session=;.*Max-Age=0/);
    });

    it("ends when the person signs out everywhere", async () => {
      const session = await supportSession();
      expect((await server.request("/api/v0/auth/logout-all", { method: "POST", token: session.ada.token })).status).toBe(204);
      expect([await live(session.token), await endReason(session.sessionId)]).toEqual([false, "revoked"]);
    });
  });
});
