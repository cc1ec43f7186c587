/**
 * Two-step verification through HTTP, on both databases, with a fake clock and `otpauth` playing
 * the person's authenticator app: enrolment, the sign-in challenge on every first-factor path,
 * codes once and only once (also under concurrency), backup codes, approval from another
 * device, disabling and new backup codes, and the bad input around all of it.
 */
import * as OTPAuth from "otpauth";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServerWithMail, signUp, signUpVerified, type TestServer, errorCode, jsonBody } from "../test-support/harness.js";
import type { TestSmtpServer } from "../test-support/smtp.js";

reportSkippedPostgres();

type Server = TestServer & { smtp: TestSmtpServer };
const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

interface Person {
  token: string;
  email: string;
  password: string;
  user: { id: string };
}

describe.each(databaseTargets)("two-step verification on $kind", (target) => {
  let server: Server;
  /** Settings of the next server; the per-account failure limit is on only where a test says so. */
  let limits: Record<string, string> = { HARMONT_LIMIT_SECOND_FACTOR_FAILURES: "0" };
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create(), { HARMONT_LIMIT_SIGNUP_PER_IP: "0", HARMONT_LIMIT_LOGIN_PER_IP: "0", ...limits });
  });
  afterEach(async () => {
    if (server) await server.close();
    limits = { HARMONT_LIMIT_SECOND_FACTOR_FAILURES: "0" };
  });

  async function verifiedPerson(email = `user-${Math.random().toString(36).slice(2)}@example.com`): Promise<Person> {
    return signUpVerified(server, email);
  }

  /** The code the person's authenticator app shows now. */
  const appCode = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: server.clock.now() });

  /** Turns two-step verification on; the confirming code's time step is then used, so the clock moves to the next one. */
  async function enrol(person: Person) {
    const started = await server.request("/api/v0/auth/2fa/totp", { token: person.token, json: { password: person.password } });
    expect(started.status).toBe(200);
    const { secret, otpauth_uri } = await jsonBody<{ secret: string; otpauth_uri: string }>(started);
    const confirmed = await server.request("/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: appCode(secret) } });
    expect(confirmed.status).toBe(200);
    const { backup_codes } = await jsonBody<{ backup_codes: string[] }>(confirmed);
    server.clock.advance(30_000);
    return { secret, otpauthUri: otpauth_uri, backupCodes: backup_codes };
  }

  const login = (person: Person, headers: Record<string, string> = {}) =>
    server.request("/api/v0/auth/login", { json: { email: person.email, password: person.password }, headers });

  async function challengeOf(person: Person, headers: Record<string, string> = {}) {
    const response = await login(person, headers);
    expect(response.status).toBe(202);
    return jsonBody<{ challenge_token: string; methods: string[]; expires_at: string }>(response);
  }

  const secondFactor = (challengeToken: string, method: "totp" | "backup_code", code: string) =>
    server.request("/api/v0/auth/login/second-factor", { json: { challenge_token: challengeToken, method, code } });

  describe.runIf(target.available)("enrolment", () => {
    it("answers the secret once, no-store, and turns on with a code from the app; the other sessions are signed out", async () => {
      const person = await verifiedPerson();
      const laptop = await login(person);
      const otherToken = (await jsonBody<{ token: string }>(laptop)).token;

      const wrongPassword = await server.request("/api/v0/auth/2fa/totp", { token: person.token, json: { password: "not my password" } });
      expect([wrongPassword.status, await errorCode(wrongPassword)]).toEqual([401, "invalid_credentials"]);

      const started = await server.request("/api/v0/auth/2fa/totp", { token: person.token, json: { password: person.password } });
      expect(started.status).toBe(200);
      expect(started.headers.get("cache-control")).toBe("no-store");
      const { secret, otpauth_uri } = await jsonBody<{ secret: string; otpauth_uri: string }>(started);
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      const parsed = OTPAuth.URI.parse(otpauth_uri) as OTPAuth.TOTP;
      expect([parsed.secret.base32, parsed.label, parsed.digits, parsed.period]).toEqual([secret, person.email, 6, 30]);
      expect(await jsonBody(await server.request("/api/v0/auth/2fa", { token: person.token }))).toEqual({
        enabled: false,
        enabled_at: null,
        backup_codes_remaining: null,
        enrollment_pending: true,
      });

      const wrong = await server.request("/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: "000000" === appCode(secret) ? "111111" : "000000" } });
      expect([wrong.status, await errorCode(wrong)]).toEqual([400, "second_factor_invalid"]);

      const since = server.smtp.messages.length;
      const confirmed = await server.request("/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: appCode(secret) } });
      expect(confirmed.status).toBe(200);
      expect(confirmed.headers.get("cache-control")).toBe("no-store");
      const { backup_codes, other_sessions_revoked } = await jsonBody<{ backup_codes: string[]; other_sessions_revoked: number }>(confirmed);
      expect(backup_codes).toHaveLength(10);
      expect(new Set(backup_codes).size).toBe(10);
      for (const code of backup_codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      expect(other_sessions_revoked).toBe(1);
      expect((await server.request("/api/v0/auth/session", { token: otherToken })).status).toBe(401);

      // This session passed it; nothing answers the secret again.
      const session = await jsonBody<{ session: { second_factor_verified: boolean } }>(await server.request("/api/v0/auth/session", { token: person.token }));
      expect(session.session.second_factor_verified).toBe(true);
      const status = await jsonBody<{ enabled: boolean; backup_codes_remaining: number }>(await server.request("/api/v0/auth/2fa", { token: person.token }));
      expect([status.enabled, status.backup_codes_remaining]).toEqual([true, 10]);
      expect(JSON.stringify(status)).not.toContain(secret);
      const again = await server.request("/api/v0/auth/2fa/totp", { token: person.token, json: { password: person.password } });
      expect([again.status, await errorCode(again)]).toEqual([409, "second_factor_already_enabled"]);
      expect((await server.smtp.waitForMail(person.email, since)).subject).toMatch(/two-step verification was turned on/i);
    });

    it("needs a verified address, and ends an enrolment after 10 minutes or 5 wrong codes", async () => {
      const unverified = await signUp(server);
      const refused = await server.request("/api/v0/auth/2fa/totp", { token: unverified.token, json: { password: unverified.password } });
      expect([refused.status, await errorCode(refused)]).toEqual([403, "email_verification_required"]);

      const person = await verifiedPerson();
      const started = await jsonBody<{ secret: string }>(await server.request("/api/v0/auth/2fa/totp", { token: person.token, json: { password: person.password } }));
      server.clock.advance(10 * 60_000 + 1);
      const late = await server.request("/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: appCode(started.secret) } });
      expect([late.status, await errorCode(late)]).toEqual([409, "second_factor_enrollment_missing"]);

      const restarted = await jsonBody<{ secret: string }>(await server.request("/api/v0/auth/2fa/totp", { token: person.token, json: { password: person.password } }));
      const wrongCode = appCode(restarted.secret) === "123456" ? "654321" : "123456";
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await server.request("/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: wrongCode } })).status).toBe(400);
      }
      const exhausted = await server.request("/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: appCode(restarted.secret) } });
      expect([exhausted.status, await errorCode(exhausted)]).toEqual([409, "second_factor_enrollment_missing"]);
    });
  });

  describe.runIf(target.available)("the sign-in challenge", () => {
    it("ends every first-factor path in a 202 challenge that authenticates nothing, and a code finishes it once", async () => {
      const person = await verifiedPerson();
      const { secret } = await enrol(person);

      const response = await login(person);
      expect(response.status).toBe(202);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("set-cookie")).toBeNull();
      const challenge = await jsonBody<{ second_factor_required: boolean; challenge_token: string; methods: string[]; expires_at: string }>(response);
      expect(challenge.second_factor_required).toBe(true);
      expect(challenge.challenge_token).toMatch(/^hch_[A-Za-z0-9_-]{43}$/);
      expect(challenge.methods).toEqual(["totp", "backup_code", "device_approval"]);
      expect(Date.parse(challenge.expires_at) - server.clock.now()).toBe(5 * 60_000);
      expect(JSON.stringify(challenge)).not.toMatch(/hmt_/);
      expect((await server.request("/api/v0/auth/session", { token: challenge.challenge_token })).status).toBe(401);

      // The email-code path meets the same step.
      expect((await server.request("/api/v0/auth/email-code", { json: { email: person.email } })).status).toBe(202);
      const byCode = await server.request("/api/v0/auth/email-code/verify", { json: { email: person.email, code: await server.smtp.latestCode(person.email) } });
      expect(byCode.status).toBe(202);
      expect((await jsonBody<{ challenge_token: string }>(byCode)).challenge_token).toMatch(/^hch_/);

      const signedIn = await secondFactor(challenge.challenge_token, "totp", appCode(secret));
      expect(signedIn.status).toBe(200);
      expect(signedIn.headers.get("cache-control")).toBe("no-store");
      const { token } = await jsonBody<{ token: string }>(signedIn);
      const session = await jsonBody<{ session: { second_factor_verified: boolean; kind: string } }>(await server.request("/api/v0/auth/session", { token }));
      expect(session.session).toMatchObject({ second_factor_verified: true, kind: "web" });

      // The challenge is spent, and so is the code's time step (on another challenge too).
      const reused = await secondFactor(challenge.challenge_token, "totp", appCode(secret));
      expect([reused.status, await errorCode(reused)]).toEqual([400, "login_challenge_invalid"]);
      const next = await challengeOf(person);
      const replayed = await secondFactor(next.challenge_token, "totp", appCode(secret));
      expect([replayed.status, await errorCode(replayed)]).toEqual([400, "second_factor_invalid"]);
      server.clock.advance(30_000);
      expect((await secondFactor(next.challenge_token, "totp", appCode(secret))).status).toBe(200);

      const audit = await server.database.store.audit.list({ action: "auth.second_factor.replayed" });
      expect(audit).toHaveLength(1);
    });

    it("with a cookie delivery, sets the session cookie only when the second step is done", async () => {
      const person = await verifiedPerson();
      const { secret } = await enrol(person);
      const first = await server.request("/api/v0/auth/login", { json: { email: person.email, password: person.password, session: "cookie" } });
      expect([first.status, first.headers.get("set-cookie")]).toEqual([202, null]);
      const { challenge_token } = await jsonBody<{ challenge_token: string }>(first);
      const done = await server.request("/api/v0/auth/login/second-factor", { json: { challenge_token, method: "totp", code: appCode(secret), session: "cookie" } });
      expect(done.status).toBe(200);
      expect(done.headers.get("set-cookie")).toMatch(/HttpOnly/i);
      expect(await jsonBody(done)).not.toHaveProperty("token");
    });

    it("ends a challenge at its fifth wrong code, mails the person once, and refuses an expired one", async () => {
      const person = await verifiedPerson();
      const { secret } = await enrol(person);
      const { challenge_token } = await challengeOf(person, { "user-agent": firefox });
      const wrong = appCode(secret) === "000000" ? "111111" : "000000";
      const since = server.smtp.messages.length;
      for (let attempt = 0; attempt < 5; attempt++) expect(await errorCode(await secondFactor(challenge_token, "totp", wrong))).toBe("second_factor_invalid");
      const sixth = await secondFactor(challenge_token, "totp", appCode(secret));
      expect([sixth.status, await errorCode(sixth)]).toEqual([400, "login_challenge_invalid"]);
      expect(await server.database.store.audit.list({ action: "auth.second_factor.challenge_exhausted" })).toHaveLength(1);
      expect((await server.smtp.waitForMail(person.email, since)).subject).toMatch(/trying to sign in/i);

      const late = await challengeOf(person);
      server.clock.advance(5 * 60_000);
      const expired = await secondFactor(late.challenge_token, "totp", appCode(secret));
      expect([expired.status, await errorCode(expired)]).toEqual([400, "login_challenge_invalid"]);
    });

    it("limits failed codes per account across challenges", async () => {
      await server.close();
      limits = {};
      server = await createTestServerWithMail(await target.create(), { HARMONT_LIMIT_SIGNUP_PER_IP: "0", HARMONT_LIMIT_LOGIN_PER_IP: "0" });
      const person = await verifiedPerson();
      const { secret } = await enrol(person);
      const wrong = appCode(secret) === "000000" ? "111111" : "000000";
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        const { challenge_token } = await challengeOf(person);
        for (let attempt = 0; attempt < 4; attempt++) statuses.push((await secondFactor(challenge_token, "totp", wrong)).status);
      }
      // 10 failures an hour by default: the eleventh check is refused before it is made.
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(400));
      expect(statuses.slice(10)).toEqual([429, 429]);
      const { challenge_token } = await challengeOf(person);
      const right = await secondFactor(challenge_token, "totp", appCode(secret));
      expect(right.status).toBe(429);
      expect(right.headers.get("retry-after")).toMatch(/^\d+$/);
    });

    it("accepts a backup code once, in any case and grouping, and mails a notice", async () => {
      const person = await verifiedPerson();
      const { backupCodes } = await enrol(person);
      const typed = backupCodes[3]!.toLowerCase().replaceAll("-", " ");
      const since = server.smtp.messages.length;
      const first = await challengeOf(person);
      expect((await secondFactor(first.challenge_token, "backup_code", typed)).status).toBe(200);
      expect((await server.smtp.waitForMail(person.email, since)).subject).toMatch(/backup code was used/i);
      const second = await challengeOf(person);
      const reused = await secondFactor(second.challenge_token, "backup_code", backupCodes[3]!);
      expect([reused.status, await errorCode(reused)]).toEqual([400, "second_factor_invalid"]);
      expect((await secondFactor(second.challenge_token, "backup_code", backupCodes[4]!)).status).toBe(200);
      const status = await jsonBody<{ backup_codes_remaining: number }>(await server.request("/api/v0/auth/2fa", { token: person.token }));
      expect(status.backup_codes_remaining).toBe(8);
    });

    it("makes exactly one session of one TOTP code sent on 20 challenges at once", async () => {
      const person = await verifiedPerson();
      const { secret } = await enrol(person);
      const challenges = [];
      for (let index = 0; index < 20; index++) challenges.push((await challengeOf(person)).challenge_token);
      const code = appCode(secret);
      const answers = await Promise.all(challenges.map((token) => secondFactor(token, "totp", code)));
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 400)).toHaveLength(19);
      const sessions = await server.database.db.selectFrom("sessions").select("id").where("user_id", "=", person.user.id).where("mfa_verified_at", "is not", null).execute();
      // The enrolling session and the one sign-in.
      expect(sessions).toHaveLength(2);
    });

    it("refuses bad input with its error codes and spends nothing for a malformed token", async () => {
      const person = await verifiedPerson();
      const { secret } = await enrol(person);
      const { challenge_token } = await challengeOf(person);
      const cases: Array<[unknown, number, string]> = [
        [{ challenge_token: "hch_short", method: "totp", code: "123456" }, 400, "login_challenge_invalid"],
        [{ challenge_token: `hmt_${challenge_token.slice(4)}`, method: "totp", code: "123456" }, 400, "login_challenge_invalid"],
        [{ challenge_token, method: "sms", code: "123456" }, 400, "invalid_request"],
        [{ challenge_token, method: "totp", code: 123456 }, 400, "invalid_request"],
        [{ challenge_token, method: "totp", code: "1".repeat(65) }, 400, "invalid_request"],
        [{ method: "totp", code: "123456" }, 400, "invalid_request"],
      ];
      for (const [json, status, code] of cases) {
        const response = await server.request("/api/v0/auth/login/second-factor", { json });
        expect([response.status, await errorCode(response)], JSON.stringify(json)).toEqual([status, code]);
      }
      const inUrl = await server.request(`/api/v0/auth/login/second-factor?challenge_token=${challenge_token}`, { json: { challenge_token, method: "totp", code: appCode(secret) } });
      expect([inUrl.status, await errorCode(inUrl)]).toEqual([400, "invalid_request"]);
      // Wrong-length and wrong-alphabet codes are refused without spending a try.
      for (const code of ["12345", "1234567", "abcdef", "", "ZZZZ-ZZZZ-ZZZZ-ZZZU", "K7P2-QR9M"]) {
        const response = await secondFactor(challenge_token, code.includes("-") ? "backup_code" : "totp", code);
        expect([response.status, await errorCode(response)], code).toEqual([400, "second_factor_invalid"]);
      }
      const wrong = appCode(secret) === "000000" ? "111111" : "000000";
      for (let attempt = 0; attempt < 4; attempt++) expect(await errorCode(await secondFactor(challenge_token, "totp", wrong))).toBe("second_factor_invalid");
      // Four real tries spent of five: the right code still works.
      expect((await secondFactor(challenge_token, "totp", appCode(secret))).status).toBe(200);
      const lines = server.logs.lines.join("\n");
      expect(lines).not.toContain(challenge_token);
      expect(lines).not.toContain(secret);
    });
  });

  describe.runIf(target.available)("approval from another signed-in device", () => {
    async function waitingSignIn(person: Person) {
      const { challenge_token, methods } = await challengeOf(person, { "user-agent": firefox });
      expect(methods).toContain("device_approval");
      const requested = await server.request("/api/v0/auth/login/approval-request", { json: { challenge_token } });
      expect(requested.status).toBe(200);
      const { approval_number } = await jsonBody<{ approval_number: string }>(requested);
      expect(approval_number).toMatch(/^[1-9]\d$/);
      return { challengeToken: challenge_token, number: approval_number };
    }
    const poll = (challengeToken: string) => server.request("/api/v0/auth/login/approval-status", { json: { challenge_token: challengeToken } });

    it("approves with the number the waiting device shows, which then gets its session once", async () => {
      const person = await verifiedPerson();
      await enrol(person);
      const waiting = await waitingSignIn(person);
      // Asking again answers the same number.
      const again = await jsonBody<{ approval_number: string }>(await server.request("/api/v0/auth/login/approval-request", { json: { challenge_token: waiting.challengeToken } }));
      expect(again.approval_number).toBe(waiting.number);
      expect(await jsonBody(await poll(waiting.challengeToken))).toMatchObject({ status: "pending", interval: 2 });

      const listed = await server.request("/api/v0/auth/approvals", { token: person.token });
      expect(listed.status).toBe(200);
      const { approvals } = await jsonBody<{ approvals: Array<{ id: string; device: string; first_factor: string }> }>(listed);
      expect(approvals).toHaveLength(1);
      expect(approvals[0]).toMatchObject({ device: "Firefox on Linux", first_factor: "password" });
      expect(JSON.stringify(approvals)).not.toContain(`"${waiting.number}"`);

      const approved = await server.request(`/api/v0/auth/approvals/${approvals[0]!.id}/approve`, { token: person.token, json: { number: waiting.number } });
      expect(approved.status).toBe(204);
      const twice = await server.request(`/api/v0/auth/approvals/${approvals[0]!.id}/reject`, { token: person.token, json: {} });
      expect([twice.status, await errorCode(twice)]).toEqual([409, "login_approval_already_decided"]);

      const delivered = await poll(waiting.challengeToken);
      expect(delivered.status).toBe(200);
      const { status, token } = await jsonBody<{ status: string; token: string }>(delivered);
      expect(status).toBe("approved");
      const session = await jsonBody<{ session: { second_factor_verified: boolean } }>(await server.request("/api/v0/auth/session", { token }));
      expect(session.session.second_factor_verified).toBe(true);
      const afterwards = await poll(waiting.challengeToken);
      expect([afterwards.status, await errorCode(afterwards)]).toEqual([400, "login_challenge_invalid"]);
      const succeeded = await server.database.store.audit.list({ action: "auth.login.succeeded" });
      expect(succeeded.at(-1)?.detail).toMatchObject({ second_factor: "device_approval" });
    });

    it("refuses the sign-in at a wrong number, delivers the refusal once, and a report blocks approvals for an hour", async () => {
      const person = await verifiedPerson();
      await enrol(person);
      const first = await waitingSignIn(person);
      const [{ id }] = (await jsonBody<{ approvals: Array<{ id: string }> }>(await server.request("/api/v0/auth/approvals", { token: person.token }))).approvals as [{ id: string }];
      const wrongNumber = first.number === "10" ? "11" : "10";
      const mismatch = await server.request(`/api/v0/auth/approvals/${id}/approve`, { token: person.token, json: { number: wrongNumber } });
      expect([mismatch.status, await errorCode(mismatch)]).toEqual([400, "approval_number_mismatch"]);
      const refused = await poll(first.challengeToken);
      expect([refused.status, await errorCode(refused)]).toEqual([403, "login_approval_rejected"]);
      expect(await errorCode(await poll(first.challengeToken))).toBe("login_challenge_invalid");

      const second = await waitingSignIn(person);
      const [{ id: secondId }] = (await jsonBody<{ approvals: Array<{ id: string }> }>(await server.request("/api/v0/auth/approvals", { token: person.token }))).approvals as [{ id: string }];
      const since = server.smtp.messages.length;
      expect((await server.request(`/api/v0/auth/approvals/${secondId}/reject`, { token: person.token, json: { report: true } })).status).toBe(204);
      expect((await server.smtp.waitForMail(person.email, since)).subject).toMatch(/refused a sign-in/i);
      expect(await errorCode(await poll(second.challengeToken))).toBe("login_approval_rejected");

      const third = await challengeOf(person);
      const blocked = await server.request("/api/v0/auth/login/approval-request", { json: { challenge_token: third.challenge_token } });
      expect([blocked.status, await errorCode(blocked)]).toEqual([409, "login_approval_unavailable"]);
    });

    it("lets only a session of the same account that passed two-step verification decide", async () => {
      const person = await verifiedPerson();
      await enrol(person);
      const stranger = await verifiedPerson();
      await enrol(stranger);
      await waitingSignIn(person);
      const [{ id }] = (await jsonBody<{ approvals: Array<{ id: string }> }>(await server.request("/api/v0/auth/approvals", { token: person.token }))).approvals as [{ id: string }];

      const foreign = await server.request(`/api/v0/auth/approvals/${id}/approve`, { token: stranger.token, json: { number: "42" } });
      expect([foreign.status, await errorCode(foreign)]).toEqual([404, "not_found"]);
      expect((await jsonBody<{ approvals: unknown[] }>(await server.request("/api/v0/auth/approvals", { token: stranger.token }))).approvals).toEqual([]);

      // A session that did not pass two-step verification (made before it was turned on, kept by choice).
      const other = await verifiedPerson();
      const older = (await jsonBody<{ token: string }>(await login(other))).token;
      const started = await jsonBody<{ secret: string }>(await server.request("/api/v0/auth/2fa/totp", { token: other.token, json: { password: other.password } }));
      await server.request("/api/v0/auth/2fa/totp/confirm", { token: other.token, json: { code: appCode(started.secret), revoke_other_sessions: false } });
      const notVerified = await server.request("/api/v0/auth/approvals", { token: older });
      expect([notVerified.status, await errorCode(notVerified)]).toEqual([403, "forbidden"]);
    });

    it("offers no approval to an account without an eligible device, and refuses approvals after expiry", async () => {
      const person = await verifiedPerson();
      await enrol(person);
      // Signing out the only verified session leaves no approver.
      await server.request("/api/v0/auth/logout", { token: person.token, method: "POST" });
      const { challenge_token, methods } = await challengeOf(person);
      expect(methods).toEqual(["totp", "backup_code"]);
      const unavailable = await server.request("/api/v0/auth/login/approval-request", { json: { challenge_token } });
      expect([unavailable.status, await errorCode(unavailable)]).toEqual([409, "login_approval_unavailable"]);
    });
  });

  describe.runIf(target.available)("password reset of an account with two-step verification", () => {
    it("needs a code as well as the mailed link, and leaves two-step verification on", async () => {
      const person = await verifiedPerson();
      const { secret } = await enrol(person);
      const since = server.smtp.messages.length;
      expect((await server.request("/api/v0/auth/password-reset", { json: { email: person.email } })).status).toBe(202);
      const mail = await server.smtp.waitForMail(person.email, since);
      const token = /#token=(hrt_[A-Za-z0-9_-]{43})/.exec(mail.raw)![1]!;
      expect(await jsonBody(await server.request("/api/v0/auth/password-reset/check", { json: { token } }))).toMatchObject({ second_factor_required: true });

      const newPassword = "a brand new passphrase";
      const complete = (extra: Record<string, unknown>) => server.request("/api/v0/auth/password-reset/complete", { json: { token, new_password: newPassword, ...extra } });
      const missing = await complete({});
      expect([missing.status, await errorCode(missing)]).toEqual([400, "second_factor_required"]);
      const wrong = await complete({ second_factor: { method: "totp", code: appCode(secret) === "000000" ? "111111" : "000000" } });
      expect([wrong.status, await errorCode(wrong)]).toEqual([400, "second_factor_invalid"]);
      expect((await complete({ second_factor: { method: "totp", code: appCode(secret) } })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: person.token })).status).toBe(401);
      const signIn = await server.request("/api/v0/auth/login", { json: { email: person.email, password: newPassword } });
      expect(signIn.status).toBe(202);
    });
  });

  describe.runIf(target.available)("disabling and new backup codes", () => {
    it("turns off with a code and the password, signs the other sessions out, and sign-in needs no second step", async () => {
      const person = await verifiedPerson();
      const { secret } = await enrol(person);
      const { challenge_token } = await challengeOf(person);
      const other = (await jsonBody<{ token: string }>(await secondFactor(challenge_token, "totp", appCode(secret)))).token;
      server.clock.advance(30_000);

      const noPassword = await server.request("/api/v0/auth/2fa/disable", { token: person.token, json: { method: "totp", code: appCode(secret) } });
      expect([noPassword.status, await errorCode(noPassword)]).toEqual([401, "invalid_credentials"]);
      const wrongCode = await server.request("/api/v0/auth/2fa/disable", { token: person.token, json: { method: "totp", code: appCode(secret) === "000000" ? "111111" : "000000", password: person.password } });
      expect([wrongCode.status, await errorCode(wrongCode)]).toEqual([400, "second_factor_invalid"]);
      const since = server.smtp.messages.length;
      const disabled = await server.request("/api/v0/auth/2fa/disable", { token: person.token, json: { method: "totp", code: appCode(secret), password: person.password } });
      expect(disabled.status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: other })).status).toBe(401);
      expect((await server.smtp.waitForMail(person.email, since)).subject).toMatch(/turned off/i);
      expect((await login(person)).status).toBe(200);
      const twice = await server.request("/api/v0/auth/2fa/disable", { token: person.token, json: { method: "totp", code: appCode(secret), password: person.password } });
      expect([twice.status, await errorCode(twice)]).toEqual([409, "second_factor_not_enabled"]);
    });

    it("makes ten new backup codes with a backup code; the old ones stop working", async () => {
      const person = await verifiedPerson();
      const { backupCodes } = await enrol(person);
      const regenerated = await server.request("/api/v0/auth/2fa/backup-codes", { token: person.token, json: { method: "backup_code", code: backupCodes[0], password: person.password } });
      expect(regenerated.status).toBe(200);
      expect(regenerated.headers.get("cache-control")).toBe("no-store");
      const fresh = (await jsonBody<{ backup_codes: string[] }>(regenerated)).backup_codes;
      expect(fresh).toHaveLength(10);
      const { challenge_token } = await challengeOf(person);
      expect(await errorCode(await secondFactor(challenge_token, "backup_code", backupCodes[1]!))).toBe("second_factor_invalid");
      expect((await secondFactor(challenge_token, "backup_code", fresh[0]!)).status).toBe(200);
    });

    it("refuses API tokens on every two-step route that changes something", async () => {
      const person = await verifiedPerson();
      const created = await server.request("/api/v0/auth/tokens", { token: person.token, json: { name: "ci", expires_in_days: 30 } });
      expect(created.status).toBe(201);
      const { token } = await jsonBody<{ token: string }>(created);
      for (const path of ["/api/v0/auth/2fa/totp", "/api/v0/auth/2fa/totp/confirm", "/api/v0/auth/2fa/disable", "/api/v0/auth/2fa/backup-codes"]) {
        const refused = await server.request(path, { token, json: { password: person.password, code: "123456", method: "totp" } });
        expect([refused.status, await errorCode(refused)], path).toEqual([403, "forbidden"]);
      }
    });
  });
});
