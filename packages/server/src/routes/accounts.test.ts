/**
 * Accounts through HTTP with real mail (an in-process SMTP server) on SQLite and PostgreSQL:
 * email codes, verification, the pre-hijack defence, passwords, limits and browser sessions.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServerWithMail, signUp } from "../test-support/harness.js";

reportSkippedPostgres();

type Server = Awaited<ReturnType<typeof createTestServerWithMail>>;

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe.each(databaseTargets)("accounts on $kind", (target) => {
  let server: Server;
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create());
  });
  /** Replaces the server with one that has these settings. */
  const restartWith = async (env: Record<string, string>) => {
    await server.close();
    server = await createTestServerWithMail(await target.create(), env);
  };
  afterEach(async () => {
    if (server) await server.close();
  });

  const requestCode = (email: string, ip?: string) => server.request("/api/v0/auth/email-code", { json: { email }, ...(ip ? { ip } : {}) });
  const verifyCode = (email: string, code: string, extra: Record<string, unknown> = {}) =>
    server.request("/api/v0/auth/email-code/verify", { json: { email, code, ...extra } });

  describe.skipIf(!target.available)("email addresses", () => {
    it("are refused with 400 on every route when malformed or holding invisible characters, and nothing is stored or sent", async () => {
      await signUp(server, "alice@example.com");
      await server.smtp.latestCode("alice@example.com"); // the verification mail has arrived
      const before = server.smtp.messages.length;
      for (const email of ["alice@example.com\u0000", "\u202ealice@example.com", "alice\u200b@example.com", "x@example..com", "' OR '1'='1", "a@b"]) {
        const routes: Array<[string, Record<string, unknown>]> = [
          ["/api/v0/auth/signup", { email, password: "lookalike passphrase 991" }],
          ["/api/v0/auth/login", { email, password: "lookalike passphrase 991" }],
          ["/api/v0/auth/email-code", { email }],
          ["/api/v0/auth/email-code/verify", { email, code: "12345678" }],
        ];
        for (const [path, json] of routes) {
          const response = await server.request(path, { json });
          expect(response.status, `${path} ${JSON.stringify(email)}`).toBe(400);
          const error = await errorOf(response);
          expect(error.code).toBe("invalid_request");
          expect(error.message).toContain("email");
        }
      }
      expect(server.smtp.messages.length).toBe(before);
      const users = await server.database.db.selectFrom("users").select("email").execute();
      expect(users.map((user) => user.email)).toEqual(["alice@example.com"]);
    });
  });

  describe.skipIf(!target.available)("email codes", () => {
    it("answer known and unknown addresses alike, and mail only the stored address", async () => {
      await signUp(server, "known@example.com");
      const known = await requestCode("  KNOWN@example.com ");
      const unknown = await requestCode("stranger@example.com");
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(await known.json()).toEqual(await unknown.json());
      const mail = await server.smtp.waitForMail("known@example.com", 1);
      expect(mail.subject).toMatch(/sign-in code: \d{8}$/);
      expect(mail.raw).toContain("http://localhost:8080");
      expect(server.smtp.messages.some((message) => message.to.includes("  KNOWN@example.com "))).toBe(false);
    });

    it("sign in once, creating a verified account on first use", async () => {
      await requestCode("new@example.com");
      const code = await server.smtp.latestCode("new@example.com");
      const response = await verifyCode("New@Example.com", code);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { token: string; user: { email: string; email_verified: boolean } };
      expect(body.user).toMatchObject({ email: "new@example.com", email_verified: true });
      expect((await server.request("/api/v0/auth/session", { token: body.token })).status).toBe(200);
      const again = await verifyCode("new@example.com", code);
      expect(again.status).toBe(400);
      expect((await errorOf(again)).code).toBe("email_code_invalid");
    });

    it("die after 5 wrong tries, even for the right code", async () => {
      await requestCode("five@example.com");
      const code = await server.smtp.latestCode("five@example.com");
      const wrong = code === "00000000" ? "11111111" : "00000000";
      for (let attempt = 0; attempt < 5; attempt++) expect((await verifyCode("five@example.com", wrong)).status).toBe(400);
      const right = await verifyCode("five@example.com", code);
      expect(right.status).toBe(400);
      expect((await errorOf(right)).code).toBe("email_code_invalid");
    });

    it("name the account that was tried in the audit record of a failure", async () => {
      const { user } = await signUp(server, "tried@example.com");
      await requestCode("tried@example.com");
      const code = await server.smtp.latestCode("tried@example.com");
      expect((await verifyCode("tried@example.com", code === "00000000" ? "11111111" : "00000000")).status).toBe(400);
      const failures = await server.database.store.audit.list({ action: "auth.email_code.failed" });
      expect(failures.map((event) => event.actorUserId)).toContain(user.id);
    });

    it("expire after 10 minutes", async () => {
      await requestCode("late@example.com");
      const code = await server.smtp.latestCode("late@example.com");
      server.clock.advance(10 * 60_000);
      expect((await verifyCode("late@example.com", code)).status).toBe(400);
    });

    it("are replaced by a new request", async () => {
      await requestCode("twice@example.com");
      const first = await server.smtp.latestCode("twice@example.com");
      await requestCode("twice@example.com");
      await server.smtp.waitForMail("twice@example.com", 1);
      const second = await server.smtp.latestCode("twice@example.com");
      if (first !== second) expect((await verifyCode("twice@example.com", first)).status).toBe(400);
      expect((await verifyCode("twice@example.com", second)).status).toBe(200);
    });

    it("limit sends per address", async () => {
      for (let index = 0; index < 5; index++) expect((await requestCode("busy@example.com", `192.0.2.${index}`)).status).toBe(202);
      const limited = await requestCode("busy@example.com", "192.0.2.99");
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    });

    it("never put a code in the log when mail goes out by SMTP", async () => {
      await requestCode("quiet@example.com");
      const code = await server.smtp.latestCode("quiet@example.com");
      await verifyCode("quiet@example.com", code);
      const signup = await signUp(server, "verify-quiet@example.com");
      const verification = await server.smtp.latestCode("verify-quiet@example.com");
      expect(server.logs.text).not.toContain(code);
      expect(server.logs.text).not.toContain(verification);
      expect(server.logs.text).not.toContain(signup.token);
    });
  });

  describe.skipIf(!target.available)("failed checks are counted per address across codes", () => {
    beforeEach(() => restartWith({ HARMONT_LIMIT_EMAIL_CODE_FAILURES: "7" }));

    it("so asking for a new code buys no extra guesses", async () => {
      await requestCode("guess@example.com");
      for (let attempt = 0; attempt < 5; attempt++) await verifyCode("guess@example.com", "00000000");
      await requestCode("guess@example.com");
      await server.smtp.waitForMail("guess@example.com", 1);
      const fresh = await server.smtp.latestCode("guess@example.com");
      for (let attempt = 0; attempt < 2; attempt++) await verifyCode("guess@example.com", fresh === "00000000" ? "11111111" : "00000000");
      const limited = await verifyCode("guess@example.com", fresh);
      expect(limited.status).toBe(429);
    });
  });

  describe.skipIf(!target.available)("verification and the pre-hijack defence", () => {
    it("verifies the address with the code mailed at sign-up, keeping password and sessions", async () => {
      const alice = await signUp(server, "alice@example.com");
      const code = await server.smtp.latestCode("alice@example.com");
      const wrong = await server.request("/api/v0/auth/email/verify", { json: { code: code === "12345678" ? "87654321" : "12345678" }, token: alice.token });
      expect((await errorOf(wrong)).code).toBe("email_code_invalid");
      const response = await server.request("/api/v0/auth/email/verify", { json: { code }, token: alice.token });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ email: "alice@example.com", email_verified: true });
      expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(200);
      expect((await server.request("/api/v0/auth/login", { json: { email: alice.email, password: alice.password } })).status).toBe(200);
    });

    it("takes a pre-registered account back for the mailbox owner", async () => {
      const attacker = await signUp(server, "victim@example.com", "attacker chosen password");
      await requestCode("victim@example.com");
      await server.smtp.waitForMail("victim@example.com", 1);
      const code = await server.smtp.latestCode("victim@example.com");
      const victim = await verifyCode("victim@example.com", code);
      expect(victim.status).toBe(200);
      const body = (await victim.json()) as { token: string; user: { id: string; email_verified: boolean } };
      expect(body.user.email_verified).toBe(true);
      expect(body.user.id).toBe(attacker.user.id);
      expect((await server.request("/api/v0/auth/session", { token: attacker.token })).status).toBe(401);
      expect((await server.request("/api/v0/auth/login", { json: { email: "victim@example.com", password: "attacker chosen password" } })).status).toBe(401);
      expect((await server.request("/api/v0/auth/session", { token: body.token })).status).toBe(200);
      const events = await server.database.store.audit.list({ action: "user.unverified_account_reclaimed" });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ target: attacker.user.id, detail: { password_cleared: true } });
    });

    it("leaves a verified account's password and sessions alone on email-code sign-in", async () => {
      const owner = await signUp(server, "owner@example.com");
      await server.request("/api/v0/auth/email/verify", { json: { code: await server.smtp.latestCode("owner@example.com") }, token: owner.token });
      const before = server.smtp.messages.length;
      await requestCode("owner@example.com");
      await server.smtp.waitForMail("owner@example.com", before);
      expect((await verifyCode("owner@example.com", await server.smtp.latestCode("owner@example.com"))).status).toBe(200);
      expect((await server.request("/api/v0/auth/session", { token: owner.token })).status).toBe(200);
      expect((await server.request("/api/v0/auth/login", { json: { email: owner.email, password: owner.password } })).status).toBe(200);
    });
  });

  describe.skipIf(!target.available)("passwords", () => {
    it("use every character: a 128-character password works and its first 72 bytes do not", async () => {
      const password = randomBytes(96).toString("base64url").slice(0, 128);
      expect(password).toHaveLength(128);
      await signUp(server, "long@example.com", password);
      expect((await server.request("/api/v0/auth/login", { json: { email: "long@example.com", password } })).status).toBe(200);
      expect((await server.request("/api/v0/auth/login", { json: { email: "long@example.com", password: password.slice(0, 72) } })).status).toBe(401);
    });

    it("refuse short, overlong and very common passwords with a message saying which", async () => {
      const attempt = async (password: string) => {
        const response = await server.request("/api/v0/auth/signup", { json: { email: `p${randomBytes(4).toString("hex")}@example.com`, password } });
        expect(response.status).toBe(400);
        const error = await errorOf(response);
        expect(error.code).toBe("password_rejected");
        return error.message;
      };
      expect(await attempt("short")).toMatch(/at least 8/);
      expect(await attempt("x".repeat(257))).toMatch(/at most 256/);
      expect(await attempt("password")).toMatch(/common/);
      expect(await attempt("Qwertyuiop")).toMatch(/common/);
    });

    it("run the dummy hash for an unknown email", async () => {
      let dummies = 0;
      const passwords = server.deps.auth.passwords;
      const original = passwords.verifyDummy.bind(passwords);
      passwords.verifyDummy = async (password) => {
        dummies++;
        return original(password);
      };
      await server.request("/api/v0/auth/login", { json: { email: "ghost@example.com", password: "whatever it is" } });
      expect(dummies).toBe(1);
      const known = await signUp(server);
      await server.request("/api/v0/auth/login", { json: { email: known.email, password: "not the right one" } });
      expect(dummies).toBe(1);
    });

    it("change: checks the current one, signs out the others, kills pending handoffs and mails a notice", async () => {
      const alice = await signUp(server, "change@example.com");
      const other = ((await (await server.request("/api/v0/auth/login", { json: { email: alice.email, password: alice.password } })).json()) as {
        token: string;
      }).token;
      const nonce = randomBytes(32).toString("base64url");
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: other });

      const wrong = await server.request("/api/v0/auth/password", { json: { current_password: "not it at all", new_password: "a brand new passphrase" }, token: alice.token });
      expect(wrong.status).toBe(401);
      const common = await server.request("/api/v0/auth/password", { json: { current_password: alice.password, new_password: "password" }, token: alice.token });
      expect((await errorOf(common)).code).toBe("password_rejected");

      const before = server.smtp.messages.length;
      const changed = await server.request("/api/v0/auth/password", { json: { current_password: alice.password, new_password: "a brand new passphrase" }, token: alice.token });
      expect(changed.status).toBe(204);
      expect((await server.request("/api/v0/auth/session", { token: alice.token })).status).toBe(200);
      expect((await server.request("/api/v0/auth/session", { token: other })).status).toBe(401);
      expect((await server.request("/api/v0/auth/cli/claim", { json: { nonce } })).status).toBe(400);
      expect((await server.smtp.waitForMail("change@example.com", before)).subject).toMatch(/password was changed/);
      expect((await server.request("/api/v0/auth/login", { json: { email: alice.email, password: alice.password } })).status).toBe(401);
      expect((await server.request("/api/v0/auth/login", { json: { email: alice.email, password: "a brand new passphrase" } })).status).toBe(200);
    });
  });

  describe.skipIf(!target.available)("sign-in limits per account", () => {
    beforeEach(() => restartWith({ HARMONT_LIMIT_LOGIN_FAILURES: "3", HARMONT_LOGIN_COOLDOWN: "1s" }));

    it("cool down an account attacked from many IPs, never for good, and leave email codes working", async () => {
      const alice = await signUp(server, "target@example.com");
      // Verified, so the email-code sign-in below keeps the password (see the pre-hijack defence).
      await server.request("/api/v0/auth/email/verify", { json: { code: await server.smtp.latestCode(alice.email) }, token: alice.token });
      for (let index = 0; index < 3; index++) {
        const response = await server.request("/api/v0/auth/login", { json: { email: alice.email, password: "guess guess guess" }, ip: `203.0.113.${index}` });
        expect(response.status).toBe(401);
      }
      const limited = await server.request("/api/v0/auth/login", { json: { email: alice.email, password: alice.password }, ip: "203.0.113.50" });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      const spoofed = await server.request("/api/v0/auth/login", {
        json: { email: alice.email, password: alice.password },
        ip: "203.0.113.51",
        headers: { "x-forwarded-for": "198.51.100.200" },
      });
      expect(spoofed.status).toBe(429);

      const before = server.smtp.messages.length;
      await requestCode(alice.email);
      await server.smtp.waitForMail(alice.email, before);
      expect((await verifyCode(alice.email, await server.smtp.latestCode(alice.email))).status).toBe(200);

      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await server.request("/api/v0/auth/login", { json: { email: alice.email, password: alice.password } })).status).toBe(200);
    });

    it("count consecutive failures: a success starts the count again", async () => {
      const bob = await signUp(server, "bob@example.com");
      const fail = () => server.request("/api/v0/auth/login", { json: { email: bob.email, password: "wrong wrong wrong" } });
      await fail();
      await fail();
      expect((await server.request("/api/v0/auth/login", { json: { email: bob.email, password: bob.password } })).status).toBe(200);
      expect((await fail()).status).toBe(401);
      expect((await fail()).status).toBe(401);
    });

    it("apply to unknown addresses too, so a 429 says nothing about existence", async () => {
      for (let index = 0; index < 3; index++) await server.request("/api/v0/auth/login", { json: { email: "nobody@example.com", password: "guess guess guess" } });
      expect((await server.request("/api/v0/auth/login", { json: { email: "nobody@example.com", password: "guess guess guess" } })).status).toBe(429);
    });
  });

  describe.skipIf(!target.available)("browser sessions", () => {
    const cookieOf = (response: Response) => {
      const header = response.headers.get("set-cookie") ?? "";
      return { header, pair: header.split(";")[0]! };
    };

    it("put the session in an HttpOnly cookie, never in the body", async () => {
      const response = await server.request("/api/v0/auth/signup", { json: { email: "web@example.com", password: "correct horse battery", session: "cookie" } });
      expect(response.status).toBe(201);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body.token).toBeUndefined();
      const { header, pair } = cookieOf(response);
      expect(pair).toMatch(/^harmont_session=hmt_[A-Za-z0-9_-]{43}$/);
      expect(header).toMatch(/HttpOnly/);
      expect(header).toMatch(/SameSite=Lax/);
      expect(header).toMatch(/Path=\//);
      expect(header).not.toMatch(/Secure/);
      const session = await server.request("/api/v0/auth/session", { headers: { cookie: pair } });
      expect(session.status).toBe(200);
    });

    it("refuse cookie-authenticated changes without an allowed Origin (CSRF)", async () => {
      const response = await server.request("/api/v0/auth/login", { json: { email: (await signUp(server, "csrf@example.com")).email, password: "correct horse battery staple", session: "cookie" } });
      const { pair } = cookieOf(response);
      const nonce = randomBytes(32).toString("base64url");
      const noOrigin = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, headers: { cookie: pair } });
      expect(noOrigin.status).toBe(403);
      expect((await errorOf(noOrigin)).code).toBe("forbidden");
      const evil = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, headers: { cookie: pair, origin: "https://evil.example.net" } });
      expect(evil.status).toBe(403);
      const good = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, headers: { cookie: pair, origin: "http://localhost:8080" } });
      expect(good.status).toBe(204);
    });

    it("log out with the cookie and clear it", async () => {
      const response = await server.request("/api/v0/auth/signup", { json: { email: "bye@example.com", password: "correct horse battery", session: "cookie" } });
      const { pair } = cookieOf(response);
      const refused = await server.request("/api/v0/auth/logout", { method: "POST", headers: { cookie: pair } });
      expect(refused.status).toBe(403);
      const logout = await server.request("/api/v0/auth/logout", { method: "POST", headers: { cookie: pair, origin: "http://localhost:8080" } });
      expect(logout.status).toBe(204);
      expect(logout.headers.get("set-cookie")).toMatch(/^harmont_session=;.*Max-Age=0/);
      expect((await server.request("/api/v0/auth/session", { headers: { cookie: pair } })).status).toBe(401);
    });
  });
});

describe("browser sessions behind https", () => {
  it("mark the cookie Secure with the __Host- prefix", async () => {
    const target = databaseTargets[0]!;
    const server = await createTestServerWithMail(await target.create(), {
      HARMONT_PUBLIC_URL: "https://auth.example.com",
      HARMONT_SECRET_KEY: randomBytes(32).toString("base64url"),
    });
    try {
      const response = await server.request("/api/v0/auth/signup", { json: { email: "secure@example.com", password: "correct horse battery", session: "cookie" } });
      const header = response.headers.get("set-cookie") ?? "";
      expect(header).toMatch(/^__Host-harmont_session=hmt_/);
      expect(header).toMatch(/Secure/);
      const mail = await server.smtp.waitForMail("secure@example.com");
      expect(mail.raw).toContain("https://auth.example.com");
    } finally {
      await server.close();
    }
  });
});
