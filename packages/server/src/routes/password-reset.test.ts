/** Password reset through HTTP, on both databases, with the mail read from a real SMTP server. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServerWithMail, signUp, type TestServer, errorCode } from "../test-support/harness.js";
import type { TestSmtpServer } from "../test-support/smtp.js";

reportSkippedPostgres();

type Server = TestServer & { smtp: TestSmtpServer };
const NEW_PASSWORD = "a completely new passphrase";

describe.each(databaseTargets)("password reset on $kind", (target) => {
  let server: Server;
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create(), { HARMONT_PUBLIC_URL: "https://auth.example.com", HARMONT_ENV: "development" });
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  /** Asks for a link for `email` and returns the mail that came. */
  async function requestLink(email: string, headers: Record<string, string> = {}) {
    const since = server.smtp.messages.length;
    const response = await server.request("/api/v0/auth/password-reset", { json: { email }, headers });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "sent", expires_in: 1800 });
    return server.smtp.waitForMail(email.trim().toLowerCase(), since);
  }
  const tokenOf = (raw: string) => /#token=(hrt_[A-Za-z0-9_-]{43})/.exec(raw.replace(/=\r?\n/g, ""))?.[1] ?? null;

  describe.skipIf(!target.available)("the whole flow", () => {
    it("mails a link from the public URL (never the Host), checks it without using it, and completes it once", async () => {
      const { email, token, password } = await signUp(server);
      const mail = await requestLink(email, { host: "evil.example.net" });
      const resetToken = tokenOf(mail.raw);
      expect(resetToken).not.toBeNull();
      expect(mail.raw.replace(/=\r?\n/g, "")).toContain(`https://auth.example.com/reset-password#token=${resetToken}`);
      expect(mail.raw).not.toContain("evil.example.net");
      expect(server.logs.text).not.toContain(resetToken!);

      // Checking (as a mail scanner would, twice) uses nothing up.
      for (let index = 0; index < 2; index++) {
        const check = await server.request("/api/v0/auth/password-reset/check", { json: { token: resetToken } });
        expect(check.status).toBe(200);
        expect(await check.json()).toMatchObject({ email_hint: `${email[0]}***@example.com`, second_factor_required: false });
      }
      // A password the policy refuses spends nothing either.
      const weak = await server.request("/api/v0/auth/password-reset/complete", { json: { token: resetToken, new_password: "short" } });
      expect(await errorCode(weak)).toBe("password_rejected");

      const done = await server.request("/api/v0/auth/password-reset/complete", { json: { token: resetToken, new_password: NEW_PASSWORD } });
      expect(done.status).toBe(204);
      expect(await done.text()).toBe("");
      // Every session is gone; nobody was signed in; the old password fails and the new one works.
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
      expect((await server.request("/api/v0/auth/login", { json: { email, password } })).status).toBe(401);
      expect((await server.request("/api/v0/auth/login", { json: { email, password: NEW_PASSWORD } })).status).toBe(200);
      await expect.poll(() => server.smtp.messages.some((message) => message.to.includes(email) && message.subject === "Your Harmont password was reset")).toBe(true);

      const again = await server.request("/api/v0/auth/password-reset/complete", { json: { token: resetToken, new_password: "yet another passphrase" } });
      expect(await errorCode(again)).toBe("password_reset_invalid");
      expect(await errorCode(await server.request("/api/v0/auth/password-reset/check", { json: { token: resetToken } }))).toBe("password_reset_invalid");
    });

    it("answers an unknown address the same, with a no-account mail and no link", async () => {
      const mail = await requestLink("Nobody@Example.com");
      expect(mail.subject).toBe("Reset your Harmont password");
      expect(mail.raw).toContain("there is no account for it");
      expect(tokenOf(mail.raw)).toBeNull();
    });

    it("revokes API tokens and CLI sessions too, and verifies the address", async () => {
      const { email, token } = await signUp(server);
      const made = (await (await server.request("/api/v0/auth/tokens", { token, json: { name: "ci", expires_in_days: 30 } })).json()) as { token: string };
      const resetToken = tokenOf((await requestLink(email)).raw)!;
      expect((await server.request("/api/v0/auth/password-reset/complete", { json: { token: resetToken, new_password: NEW_PASSWORD } })).status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: made.token })).status).toBe(401);
      const login = (await (await server.request("/api/v0/auth/login", { json: { email, password: NEW_PASSWORD } })).json()) as { user: { email_verified: boolean } };
      expect(login.user.email_verified).toBe(true);
    });
  });

  describe.skipIf(!target.available)("single use and limits", () => {
    it("a newer link voids the older; a link expires after 30 minutes; a made-up token does nothing", async () => {
      const { email } = await signUp(server);
      const first = tokenOf((await requestLink(email)).raw)!;
      const second = tokenOf((await requestLink(email)).raw)!;
      expect(await errorCode(await server.request("/api/v0/auth/password-reset/check", { json: { token: first } }))).toBe("password_reset_invalid");
      expect((await server.request("/api/v0/auth/password-reset/check", { json: { token: second } })).status).toBe(200);
      server.clock.advance(30 * 60_000);
      expect(await errorCode(await server.request("/api/v0/auth/password-reset/check", { json: { token: second } }))).toBe("password_reset_invalid");

      for (const token of ["", "hrt_short", `hmt_${"A".repeat(43)}`, `hrt_${"A".repeat(43)}`]) {
        const response = await server.request("/api/v0/auth/password-reset/complete", { json: { token, new_password: NEW_PASSWORD } });
        expect({ token, code: await errorCode(response) }).toEqual({ token, code: "password_reset_invalid" });
      }
    });

    it("of 20 concurrent completions of one link, exactly one succeeds", async () => {
      const { email } = await signUp(server);
      const resetToken = tokenOf((await requestLink(email)).raw)!;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => server.request("/api/v0/auth/password-reset/complete", { json: { token: resetToken, new_password: `${NEW_PASSWORD} ${index}` } })),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([204, ...Array<number>(19).fill(400)]);
    });

    it("limits requests per address, known or not, and refuses what is not an address", async () => {
      for (let index = 0; index < 3; index++) await requestLink("someone@example.com");
      expect((await server.request("/api/v0/auth/password-reset", { json: { email: "someone@example.com" } })).status).toBe(429);
      for (const json of [{ email: "not-an-address" }, {}, { email: 42 }]) {
        expect((await server.request("/api/v0/auth/password-reset", { json })).status).toBe(400);
      }
    });
  });
});
