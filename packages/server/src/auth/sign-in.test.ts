/**
 * `completeSignIn` is the one ending of every sign-in: each first-factor path reaches it, it
 * records when the first factor was proven, and an account with two-step verification gets a
 * login challenge, never a session, from any of them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServerWithMail } from "../test-support/harness.js";
import { signInWithEmailCode, signInWithPassword, signUpWithPassword } from "./accounts.js";
import type { RequestMeta } from "./context.js";
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

  /** Gives the account a confirmed authenticator app, as an enrolment would. */
  async function turnOnSecondFactor(email: string) {
    const user = await server.database.store.users.findByEmail(email);
    if (!user) throw new Error(`no account ${email}`);
    const now = server.clock.now();
    await server.database.store.secondFactors.upsertPending({ userId: user.id, secretSealed: "v1.unused", enrollmentExpiresAt: now + 60_000, createdAt: now });
    expect(await server.database.store.secondFactors.confirm(user.id, 0, now)).toBe(true);
  }

  it("gives no session, on any first-factor path, to an account with two-step verification: a challenge instead", async () => {
    // A verified account with one session already (an email code does not reclaim it).
    await createUserAsOperator(server.deps.auth, { email: "ada@example.com", password }, meta);
    await signInWithPassword(server.deps.auth, { email: "ada@example.com", password }, meta);
    await turnOnSecondFactor("ada@example.com");
    const before = await sessionCount();
    const deps = server.deps.auth;

    const byPassword = await signInWithPassword(deps, { email: "ada@example.com", password }, meta);
    if (!byPassword.ok || byPassword.value.status !== "second_factor_required") throw new Error("expected a challenge");
    expect(byPassword.value.challenge.token).toMatch(/^hch_[A-Za-z0-9_-]{43}$/);
    // The session made before two-step verification was on never passed it, so it cannot approve.
    expect(byPassword.value.challenge.methods).toEqual(["totp", "backup_code"]);

    await requestSignInCode(deps, "ada@example.com");
    const byCode = await signInWithEmailCode(deps, { email: "ada@example.com", code: await server.smtp.latestCode("ada@example.com") }, meta);
    expect(byCode.ok && byCode.value.outcome.status).toBe("second_factor_required");

    expect(await sessionCount()).toBe(before);
    const required = await server.database.store.audit.list({ action: "auth.second_factor.required" });
    expect(required.map((event) => event.detail?.first_factor).sort()).toEqual(["email_code", "password"]);
    // The outcome carries no session token, and the challenge token is not one.
    expect(JSON.stringify([byPassword, byCode])).not.toMatch(/hmt_/);
  });

  it("signs in an account without two-step verification beside one that has it", async () => {
    await signUpWithPassword(server.deps.auth, { email: "ada@example.com", password }, meta);
    await signUpWithPassword(server.deps.auth, { email: "grace@example.com", password }, meta);
    await turnOnSecondFactor("grace@example.com");
    const result = await signInWithPassword(server.deps.auth, { email: "ada@example.com", password }, meta);
    expect(result.ok && result.value.status).toBe("signed_in");
  });
});
