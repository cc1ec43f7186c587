/**
 * `completeSignIn` is the one ending of every sign-in: each first-factor path reaches it, it
 * records when the first factor was proven, and an account that needs a second factor gets no
 * session from any of them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServerWithMail } from "../test-support/harness.js";
import { signInWithEmailCode, signInWithPassword, signUpWithPassword } from "./accounts.js";
import type { AuthDeps, RequestMeta } from "./context.js";
import { createUserAsOperator, requestSignInCode } from "./accounts.js";

type Server = Awaited<ReturnType<typeof createTestServerWithMail>>;
const meta: RequestMeta = { ip: "203.0.113.9", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", requestId: "req_test", actor: null };
const password = "correct horse battery staple";

describe("completeSignIn", () => {
  let server: Server;
  beforeEach(async () => {
    server = await createTestServerWithMail(createSqliteTestDatabase());
  });
  afterEach(async () => {
    await server.close();
  });

  const sessionCount = async () => (await server.database.db.selectFrom("sessions").select("id").execute()).length;
  const withSecondFactor = (required: (email: string) => boolean): AuthDeps => ({
    ...server.deps.auth,
    secondFactor: { isRequired: async (user) => required(user.email) },
  });

  it("records when the first factor was proven, and the audit event, on every path", async () => {
    const deps = server.deps.auth;
    const signedUp = await signUpWithPassword(deps, { email: "ada@example.com", password }, meta);
    server.clock.advance(1000);
    const signedIn = await signInWithPassword(deps, { email: "ada@example.com", password }, meta);
    server.clock.advance(1000);
    await requestSignInCode(deps, "grace@example.com");
    const byCode = await signInWithEmailCode(deps, { email: "grace@example.com", code: await server.smtp.latestCode("grace@example.com") }, meta);

    const sessions = [signedUp, signedIn, byCode.ok ? { ok: true as const, value: byCode.value.outcome } : byCode].map((result) => {
      if (!result.ok || result.value.status !== "signed_in") throw new Error("expected a session");
      return result.value.session;
    });
    const start = Date.UTC(2026, 0, 1);
    expect(sessions.map((session) => session.authenticatedAt)).toEqual([start, start + 1000, start + 2000]);
    expect(sessions.map((session) => session.name)).toEqual(Array(3).fill("Web session (Firefox on Linux)"));

    const events = await server.database.store.audit.list();
    const endings = events.filter((event) => event.target !== null && sessions.some((session) => session.id === event.target));
    expect(endings.map((event) => [event.action, event.detail?.first_factor])).toEqual([
      ["user.signed_up", "password"],
      ["auth.login.succeeded", "password"],
      ["user.signed_up_by_email_code", "email_code"],
    ]);
  });

  it("gives no session, on any first-factor path, to an account that needs a second factor", async () => {
    // A verified account with one session already (an email code does not reclaim it).
    await createUserAsOperator(server.deps.auth, { email: "ada@example.com", password }, meta);
    await signInWithPassword(server.deps.auth, { email: "ada@example.com", password }, meta);
    const before = await sessionCount();
    const deps = withSecondFactor((email) => email === "ada@example.com" || email === "grace@example.com");

    const byPassword = await signInWithPassword(deps, { email: "ada@example.com", password }, meta);
    expect(byPassword).toEqual({ ok: true, value: { status: "second_factor_required", user: expect.objectContaining({ email: "ada@example.com" }) } });

    await requestSignInCode(deps, "ada@example.com");
    const byCode = await signInWithEmailCode(deps, { email: "ada@example.com", code: await server.smtp.latestCode("ada@example.com") }, meta);
    expect(byCode.ok && byCode.value.outcome.status).toBe("second_factor_required");

    const bySignUp = await signUpWithPassword(deps, { email: "grace@example.com", password }, meta);
    expect(bySignUp.ok && bySignUp.value.status).toBe("second_factor_required");

    expect(await sessionCount()).toBe(before);
    const required = await server.database.store.audit.list({ action: "auth.second_factor.required" });
    expect(required).toHaveLength(3);
    // The outcome carries no token, and nothing in it authenticates.
    expect(JSON.stringify([byPassword, byCode, bySignUp])).not.toMatch(/hmt_/);
  });

  it("an account that does not need a second factor still signs in when a policy is present", async () => {
    await signUpWithPassword(server.deps.auth, { email: "ada@example.com", password }, meta);
    const deps = withSecondFactor(() => false);
    const result = await signInWithPassword(deps, { email: "ada@example.com", password }, meta);
    expect(result.ok && result.value.status).toBe("signed_in");
  });
});
