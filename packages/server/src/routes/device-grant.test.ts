/**
 * The device authorization grant through HTTP, on both databases, driven by `oauth4webapi` as a
 * third-party OAuth client would drive it (discovery, device authorization, polling, revocation,
 * introspection), with a fake clock: the browser half, the RFC error strings, slow_down kept by
 * the server, single use under 30 concurrent polls, user-code guessing limits, and bad input.
 */
import { createHash } from "node:crypto";
import * as oauth from "oauth4webapi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServer, errorCode, jsonBody, signUp, type TestServer } from "../test-support/harness.js";

reportSkippedPostgres();

const INTROSPECTION_SECRET = "a-resource-server-secret-of-good-length";
const introspectionHash = createHash("sha256").update(INTROSPECTION_SECRET).digest("base64url");

describe.each(databaseTargets)("the device grant on $kind", (target) => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  const client: oauth.Client = { client_id: "harmont-cli" };

  /** oauth4webapi's requests, handed to the in-process app (the issuer is the public URL). */
  const options = (ip = "198.51.100.7") => ({
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: (url: string, init: oauth.CustomFetchOptions<string, unknown>) => {
      const { pathname, search } = new URL(url);
      return server.request(`${pathname}${search}`, { method: init.method, headers: init.headers as HeadersInit, body: init.body as BodyInit, ip });
    },
  });

  beforeEach(async () => {
    if (!target.available) return;
    server = await createTestServer(await target.create(), {
      HARMONT_LIMIT_SIGNUP_PER_IP: "0",
      HARMONT_OAUTH_CLIENTS: "acme-cli=Acme CLI",
      HARMONT_INTROSPECTION_CLIENTS: `api=sha256:${introspectionHash}`,
    });
    const issuer = new URL(server.config.publicUrl.href.replace(/\/+$/, ""));
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options(), algorithm: "oauth2" }));
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  async function startLogin(parameters: Record<string, string> = { name: "harmont CLI on ada-laptop" }, asClient = client) {
    const response = await oauth.deviceAuthorizationRequest(as, asClient, oauth.None(), parameters, options());
    return oauth.processDeviceAuthorizationResponse(as, asClient, response);
  }

  async function poll(deviceCode: string, asClient = client) {
    const response = await oauth.deviceCodeGrantRequest(as, asClient, oauth.None(), deviceCode, options());
    try {
      return { token: await oauth.processDeviceCodeResponse(as, asClient, response) };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) return { error: error.error, status: error.status };
      throw error;
    }
  }

  const answer = (token: string, action: "lookup" | "approve" | "deny", userCode: string, ip = "203.0.113.9") =>
    server.request(`/api/v0/auth/device/${action}`, { token, json: { user_code: userCode }, ip });

  describe.runIf(target.available)("the whole login", () => {
    it("discovers, shows the codes, stays pending, approves in the browser, and hands out one CLI session that is a child of the approving one", async () => {
      expect(as.device_authorization_endpoint).toMatch(/\/api\/v0\/oauth\/device_authorization$/);
      const person = await signUp(server);
      const login = await startLogin();
      expect(login.device_code).toMatch(/^hmd_[A-Za-z0-9_-]{43}$/);
      expect(login.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect(login.verification_uri).toBe(`${server.config.publicUrl.href.replace(/\/+$/, "")}/device`);
      expect(login.verification_uri_complete).toBe(`${login.verification_uri}?user_code=${login.user_code}`);
      expect([login.expires_in, login.interval]).toEqual([300, 5]);

      expect(await poll(login.device_code)).toEqual({ error: "authorization_pending", status: 400 });

      // The person types it any way they like.
      const typed = login.user_code.toLowerCase().replace("-", " ");
      const looked = await answer(person.token, "lookup", typed);
      expect(looked.status).toBe(200);
      expect(await jsonBody(looked)).toMatchObject({
        user_code: login.user_code,
        client_id: "harmont-cli",
        client_name: "Harmont CLI",
        first_party: true,
        session_name: "harmont CLI on ada-laptop",
        requested_from: "198.51.100.7",
        status: "pending",
      });
      expect((await answer(person.token, "approve", typed)).status).toBe(204);
      expect((await answer(person.token, "approve", login.user_code)).status).toBe(204);

      server.clock.advance(5_000);
      const picked = await poll(login.device_code);
      expect(picked.token).toMatchObject({ token_type: "bearer", expires_in: 30 * 86_400 });
      const accessToken = picked.token!.access_token;
      expect(accessToken).toMatch(/^hmt_/);
      const current = await jsonBody<{ session: { kind: string; name: string; parent_session_id: string; client_id: string } }>(
        await server.request("/api/v0/auth/session", { token: accessToken }),
      );
      const approving = await jsonBody<{ session: { id: string } }>(await server.request("/api/v0/auth/session", { token: person.token }));
      expect(current.session).toMatchObject({ kind: "cli", name: "harmont CLI on ada-laptop", parent_session_id: approving.session.id, client_id: "harmont-cli" });
      // Listed, and revocable, like any CLI session.
      const listed = await jsonBody<{ sessions: Array<{ client_id: string | null }> }>(await server.request("/api/v0/auth/sessions", { token: person.token }));
      expect(listed.sessions.filter((session) => session.client_id === "harmont-cli")).toHaveLength(1);

      expect(await poll(login.device_code)).toEqual({ error: "invalid_grant", status: 400 });
      expect(await server.database.store.audit.list({ action: "oauth.device.replayed" })).toHaveLength(1);
    });

    it("slows a client that polls faster than the interval, and keeps the grown interval", async () => {
      const login = await startLogin();
      expect((await poll(login.device_code)).error).toBe("authorization_pending");
      server.clock.advance(1_000);
      expect((await poll(login.device_code)).error).toBe("slow_down");
      // The interval is now 10 s: 5 s later is still too soon.
      server.clock.advance(5_000);
      expect((await poll(login.device_code)).error).toBe("slow_down");
      server.clock.advance(15_000);
      expect((await poll(login.device_code)).error).toBe("authorization_pending");
      // The grown interval stays: 10 s is too soon now, and it grows again.
      server.clock.advance(10_000);
      expect((await poll(login.device_code)).error).toBe("slow_down");
      server.clock.advance(20_000);
      expect((await poll(login.device_code)).error).toBe("authorization_pending");
    });

    it("ends in access_denied on Deny (the approver's own Deny wins until pick-up), in expired_token after expiry", async () => {
      const person = await signUp(server);
      const denied = await startLogin();
      expect((await answer(person.token, "approve", denied.user_code)).status).toBe(204);
      expect((await answer(person.token, "deny", denied.user_code)).status).toBe(204);
      expect(await poll(denied.device_code)).toEqual({ error: "access_denied", status: 400 });

      const late = await startLogin({ expires_in: "30" });
      expect(late.expires_in).toBe(30);
      server.clock.advance(30_000);
      expect(await poll(late.device_code)).toEqual({ error: "expired_token", status: 400 });
      const lookedLate = await answer(person.token, "lookup", late.user_code);
      expect([lookedLate.status, await errorCode(lookedLate)]).toEqual([400, "user_code_invalid"]);
    });

    it("turns the approval into access_denied when the approving session is signed out before the pick-up", async () => {
      const person = await signUp(server);
      const login = await startLogin();
      expect((await answer(person.token, "approve", login.user_code)).status).toBe(204);
      expect((await server.request("/api/v0/auth/logout", { token: person.token, method: "POST" })).status).toBe(204);
      expect(await poll(login.device_code)).toEqual({ error: "access_denied", status: 400 });
      expect(await poll(login.device_code)).toEqual({ error: "access_denied", status: 400 });
    });

    it("answers cliComplete with {success: true} for the signed-in caller, and refuses what it does not do", async () => {
      const person = await signUp(server);
      const login = await startLogin();
      const refused = await server.request("/api/v0/auth/cli/complete", { token: person.token, json: { login_code: login.user_code, refresh_token: "x" } });
      expect([refused.status, await errorCode(refused)]).toEqual([400, "invalid_request"]);
      const completed = await server.request("/api/v0/auth/cli/complete", { token: person.token, json: { login_code: login.user_code } });
      expect([completed.status, await jsonBody(completed)]).toEqual([200, { success: true }]);
      expect((await poll(login.device_code)).token?.access_token).toMatch(/^hmt_/);
      expect((await server.request("/api/v0/auth/cli/complete", { json: { login_code: login.user_code } })).status).toBe(401);
    });

    it(`of 30 concurrent polls after one approval exactly one gets a token`, async () => {
      const person = await signUp(server);
      const login = await startLogin();
      expect((await answer(person.token, "approve", login.user_code)).status).toBe(204);
      const results = await Promise.all(Array.from({ length: 30 }, () => poll(login.device_code)));
      expect(results.filter((result) => result.token)).toHaveLength(1);
      expect(results.filter((result) => result.error === "invalid_grant")).toHaveLength(29);
      const sessions = await jsonBody<{ sessions: Array<{ kind: string }> }>(await server.request("/api/v0/auth/sessions", { token: person.token }));
      expect(sessions.sessions.filter((session) => session.kind === "cli")).toHaveLength(1);
    });
  });

  describe.runIf(target.available)("revocation and introspection", () => {
    async function issuedToken() {
      const person = await signUp(server);
      const login = await startLogin();
      await answer(person.token, "approve", login.user_code);
      return { person, token: (await poll(login.device_code)).token!.access_token };
    }
    const introspect = async (token: string, auth = oauth.ClientSecretBasic(INTROSPECTION_SECRET)) =>
      oauth.processIntrospectionResponse(as, { client_id: "api" }, await oauth.introspectionRequest(as, { client_id: "api" }, auth, token, options()));

    it("introspects for a registered resource server, and a revocation by the client is seen at once", async () => {
      const { person, token } = await issuedToken();
      const active = await introspect(token);
      expect(active).toMatchObject({ active: true, token_type: "Bearer", client_id: "harmont-cli", sub: person.user.id, username: person.email, session_kind: "cli" });
      expect(active.exp! - active.iat!).toBe(30 * 86_400);
      expect(await introspect("hmt_not-a-real-token")).toEqual({ active: false });
      // Not another client's token: a web session is revoked by logout only (and the answer is the same 200).
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), person.token, options()));
      expect((await server.request("/api/v0/auth/session", { token: person.token })).status).toBe(200);
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, { client_id: "acme-cli" }, oauth.None(), token, options()));
      expect((await introspect(token)).active).toBe(true);

      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), token, options()));
      expect(await introspect(token)).toEqual({ active: false });
      expect((await server.request("/api/v0/auth/session", { token })).status).toBe(401);
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), token, options()));
    });

    it("refuses introspection without a resource server's credentials, with a Basic challenge", async () => {
      const { token } = await issuedToken();
      for (const headers of [{}, { authorization: `Basic ${Buffer.from("api:wrong").toString("base64")}` }]) {
        const response = await server.request("/api/v0/oauth/introspect", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
          body: new URLSearchParams({ token }).toString(),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe('Basic realm="harmont"');
        expect(await jsonBody(response)).toMatchObject({ error: "invalid_client" });
      }
      const byPost = await server.request("/api/v0/oauth/introspect", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, client_id: "api", client_secret: INTROSPECTION_SECRET }).toString(),
      });
      expect(await jsonBody(byPost)).toMatchObject({ active: true });
    });
  });

  describe.runIf(target.available)("bad input and guessing", () => {
    const post = (path: string, body: string, headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" }) =>
      server.request(`/api/v0/oauth/${path}`, { method: "POST", headers, body });

    it("answers the RFC errors for malformed, repeated, JSON, unknown-client and unsupported requests, no-store and never a 5xx", async () => {
      const cases: Array<[string, string, Record<string, string> | undefined, number, string]> = [
        ["device_authorization", "client_id=nobody", undefined, 401, "invalid_client"],
        ["device_authorization", "", undefined, 400, "invalid_request"],
        ["device_authorization", "client_id=harmont-cli&client_id=harmont-cli", undefined, 400, "invalid_request"],
        ["device_authorization", "client_id=harmont-cli&scope=openid", undefined, 400, "invalid_scope"],
        ["device_authorization", "client_id=harmont-cli&expires_in=-5", undefined, 400, "invalid_request"],
        ["device_authorization", "client_id=harmont-cli&client_secret=x", undefined, 401, "invalid_client"],
        ["device_authorization", JSON.stringify({ client_id: "harmont-cli" }), { "content-type": "application/json" }, 415, "invalid_request"],
        ["token", "client_id=harmont-cli&device_code=x", undefined, 400, "invalid_request"],
        ["token", "grant_type=authorization_code&client_id=harmont-cli&code=x", undefined, 400, "unsupported_grant_type"],
        ["token", `grant_type=${encodeURIComponent("urn:ietf:params:oauth:grant-type:device_code")}&client_id=harmont-cli&device_code=hmd_nope`, undefined, 400, "invalid_grant"],
        ["token", `grant_type=${encodeURIComponent("urn:ietf:params:oauth:grant-type:device_code")}&client_id=harmont-cli`, undefined, 400, "invalid_request"],
        ["revoke", "client_id=harmont-cli", undefined, 400, "invalid_request"],
        ["revoke", "token=x", undefined, 400, "invalid_request"],
        ["introspect", "token=x", undefined, 401, "invalid_client"],
        ["device_authorization", `client_id=harmont-cli&name=${"x".repeat(70_000)}`, undefined, 413, "invalid_request"],
      ];
      for (const [path, body, headers, status, code] of cases) {
        const response = await post(path, body, headers);
        expect([response.status, (await jsonBody<{ error: string }>(response)).error], `${path} ${body.slice(0, 60)}`).toEqual([status, code]);
        expect(response.headers.get("cache-control")).toBe("no-store");
      }
      // A device code issued to one client is no good to another.
      const login = await startLogin();
      expect(await poll(login.device_code, { client_id: "acme-cli" })).toEqual({ error: "invalid_grant", status: 400 });
    });

    it("limits wrong user codes per user, refuses even a right code while throttled, and keeps codes out of the logs", async () => {
      const person = await signUp(server);
      const login = await startLogin();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 10; attempt++) statuses.push((await answer(person.token, "lookup", "BBBB-BBBB")).status);
      expect(statuses).toEqual(Array(10).fill(400));
      const throttled = await answer(person.token, "approve", login.user_code);
      expect([throttled.status, await errorCode(throttled)]).toEqual([429, "rate_limited"]);
      expect(throttled.headers.get("retry-after")).toMatch(/^\d+$/);
      // Another person is not held back by it.
      const other = await signUp(server);
      expect((await answer(other.token, "lookup", login.user_code, "203.0.113.10")).status).toBe(200);
      // A right code gives its point back: looking up repeatedly never locks the person out.
      for (let attempt = 0; attempt < 12; attempt++) expect((await answer(other.token, "lookup", login.user_code, "203.0.113.10")).status).toBe(200);

      const lines = server.logs.lines.join("\n");
      expect(lines).not.toContain(login.device_code);
      expect(lines).not.toContain(login.user_code);
    });
  });

  describe.runIf(target.available)("guessing across accounts", () => {
    it("limits wrong codes per IP across accounts, and for everyone together", async () => {
      await server.close();
      server = await createTestServer(await target.create(), {
        HARMONT_LIMIT_SIGNUP_PER_IP: "0",
        HARMONT_LIMIT_USER_CODE_FAILURES: "0",
        HARMONT_LIMIT_USER_CODE_FAILURES_PER_IP: "3",
        HARMONT_LIMIT_USER_CODE_FAILURES_GLOBAL: "5",
      });
      const people = await Promise.all(Array.from({ length: 4 }, () => signUp(server)));
      // One IP, three accounts: the IP's budget is spent, whoever is signed in.
      for (const person of people.slice(0, 3)) expect((await answer(person.token, "lookup", "BBBB-BBBB", "203.0.113.50")).status).toBe(400);
      expect((await answer(people[3]!.token, "lookup", "BBBB-BBBB", "203.0.113.50")).status).toBe(429);
      // Other IPs: two more wrong codes spend the global budget of five, then everyone is refused.
      expect((await answer(people[3]!.token, "lookup", "BBBB-BBBB", "203.0.113.51")).status).toBe(400);
      expect((await answer(people[3]!.token, "lookup", "BBBB-BBBB", "203.0.113.52")).status).toBe(400);
      const everyone = await answer(people[2]!.token, "lookup", "BBBB-BBBB", "203.0.113.53");
      expect([everyone.status, await errorCode(everyone)]).toEqual([429, "rate_limited"]);
      expect(server.logs.lines.join("\n")).toContain("global budget of wrong device-login codes");
    });
  });

  describe.runIf(target.available)("metadata", () => {
    it("describes exactly the endpoints and methods the server has", async () => {
      const response = await server.request("/.well-known/oauth-authorization-server");
      expect(response.headers.get("cache-control")).toBe("public, max-age=300");
      const issuer = server.config.publicUrl.href.replace(/\/+$/, "");
      expect(await jsonBody(response)).toEqual({
        issuer,
        token_endpoint: `${issuer}/api/v0/oauth/token`,
        device_authorization_endpoint: `${issuer}/api/v0/oauth/device_authorization`,
        revocation_endpoint: `${issuer}/api/v0/oauth/revoke`,
        introspection_endpoint: `${issuer}/api/v0/oauth/introspect`,
        grant_types_supported: ["urn:ietf:params:oauth:grant-type:device_code"],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ["none"],
        revocation_endpoint_auth_methods_supported: ["none"],
        introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        service_documentation: `${issuer}/docs/guides/oauth-clients`,
      });
    });
  });
});
