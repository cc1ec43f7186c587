/**
 * The CLI → browser handoff through HTTP, on both databases, with a fake clock: who may mint a
 * code, what inspecting shows and spends (nothing), the browser session consuming makes (a web
 * child of the CLI session, never fresh, never outliving it, dying with it), what happens to a
 * browser already signed in, single use under concurrency, and bad input.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFresh } from "../auth/sessions.js";
import { hashSecret } from "../auth/tokens.js";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { cliLogin, createTestServerWithMail, errorCode, jsonBody, signUp, type TestServer } from "../test-support/harness.js";
import type { TestSmtpServer } from "../test-support/smtp.js";

reportSkippedPostgres();

type Server = TestServer & { smtp: TestSmtpServer };
const DAY = 24 * 60 * 60 * 1000;
const codePattern = /^hbt_[A-Za-z0-9_-]{43}$/;

describe.each(databaseTargets)("the CLI → browser handoff on $kind", (target) => {
  let server: Server;
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create(), { HARMONT_LIMIT_SIGNUP_PER_IP: "0" });
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  const mint = (cliToken: string) => server.request("/api/v0/auth/cli/browser-token", { method: "POST", token: cliToken });
  async function mintCode(cliToken: string) {
    const minted = await mint(cliToken);
    expect(minted.status).toBe(200);
    return jsonBody<{ code: string; url: string; expires_at: string }>(minted);
  }
  const inspect = (code: unknown) => server.request("/api/v0/auth/cli/browser-token/inspect", { json: { code } });
  const consume = (code: unknown, cookieToken?: string) =>
    server.request("/api/v0/auth/cli/browser-token/consume", { json: { code }, headers: cookieToken ? { cookie: `harmont_session=${cookieToken}` } : {} });
  /** The session token a consume answer set in the cookie. */
  function cookieTokenOf(response: Response): string {
    const match = /harmont_session=(hmt_[A-Za-z0-9_-]{43});/.exec(response.headers.get("set-cookie") ?? "");
    if (!match) throw new Error(`no session cookie in ${response.headers.get("set-cookie")}`);
    return match[1]!;
  }
  const sessionOf = (token: string) => server.request("/api/v0/auth/session", { headers: { cookie: `harmont_session=${token}` } });

  describe.runIf(target.available)("minting", () => {
    it("is for CLI sessions only, answers a 60-second code in the URL's fragment, and is limited to 10 a minute", async () => {
      const ada = await signUp(server);
      const refusedWeb = await mint(ada.token);
      expect([refusedWeb.status, await errorCode(refusedWeb)]).toEqual([403, "forbidden"]);
      expect((await server.request("/api/v0/auth/cli/browser-token", { method: "POST" })).status).toBe(401);
      const apiToken = await jsonBody<{ token: string }>(await server.request("/api/v0/auth/tokens", { token: ada.token, json: { name: "ci", expires_in_days: 30 } }));
      expect(apiToken.token).toMatch(/^hma_/);
      expect((await mint(apiToken.token)).status).toBe(403);

      const cli = await cliLogin(server, ada.token);
      const minted = await mint(cli);
      expect(minted.headers.get("cache-control")).toBe("no-store");
      const body = await jsonBody<{ code: string; url: string; expires_at: string }>(minted);
      expect(body.code).toMatch(codePattern);
      expect(body.url).toBe(`${server.config.publicUrl.origin}/cli-open#code=${body.code}`);
      expect(Date.parse(body.expires_at)).toBe(server.clock.now() + 60_000);
      // Stored as its hash, owned by the CLI session.
      const grant = await server.database.store.grants.findLive("cli_browser_token", hashSecret(body.code), server.clock.now());
      expect(grant?.state).toBe("approved");
      expect(server.logs.text).not.toContain(body.code);

      for (let index = 0; index < 9; index++) await mintCode(cli);
      const limited = await mint(cli);
      expect([limited.status, await errorCode(limited)]).toEqual([429, "rate_limited"]);
      expect(await server.database.store.audit.list({ action: "cli.browser_token.created" })).toHaveLength(10);
    });
  });

  describe.runIf(target.available)("inspecting and consuming", () => {
    it("shows whose code it is without spending it, then trades it once for a browser session that is a child of the CLI session", async () => {
      const ada = await signUp(server);
      const cli = await cliLogin(server, ada.token, "198.51.100.20", "harmont CLI on ada-laptop");
      const { code } = await mintCode(cli);

      for (let look = 0; look < 2; look++) {
        const seen = await inspect(code);
        expect(seen.status).toBe(200);
        const body = await jsonBody<{ user: { email: string }; cli_session: { name: string } }>(seen);
        expect(body.user.email).toBe(ada.email);
        expect(body.cli_session.name).toBe("harmont CLI on ada-laptop");
      }

      const consumed = await consume(code);
      expect(consumed.status).toBe(200);
      expect(consumed.headers.get("cache-control")).toBe("no-store");
      expect(consumed.headers.get("set-cookie")).toMatch(/HttpOnly/);
      const body = await jsonBody<{ user: { email: string }; session_created: boolean; token?: string }>(consumed);
      expect(body).toMatchObject({ user: { email: ada.email }, session_created: true });
      expect(JSON.stringify(body)).not.toMatch(/hmt_/);

      const browser = cookieTokenOf(consumed);
      const current = await jsonBody<{ session: { kind: string; name: string; parent_session_id: string } }>(await sessionOf(browser));
      const cliSession = await jsonBody<{ session: { id: string } }>(await server.request("/api/v0/auth/session", { token: cli }));
      expect(current.session).toMatchObject({ kind: "web", name: "Web session (opened from harmont CLI on ada-laptop)", parent_session_id: cliSession.session.id });

      const again = await consume(code);
      expect([again.status, await errorCode(again)]).toEqual([400, "cli_browser_token_invalid"]);
      expect((await inspect(code)).status).toBe(400);
      const audit = await server.database.store.audit.list({ action: "cli.browser_token.consumed" });
      expect(audit.map((event) => event.detail?.cli_session_id)).toEqual([cliSession.session.id]);
      expect(server.logs.text).not.toContain(code);
      expect(server.logs.text).not.toContain(browser);
    });

    it("makes a session that is never fresh, never outlives the CLI session, and dies with it", async () => {
      const ada = await signUp(server);
      const cli = await cliLogin(server, ada.token);
      // The CLI session lives 90 days at most: keep it in use until only 10 days are left.
      for (let days = 0; days < 80; days += 20) {
        server.clock.advance(20 * DAY);
        expect((await server.request("/api/v0/auth/session", { token: cli })).status).toBe(200);
      }
      const cliSession = (await server.database.store.sessions.findWithUserByTokenHash(hashSecret(cli)))!.session;
      const browser = cookieTokenOf(await consume((await mintCode(cli)).code));
      const made = (await server.database.store.sessions.findWithUserByTokenHash(hashSecret(browser)))!.session;
      expect(made.absoluteExpiresAt).toBe(cliSession.absoluteExpiresAt);
      expect(made.authenticatedAt).toBeNull();
      expect(isFresh(made, server.clock.now())).toBe(false);

      // A code minted before the CLI session is signed out is dead with it, and so is the browser.
      const pending = (await mintCode(cli)).code;
      expect((await server.request("/api/v0/auth/logout", { method: "POST", token: cli })).status).toBe(204);
      expect((await sessionOf(browser)).status).toBe(401);
      expect((await consume(pending)).status).toBe(400);
      expect((await inspect(pending)).status).toBe(400);
    });

    it("lives 60 seconds", async () => {
      const ada = await signUp(server);
      const { code } = await mintCode(await cliLogin(server, ada.token));
      server.clock.advance(60_000);
      expect([(await inspect(code)).status, (await consume(code)).status]).toEqual([400, 400]);
    });

    it("keeps a browser signed in as the same account, and signs another account out before replacing it", async () => {
      const ada = await signUp(server);
      const bob = await signUp(server);
      const cli = await cliLogin(server, ada.token);
      const login = (who: { email: string; password: string }) =>
        server.request("/api/v0/auth/login", { json: { email: who.email, password: who.password, session: "cookie" } });

      const adaBrowser = cookieTokenOf(await login(ada));
      const kept = await consume((await mintCode(cli)).code, adaBrowser);
      expect(await jsonBody(kept)).toMatchObject({ session_created: false });
      expect(kept.headers.get("set-cookie")).toBeNull();
      expect((await sessionOf(adaBrowser)).status).toBe(200);

      const bobBrowser = cookieTokenOf(await login(bob));
      const replaced = await consume((await mintCode(cli)).code, bobBrowser);
      expect(await jsonBody(replaced)).toMatchObject({ user: { email: ada.email }, session_created: true });
      expect((await sessionOf(bobBrowser)).status).toBe(401);
      const now = await jsonBody<{ user: { email: string } }>(await sessionOf(cookieTokenOf(replaced)));
      expect(now.user.email).toBe(ada.email);
      const logouts = await server.database.store.audit.list({ action: "session.logout" });
      expect(logouts.map((event) => [event.actorUserId, event.detail?.reason])).toEqual([[bob.user.id, "replaced_by_cli_browser_token"]]);
    });

    it("gives one browser session to exactly one of 20 concurrent consumes", async () => {
      const ada = await signUp(server);
      const { code } = await mintCode(await cliLogin(server, ada.token));
      const answers = await Promise.all(Array.from({ length: 20 }, () => consume(code)));
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([200, ...Array<number>(19).fill(400)]);
      const sessions = await server.database.store.sessions.listByUser(ada.user.id);
      expect(sessions.filter((session) => session.name.startsWith("Web session (opened from"))).toHaveLength(1);
    });

    it("answers bad input with its error and changes nothing", async () => {
      const ada = await signUp(server);
      const { code } = await mintCode(await cliLogin(server, ada.token));
      const bad: Array<[unknown, number, string]> = [
        [5, 400, "invalid_request"],
        [null, 400, "invalid_request"],
        ["hbt_short", 400, "cli_browser_token_invalid"],
        [`hmt_${code.slice(4)}`, 400, "cli_browser_token_invalid"],
        ["x".repeat(300), 400, "invalid_request"],
      ];
      for (const [value, status, expected] of bad) {
        for (const call of [inspect, consume]) {
          const answer = await call(value);
          expect([answer.status, await errorCode(answer)], String(value)).toEqual([status, expected]);
        }
      }
      const notJson = await server.request("/api/v0/auth/cli/browser-token/consume", { method: "POST", body: `code=${code}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(notJson.status).toBe(415);
      // The code is not a session token: it authenticates nothing.
      expect((await server.request("/api/v0/auth/session", { token: code })).status).toBe(401);
      expect((await consume(code)).status).toBe(200);
    });
  });
});
