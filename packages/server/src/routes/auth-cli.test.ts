/**
 * The seed's CLI login endpoints through HTTP, on SQLite and (when configured) PostgreSQL:
 * transfer → claim, deny, paste code → redeem, and every miss answering alike.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashSecret } from "../auth/tokens.js";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServer, signUp, type TestServer, errorCode } from "../test-support/harness.js";

reportSkippedPostgres();

const newNonce = () => randomBytes(32).toString("base64url");

describe.each(databaseTargets)("CLI login on $kind", (target) => {
  let server: TestServer;

  beforeEach(async () => {
    if (!target.available) return;
    server = await createTestServer(await target.create());
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  describe.skipIf(!target.available)("transfer → claim", () => {
    it("hands a new CLI session (not the browser's own) to the claimer, once", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      const transfer = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
      expect(transfer.status).toBe(204);
      expect(await transfer.text()).toBe("");

      const claim = await server.request("/api/v0/auth/cli/claim", { json: { nonce, name: "harmont CLI on ada-laptop" } });
      expect(claim.status).toBe(200);
      expect(claim.headers.get("cache-control")).toBe("no-store");
      const { token } = (await claim.json()) as { token: string };
      expect(token).toMatch(/^hmt_[A-Za-z0-9_-]{43}$/);
      expect(token).not.toBe(browser.token);

      const session = await server.request("/api/v0/auth/session", { token });
      expect(session.status).toBe(200);
      const body = (await session.json()) as { user: { email: string }; session: { kind: string; name: string; parent_session_id: string } };
      expect(body.user.email).toBe(browser.email);
      expect(body.session.kind).toBe("cli");
      expect(body.session.name).toBe("harmont CLI on ada-laptop");
      const browserSession = (await (await server.request("/api/v0/auth/session", { token: browser.token })).json()) as { session: { id: string } };
      expect(body.session.parent_session_id).toBe(browserSession.session.id);

      const again = await server.request("/api/v0/auth/claim".replace("/claim", "/cli/claim"), { json: { nonce } });
      expect(again.status).toBe(400);
      expect(await errorCode(again)).toBe("cli_code_invalid");
    });

    it("answers an unknown, a not-yet-parked and an expired nonce with the same 400", async () => {
      const browser = await signUp(server);
      const unknown = await server.request("/api/v0/auth/cli/claim", { json: { nonce: newNonce() } });
      const nonce = newNonce();
      const early = await server.request("/api/v0/auth/cli/claim", { json: { nonce } });
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
      server.clock.advance(60_000);
      const expired = await server.request("/api/v0/auth/cli/claim", { json: { nonce } });
      const bodies = [];
      for (const response of [unknown, early, expired]) {
        expect(response.status).toBe(400);
        const body = (await response.json()) as { error: Record<string, string> };
        bodies.push({ ...body.error, request_id: "", doc_url: body.error.doc_url });
      }
      expect(bodies[0]).toEqual(bodies[1]);
      expect(bodies[1]).toEqual(bodies[2]);
      expect(bodies[0]).toMatchObject({ code: "cli_code_invalid", type: "invalid_request" });
    });

    it("names the session 'CLI session' without a name, and cleans odd names without failing", async () => {
      const browser = await signUp(server);
      const cases: Array<[unknown, string]> = [
        [undefined, "CLI session"],
        [42, "CLI session"],
        ["  ", "CLI session"],
        ["evil\u202Ename\r\nline", "evil name line"],
        ["x".repeat(300), "x".repeat(100)],
      ];
      for (const [name, expected] of cases) {
        const nonce = newNonce();
        await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
        const claim = await server.request("/api/v0/auth/cli/claim", { json: { nonce, name } });
        expect(claim.status).toBe(200);
        const { token } = (await claim.json()) as { token: string };
        const session = (await (await server.request("/api/v0/auth/session", { token })).json()) as { session: { name: string } };
        expect(session.session.name).toBe(expected);
      }
    });

    it("keeps the first transfer when a second account tries the same nonce (first writer wins)", async () => {
      const alice = await signUp(server);
      const mallory = await signUp(server);
      const nonce = newNonce();
      expect((await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: alice.token })).status).toBe(204);
      const second = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: mallory.token });
      expect(second.status).toBe(409);
      expect(await errorCode(second)).toBe("cli_nonce_in_use");
      const claim = await server.request("/api/v0/auth/cli/claim", { json: { nonce } });
      const { token } = (await claim.json()) as { token: string };
      const user = (await (await server.request("/api/v0/user", { token })).json()) as { email: string };
      expect(user.email).toBe(alice.email);
    });

    it("lets a nonce be used again once its handoff has expired", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
      server.clock.advance(61_000);
      expect((await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/cli/claim", { json: { nonce } })).status).toBe(200);
    });

    it("requires a bearer for transfer and checks the nonce's shape", async () => {
      const browser = await signUp(server);
      const unauthenticated = await server.request("/api/v0/auth/cli/transfer", { json: { nonce: newNonce() } });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get("www-authenticate")).toMatch(/^Bearer/);
      for (const nonce of ["short", "a".repeat(21), "a".repeat(257), "has spaces in it and is long", "abcdefghijklmnopqrstuv\u0000", `${"a".repeat(22)}\r\n`]) {
        const response = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
        expect(response.status).toBe(400);
        expect(await errorCode(response)).toBe("invalid_nonce");
      }
      expect((await server.request("/api/v0/auth/cli/transfer", { json: { nonce: "a".repeat(22) }, token: browser.token })).status).toBe(204);
    });

    it("answers a 10,000-character or control-character nonce on claim with 400 at once", async () => {
      for (const nonce of ["n".repeat(10_000), "abc\u0000defghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz\r\n"]) {
        const response = await server.request("/api/v0/auth/cli/claim", { json: { nonce } });
        expect(response.status).toBe(400);
        expect(await errorCode(response)).toBe("cli_code_invalid");
      }
    });

    it("stores only hashes, and no session exists until the claim", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      const db = server.database.db;
      const sessionsBefore = (await db.selectFrom("sessions").select("id").execute()).length;
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
      const handoffs = await db.selectFrom("grants").selectAll().where("kind", "=", "cli_handoff").execute();
      expect(handoffs).toHaveLength(1);
      expect(handoffs[0]!.secret_hash).toBe(hashSecret(nonce));
      expect(JSON.stringify(handoffs)).not.toContain(nonce);
      expect((await db.selectFrom("sessions").select("id").execute()).length).toBe(sessionsBefore);
    });
  });

  describe.skipIf(!target.available)("deny", () => {
    it("makes the next claim answer 403 cli_handoff_denied once, then like an unknown nonce", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      expect((await server.request("/api/v0/auth/cli/deny", { json: { nonce }, token: browser.token })).status).toBe(204);
      const first = await server.request("/api/v0/auth/cli/claim", { json: { nonce } });
      expect(first.status).toBe(403);
      expect(await errorCode(first)).toBe("cli_handoff_denied");
      const second = await server.request("/api/v0/auth/cli/claim", { json: { nonce } });
      expect(second.status).toBe(400);
      expect(await errorCode(second)).toBe("cli_code_invalid");
    });

    it("turns a parked handoff into a denial for the same user, and refuses another user's", async () => {
      const alice = await signUp(server);
      const bob = await signUp(server);
      const nonce = newNonce();
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: alice.token });
      const byBob = await server.request("/api/v0/auth/cli/deny", { json: { nonce }, token: bob.token });
      expect(byBob.status).toBe(409);
      expect(await errorCode(byBob)).toBe("cli_nonce_in_use");
      expect((await server.request("/api/v0/auth/cli/deny", { json: { nonce }, token: alice.token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/cli/deny", { json: { nonce }, token: alice.token })).status).toBe(204);
      const transfer = await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: alice.token });
      expect(transfer.status).toBe(409);
      expect((await server.request("/api/v0/auth/cli/claim", { json: { nonce } })).status).toBe(403);
    });

    it("expires a denial like a handoff", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      await server.request("/api/v0/auth/cli/deny", { json: { nonce }, token: browser.token });
      server.clock.advance(60_000);
      expect(await errorCode(await server.request("/api/v0/auth/cli/claim", { json: { nonce } }))).toBe("cli_code_invalid");
    });
  });

  describe.skipIf(!target.available)("paste code → redeem", () => {
    it("mints a Crockford code that redeems once, as typed by a person", async () => {
      const browser = await signUp(server);
      const minted = await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token });
      expect(minted.status).toBe(200);
      expect(minted.headers.get("cache-control")).toBe("no-store");
      const { code, expires_at } = (await minted.json()) as { code: string; expires_at: string };
      expect(code).toMatch(/^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{16}$/);
      expect(Date.parse(expires_at) - server.clock.now()).toBe(5 * 60_000);

      const typed = `${code.slice(0, 4)}-${code.slice(4, 8)} ${code.slice(8, 12)} ${code.slice(12)}`.toLowerCase();
      const redeem = await server.request("/api/v0/auth/cli/redeem", { json: { code: typed, name: "build box" } });
      expect(redeem.status).toBe(200);
      const { token } = (await redeem.json()) as { token: string };
      const session = (await (await server.request("/api/v0/auth/session", { token })).json()) as { session: { kind: string; name: string } };
      expect(session.session).toMatchObject({ kind: "cli", name: "build box" });

      const again = await server.request("/api/v0/auth/cli/redeem", { json: { code } });
      expect(again.status).toBe(400);
      expect(await errorCode(again)).toBe("cli_code_invalid");
    });

    it("reads O as 0 and I or L as 1", async () => {
      const browser = await signUp(server);
      let code = "";
      // Mint until the code has a 0 or a 1 to type the other way (a few tries at most).
      for (let attempt = 0; attempt < 50 && !/[01]/.test(code); attempt++) {
        code = ((await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token })).json()) as { code: string }).code;
      }
      expect(code).toMatch(/[01]/);
      const typed = code.replaceAll("0", "o").replaceAll("1", "l");
      expect((await server.request("/api/v0/auth/cli/redeem", { json: { code: typed } })).status).toBe(200);
    });

    it("refuses wrong and expired codes with the same 400", async () => {
      const browser = await signUp(server);
      const { code } = (await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token })).json()) as { code: string };
      const wrong = await server.request("/api/v0/auth/cli/redeem", { json: { code: "K7P2QR9MX3WZ4NTV" } });
      const garbage = await server.request("/api/v0/auth/cli/redeem", { json: { code: "U".repeat(16) } });
      const huge = await server.request("/api/v0/auth/cli/redeem", { json: { code: "A".repeat(10_000) } });
      server.clock.advance(5 * 60_000);
      const expired = await server.request("/api/v0/auth/cli/redeem", { json: { code } });
      for (const response of [wrong, garbage, huge, expired]) {
        expect(response.status).toBe(400);
        expect(await errorCode(response)).toBe("cli_code_invalid");
      }
    });

    it("requires a bearer to mint, and any session kind may mint", async () => {
      expect((await server.request("/api/v0/auth/cli/code", { method: "POST" })).status).toBe(401);
      const browser = await signUp(server);
      const { code } = (await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token })).json()) as { code: string };
      const { token: cliToken } = (await (await server.request("/api/v0/auth/cli/redeem", { json: { code } })).json()) as { token: string };
      const fromCli = await server.request("/api/v0/auth/cli/code", { method: "POST", token: cliToken });
      expect(fromCli.status).toBe(200);
    });
  });

  describe.skipIf(!target.available)("paste code status, for the page that shows the code", () => {
    const status = async (code: string, token: string) => {
      const response = await server.request("/api/v0/auth/cli/code/status", { json: { code }, token });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      return (await response.json()) as { state: string; expires_at?: string; used_at?: string; session_name?: string };
    };
    const mint = async (token: string) =>
      ((await (await server.request("/api/v0/auth/cli/code", { method: "POST", token })).json()) as { code: string; expires_at: string });

    it("says waiting, then used and by which CLI session", async () => {
      const browser = await signUp(server);
      const minted = await mint(browser.token);
      expect(await status(minted.code, browser.token)).toEqual({ state: "waiting", expires_at: minted.expires_at });
      expect((await server.request("/api/v0/auth/cli/redeem", { json: { code: minted.code, name: "harmont CLI on build-box" } })).status).toBe(200);
      const used = await status(minted.code, browser.token);
      expect(used).toMatchObject({ state: "used", session_name: "harmont CLI on build-box" });
      expect(Date.parse(used.used_at ?? "")).toBeGreaterThan(0);
      // The receipt is not a paste code: the code still redeems once only.
      expect(await errorCode(await server.request("/api/v0/auth/cli/redeem", { json: { code: minted.code } }))).toBe("cli_code_invalid");
    });

    it("says expired once the code ran out, and when the session it made is revoked", async () => {
      const browser = await signUp(server);
      const unused = await mint(browser.token);
      const redeemed = await mint(browser.token);
      const { token: cliToken } = (await (await server.request("/api/v0/auth/cli/redeem", { json: { code: redeemed.code } })).json()) as { token: string };
      expect((await server.request("/api/v0/auth/logout", { method: "POST", token: cliToken })).status).toBe(204);
      expect(await status(redeemed.code, browser.token)).toEqual({ state: "expired" });
      server.clock.advance(5 * 60_000);
      expect(await status(unused.code, browser.token)).toEqual({ state: "expired" });
    });

    it("tells another account nothing, needs a session, and refuses what cannot be a code", async () => {
      const owner = await signUp(server);
      const stranger = await signUp(server);
      const minted = await mint(owner.token);
      expect(await status(minted.code, stranger.token)).toEqual({ state: "expired" });
      await server.request("/api/v0/auth/cli/redeem", { json: { code: minted.code, name: "owner laptop" } });
      expect(await status(minted.code, stranger.token)).toEqual({ state: "expired" });
      expect((await server.request("/api/v0/auth/cli/code/status", { json: { code: minted.code } })).status).toBe(401);
      const garbage = await server.request("/api/v0/auth/cli/code/status", { json: { code: "U".repeat(16) }, token: owner.token });
      expect(garbage.status).toBe(400);
      expect(await errorCode(garbage)).toBe("cli_code_invalid");
      const missing = await server.request("/api/v0/auth/cli/code/status", { json: {}, token: owner.token });
      expect(missing.status).toBe(400);
    });
  });

  describe.skipIf(!target.available)("pending handoffs die with the session that made them", () => {
    it("logout of the browser session deletes its parked handoff and unredeemed code", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
      const { code } = (await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token })).json()) as { code: string };
      expect((await server.request("/api/v0/auth/logout", { method: "POST", token: browser.token })).status).toBe(204);
      expect(await errorCode(await server.request("/api/v0/auth/cli/claim", { json: { nonce } }))).toBe("cli_code_invalid");
      expect(await errorCode(await server.request("/api/v0/auth/cli/redeem", { json: { code } }))).toBe("cli_code_invalid");
    });

    it("sign out everywhere deletes every pending handoff and code of the user", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
      const { code } = (await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token })).json()) as { code: string };
      expect((await server.request("/api/v0/auth/logout-all", { method: "POST", token: browser.token })).status).toBe(204);
      expect((await server.request("/api/v0/auth/cli/claim", { json: { nonce } })).status).toBe(400);
      expect((await server.request("/api/v0/auth/cli/redeem", { json: { code } })).status).toBe(400);
    });
  });

  describe.skipIf(!target.available)("single use under concurrency", () => {
    it("of 50 concurrent claims of one nonce exactly one wins", async () => {
      const browser = await signUp(server);
      const nonce = newNonce();
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: browser.token });
      const responses = await Promise.all(Array.from({ length: 50 }, () => server.request("/api/v0/auth/cli/claim", { json: { nonce } })));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 400)).toHaveLength(49);
    });

    it("of 50 concurrent redeems of one code exactly one wins", async () => {
      const browser = await signUp(server);
      const { code } = (await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: browser.token })).json()) as { code: string };
      const responses = await Promise.all(Array.from({ length: 50 }, () => server.request("/api/v0/auth/cli/redeem", { json: { code } })));
      expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
      expect(responses.filter((response) => response.status === 400)).toHaveLength(49);
    });
  });
});
