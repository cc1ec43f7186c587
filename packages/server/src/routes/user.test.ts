/**
 * The account page's API through HTTP: the profile, the new-CLI-session notice, sessions with
 * their device and address, and deleting the account with its grace period.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { purgeExpiredRecords } from "../auth/maintenance.js";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { cliLogin, createTestServerWithMail, signUp, type TestServer, errorCode } from "../test-support/harness.js";
import type { TestSmtpServer } from "../test-support/smtp.js";

reportSkippedPostgres();

const DAY = 24 * 60 * 60 * 1000;
const chromeOnLinux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

type Server = TestServer & { smtp: TestSmtpServer };

function mailsTo(server: Server, email: string, subject: string) {
  return server.smtp.messages.filter((mail) => mail.to.includes(email) && mail.subject === subject);
}

describe.each(databaseTargets)("the account on $kind", (target) => {
  let server: Server;
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create());
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  describe.skipIf(!target.available)("the profile", () => {
    it("changes and removes the display name; bad input is refused and changes nothing", async () => {
      const { token } = await signUp(server);
      const changed = await server.request("/api/v0/user", { method: "PATCH", token, json: { name: "  Ada\u202e Lovelace " } });
      expect(changed.status).toBe(200);
      expect(((await changed.json()) as { user: { name: string } }).user.name).toBe("Ada Lovelace");
      expect(((await (await server.request("/api/v0/user", { token })).json()) as { name: string }).name).toBe("Ada Lovelace");

      for (const body of [{ name: 42 }, { name: "x".repeat(101) }, { notify_new_cli_sessions: "no" }]) {
        const response = await server.request("/api/v0/user", { method: "PATCH", token, json: body });
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
      }
      expect(((await (await server.request("/api/v0/user", { token })).json()) as { name: string }).name).toBe("Ada Lovelace");

      const removed = await server.request("/api/v0/user", { method: "PATCH", token, json: { name: null } });
      expect(((await removed.json()) as { user: { name: string | null } }).user.name).toBeNull();
    });

    it("an API token can read the user but not change it", async () => {
      const { token } = await signUp(server);
      const made = (await (await server.request("/api/v0/auth/tokens", { token, json: { name: "ci", expires_in_days: 1 } })).json()) as { token: string };
      const refused = await server.request("/api/v0/user", { method: "PATCH", token: made.token, json: { name: "Mallory" } });
      expect(refused.status).toBe(403);
      const deletion = await server.request("/api/v0/user/deletion", { token: made.token, json: {} });
      expect(deletion.status).toBe(403);
      expect((await server.request("/api/v0/user", { token: made.token })).status).toBe(200);
    });
  });

  describe.skipIf(!target.available)("new CLI sessions", () => {
    it("mail a notice naming the session and where it came from, unless turned off", async () => {
      const { token, email } = await signUp(server);
      const subject = "A new CLI session was created for your Harmont account";
      await cliLogin(server, token);
      await expect.poll(() => mailsTo(server, email, subject).length).toBe(1);
      const mail = mailsTo(server, email, subject)[0]!;
      expect(mail.raw).toContain("harmont CLI on build-box");
      expect(mail.raw).toContain("198.51.100.20");

      const off = await server.request("/api/v0/user", { method: "PATCH", token, json: { notify_new_cli_sessions: false } });
      expect(((await off.json()) as { settings: { notify_new_cli_sessions: boolean } }).settings.notify_new_cli_sessions).toBe(false);
      expect(await (await server.request("/api/v0/user/settings", { token })).json()).toEqual({ notify_new_cli_sessions: false, deletion_due_at: null });
      await cliLogin(server, token);
      // The notice would have been sent before the redeem answered; give a stray one time to show.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(mailsTo(server, email, subject)).toHaveLength(1);
    });
  });

  describe.skipIf(!target.available)("sessions", () => {
    it("say which device and address they were last used from", async () => {
      const signup = await server.request("/api/v0/auth/signup", {
        json: { email: "ada@example.com", password: "correct horse battery staple" },
        headers: { "user-agent": chromeOnLinux },
        ip: "203.0.113.7",
      });
      const { token } = (await signup.json()) as { token: string };
      // Used two minutes later from elsewhere: the address is recorded with the use.
      server.clock.advance(2 * 60_000);
      await server.request("/api/v0/auth/session", { token, ip: "192.0.2.99" });
      const listed = (await (await server.request("/api/v0/auth/sessions", { token })).json()) as { sessions: Array<{ device: string | null; ip: string | null }> };
      expect(listed.sessions[0]).toMatchObject({ device: "Chrome on Linux", ip: "192.0.2.99" });
    });
  });

  describe.skipIf(!target.available)("deleting the account", () => {
    it("needs the password, revokes everything at once, and deletes the account when the grace period ends", async () => {
      const { token, email, password } = await signUp(server);
      const cli = await cliLogin(server, token);
      const apiToken = ((await (await server.request("/api/v0/auth/tokens", { token, json: { name: "ci", expires_in_days: 30 } })).json()) as { token: string }).token;

      const wrong = await server.request("/api/v0/user/deletion", { token, json: { password: "not the password" } });
      expect(wrong.status).toBe(401);
      expect(await errorCode(wrong)).toBe("invalid_credentials");
      const missing = await server.request("/api/v0/user/deletion", { token, json: {} });
      expect(missing.status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(200);

      const deleted = await server.request("/api/v0/user/deletion", { token, json: { password } });
      expect(deleted.status).toBe(200);
      const body = (await deleted.json()) as { state: string; due_at: string };
      expect(body.state).toBe("scheduled");
      expect(Date.parse(body.due_at) - server.clock.now()).toBe(7 * DAY);
      for (const each of [token, cli, apiToken]) expect((await server.request("/api/v0/auth/session", { token: each })).status).toBe(401);
      await expect.poll(() => mailsTo(server, email, "Your Harmont account will be deleted").length).toBe(1);

      // Until then the address stays taken; afterwards the clean-up deletes the account.
      server.clock.advance(7 * DAY - 1);
      expect((await purgeExpiredRecords(server.deps.auth)).accounts).toBe(0);
      server.clock.advance(1);
      expect((await purgeExpiredRecords(server.deps.auth)).accounts).toBe(1);
      expect((await server.request("/api/v0/auth/login", { json: { email, password } })).status).toBe(401);
      expect((await server.request("/api/v0/auth/signup", { json: { email, password } })).status).toBe(201);
    });

    it("a sign-in during the grace period keeps the account", async () => {
      const { token, email, password } = await signUp(server);
      expect((await server.request("/api/v0/user/deletion", { token, json: { password } })).status).toBe(200);
      server.clock.advance(3 * DAY);
      const login = await server.request("/api/v0/auth/login", { json: { email, password } });
      expect(login.status).toBe(200);
      const { token: again } = (await login.json()) as { token: string };
      expect(await (await server.request("/api/v0/user/settings", { token: again })).json()).toMatchObject({ deletion_due_at: null });
      await expect.poll(() => mailsTo(server, email, "Your Harmont account will not be deleted").length).toBe(1);
      server.clock.advance(30 * DAY);
      expect((await purgeExpiredRecords(server.deps.auth)).accounts).toBe(0);
    });

    it("with no grace period, deletes the account at once", async () => {
      await server.close();
      server = await createTestServerWithMail(await target.create(), { HARMONT_ACCOUNT_DELETION_GRACE: "0" });
      const { token, email, password } = await signUp(server);
      const deleted = await server.request("/api/v0/user/deletion", { token, json: { password } });
      expect(await deleted.json()).toEqual({ state: "deleted", due_at: null });
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
      expect((await server.request("/api/v0/auth/signup", { json: { email, password } })).status).toBe(201);
    });

    it("an account without a password needs a fresh sign-in", async () => {
      const email = "codes-only@example.com";
      expect((await server.request("/api/v0/auth/email-code", { json: { email } })).status).toBe(202);
      const code = await server.smtp.latestCode(email);
      const signedIn = await server.request("/api/v0/auth/email-code/verify", { json: { email, code } });
      const { token } = (await signedIn.json()) as { token: string };
      server.clock.advance(16 * 60_000);
      const stale = await server.request("/api/v0/user/deletion", { token, json: {} });
      expect(stale.status).toBe(403);
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(200);
    });
  });
});
