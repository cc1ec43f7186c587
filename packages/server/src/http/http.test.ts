/**
 * The HTTP layer as a client meets it: the error envelope for everything, the order of checks,
 * input hygiene, headers, CORS, request ids, rate limits, and logs that hold no secrets.
 */
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PasswordHashingBusyError } from "../auth/passwords.js";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServer, signUp, type TestServer } from "../test-support/harness.js";

type Envelope = { error: { code: string; type: string; message: string; doc_url: string; request_id: string } };

async function envelope(response: Response): Promise<Envelope["error"]> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as Envelope;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "doc_url", "message", "request_id", "type"]);
  expect(body.error.doc_url).toBe(`http://localhost:8080/docs/api/errors/${body.error.code}`);
  expect(body.error.request_id).toBe(response.headers.get("x-request-id"));
  return body.error;
}

/** Serves the app on 127.0.0.1 through @hono/node-server, as `harmont-server` does. */
async function listenOnLoopback(server: TestServer): Promise<{ port: number; close: () => Promise<void> }> {
  const listening = serve({ fetch: server.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => listening.once("listening", resolve));
  const { port } = listening.address() as AddressInfo;
  return { port, close: () => new Promise((resolve) => listening.close(() => resolve())) };
}

describe("HTTP layer", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await createTestServer(createSqliteTestDatabase(), { HARMONT_LIMIT_CLI_PER_IP: "20", HARMONT_WEB_ORIGINS: "http://localhost:8080,https://app.example.com" });
  });
  afterEach(async () => {
    await server.close();
  });

  describe("the envelope", () => {
    it("answers unknown routes with 404 and wrong methods with 405", async () => {
      const missing = await server.request("/api/v0/nothing-here");
      expect(missing.status).toBe(404);
      expect((await envelope(missing)).code).toBe("not_found");
      const wrongMethod = await server.request("/api/v0/auth/cli/claim", { method: "GET" });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get("allow")).toBe("POST");
      expect(await envelope(wrongMethod)).toMatchObject({ code: "method_not_allowed", type: "invalid_request" });
    });

    it("answers truncated JSON with invalid_json and no stack or SQL", async () => {
      const response = await server.request("/api/v0/auth/cli/claim", { method: "POST", headers: { "content-type": "application/json" }, body: '{"nonce": "abc' });
      expect(response.status).toBe(400);
      const error = await envelope(response);
      expect(error).toMatchObject({ code: "invalid_json", type: "invalid_request" });
      expect(error.message).not.toMatch(/at |select|SQL/i);
    });

    it("answers JSON sent as text/plain with 415, and a missing body with 400", async () => {
      const plain = await server.request("/api/v0/auth/cli/claim", { method: "POST", headers: { "content-type": "text/plain" }, body: '{"nonce":"x"}' });
      expect(plain.status).toBe(415);
      expect((await envelope(plain)).code).toBe("unsupported_media_type");
      const empty = await server.request("/api/v0/auth/cli/claim", { method: "POST" });
      expect(empty.status).toBe(400);
      expect((await envelope(empty)).code).toBe("invalid_request");
    });

    it("answers a body over 64 KiB with 413 before any hashing", async () => {
      let hashed = 0;
      const passwords = server.deps.auth.passwords;
      const verify = passwords.verify.bind(passwords);
      const verifyDummy = passwords.verifyDummy.bind(passwords);
      passwords.verify = async (...args) => (hashed++, verify(...args));
      passwords.verifyDummy = async (...args) => (hashed++, verifyDummy(...args));
      const response = await server.request("/api/v0/auth/login", { json: { email: "a@example.com", password: "p".repeat(70 * 1024) } });
      expect(response.status).toBe(413);
      expect((await envelope(response)).code).toBe("payload_too_large");
      expect(hashed).toBe(0);
    });

    it("checks a declared Content-Length and counts a chunked body, over a real socket", async () => {
      const { port, close } = await listenOnLoopback(server);
      const post = (chunks: string[], chunked: boolean) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const total = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
          const headers: Record<string, string | number> = { "content-type": "application/json" };
          if (chunked) headers["transfer-encoding"] = "chunked";
          else headers["content-length"] = total;
          const sent = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/api/v0/auth/cli/claim", headers }, (response) => {
            let body = "";
            response.setEncoding("utf8").on("data", (part: string) => (body += part)).on("end", () => resolve({ status: response.statusCode!, body }));
          });
          sent.on("error", reject);
          for (const chunk of chunks) sent.write(chunk);
          sent.end();
        });
      try {
        const oversized = JSON.stringify({ nonce: "n".repeat(70 * 1024) });
        const declared = await post([oversized], false);
        expect(declared.status).toBe(413);
        expect(JSON.parse(declared.body).error.code).toBe("payload_too_large");
        const streamed = await post([oversized.slice(0, 40_000), oversized.slice(40_000)], true);
        expect(streamed.status).toBe(413);
        expect(JSON.parse(streamed.body).error.code).toBe("payload_too_large");
        const small = JSON.stringify({ nonce: randomBytes(32).toString("base64url") });
        const smallChunked = await post([small.slice(0, 10), small.slice(10)], true);
        expect(smallChunked.status).toBe(400);
        expect(JSON.parse(smallChunked.body).error.code).toBe("cli_code_invalid");
      } finally {
        await close();
      }
    });

    it("sends the default headers over a real socket, and lets a route override them", async () => {
      const { port, close } = await listenOnLoopback(server);
      try {
        const meta = await fetch(`http://127.0.0.1:${port}/api/v0/meta`);
        expect(meta.status).toBe(200);
        expect(meta.headers.get("x-content-type-options")).toBe("nosniff");
        expect(meta.headers.get("x-frame-options")).toBe("DENY");
        expect(meta.headers.get("referrer-policy")).toBe("no-referrer");
        expect(meta.headers.get("cache-control")).toBe("no-store");
        expect(meta.headers.get("vary")).toBe("Origin");
        expect(meta.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
        expect(meta.headers.get("content-type")).toMatch(/^application\/json/);

        const unauthorized = await fetch(`http://127.0.0.1:${port}/api/v0/auth/session`, { headers: { origin: "https://app.example.com" } });
        expect(unauthorized.status).toBe(401);
        expect(unauthorized.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(unauthorized.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
        expect((await envelope(unauthorized)).code).toBe("unauthorized");

        // A page outside the API keeps its own caching and policy, and still gets the defaults.
        const docs = await fetch(`http://127.0.0.1:${port}/docs/api/errors`);
        expect(docs.status).toBe(200);
        expect(docs.headers.get("cache-control")).toBe("no-cache");
        expect(docs.headers.get("content-security-policy")).toContain("default-src");
        expect(docs.headers.get("x-frame-options")).toBe("DENY");
      } finally {
        await close();
      }
    });

    it("answers 503 with Retry-After when password hashing is at capacity", async () => {
      const passwords = server.deps.auth.passwords;
      passwords.verifyDummy = async () => {
        throw new PasswordHashingBusyError();
      };
      const response = await server.request("/api/v0/auth/login", { json: { email: "nobody@example.com", password: "correct horse battery staple" } });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(await envelope(response)).toMatchObject({ code: "service_unavailable", type: "service_unavailable" });
    });

    it("refuses injection shapes and wrong types with 400, never 200 or 500", async () => {
      const bodies: unknown[] = [
        { nonce: "' OR '1'='1" },
        { nonce: { $ne: null } },
        { nonce: ["a".repeat(30)] },
        { nonce: null },
        [],
        "just a string",
        42,
      ];
      for (const json of bodies) {
        const response = await server.request("/api/v0/auth/cli/claim", { json });
        expect(response.status).toBe(400);
        expect((await envelope(response)).type).toBe("invalid_request");
      }
      const login = await server.request("/api/v0/auth/login", { json: { email: { $ne: null }, password: "x" } });
      expect(login.status).toBe(400);
      expect((await envelope(login)).message).toMatch(/^email: /);
    });

    it("ignores __proto__ and unknown fields: nothing is stored and the session is unchanged", async () => {
      const response = await server.request("/api/v0/auth/signup", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"email":"proto@example.com","password":"correct horse battery","__proto__":{"is_admin":true},"role":"admin","user_id":"usr_x","email_verified":true}',
      });
      expect(response.status).toBe(201);
      const { token, user } = (await response.json()) as { token: string; user: Record<string, unknown> };
      expect(user).toEqual({ id: expect.stringMatching(/^usr_/), email: "proto@example.com", name: null, email_verified: false });
      expect(({} as Record<string, unknown>).is_admin).toBeUndefined();
      const session = (await (await server.request("/api/v0/auth/session", { token })).json()) as { user: Record<string, unknown> };
      expect(session.user).toEqual(user);
      const row = await server.database.db.selectFrom("users").selectAll().where("email", "=", "proto@example.com").executeTakeFirstOrThrow();
      expect(row.id).toBe(user.id);
      expect(row.email_verified_at).toBeNull();
    });

    it("checks authentication before the media type (a token in a form body meets 401)", async () => {
      const response = await server.request("/api/v0/auth/cli/transfer", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "access_token=hmt_x&nonce=abc",
      });
      expect(response.status).toBe(401);
    });

    it("hides unexpected errors behind server_error and logs them with the request id", async () => {
      server.deps.auth.store.sessions.findWithUserByTokenHash = async () => {
        throw new Error("select secret_column from sessions");
      };
      const response = await server.request("/api/v0/auth/session", { token: `hmt_${"a".repeat(43)}` });
      expect(response.status).toBe(500);
      const error = await envelope(response);
      expect(error).toMatchObject({ code: "server_error", type: "server_error" });
      expect(JSON.stringify(error)).not.toContain("secret_column");
      expect(server.logs.text).toContain(error.request_id);
    });

    it("answers 503 service_unavailable when the database cannot be reached", async () => {
      server.deps.auth.store.sessions.findWithUserByTokenHash = async () => {
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
      };
      const response = await server.request("/api/v0/auth/session", { token: `hmt_${"a".repeat(43)}` });
      expect(response.status).toBe(503);
      expect((await envelope(response)).code).toBe("service_unavailable");
    });
  });

  describe("headers", () => {
    it("sets the security headers and no-store on API answers", async () => {
      const response = await server.request("/api/v0/meta");
      expect(response.status).toBe(200);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("cache-control")).toBe("no-store");
    });

    it("reuses a well-formed X-Request-Id and replaces anything else", async () => {
      const kept = await server.request("/api/v0/meta", { headers: { "x-request-id": "client-chosen-id-000001" } });
      expect(kept.headers.get("x-request-id")).toBe("client-chosen-id-000001");
      for (const sent of ["short", "x".repeat(201), "has spaces in it, twenty chars", "semi;colons;and;more;chars"]) {
        const replaced = await server.request("/api/v0/meta", { headers: { "x-request-id": sent } });
        expect(replaced.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
      }
    });

    it("allows CORS only for the configured web origins", async () => {
      const preflight = (origin: string) =>
        server.request("/api/v0/auth/cli/transfer", {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
        });
      const allowed = await preflight("https://app.example.com");
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
      expect(allowed.headers.get("access-control-allow-methods")).toContain("POST");
      expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      const refused = await preflight("https://evil.example.net");
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
      expect(refused.headers.get("access-control-allow-credentials")).toBeNull();

      const fromApp = await server.request("/api/v0/meta", { headers: { origin: "https://app.example.com" } });
      expect(fromApp.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(fromApp.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
      expect(fromApp.headers.get("vary")).toContain("Origin");
      const fromElsewhere = await server.request("/api/v0/meta", { headers: { origin: "https://evil.example.net" } });
      expect(fromElsewhere.status).toBe(200);
      expect(fromElsewhere.headers.get("access-control-allow-origin")).toBeNull();
      const withoutOrigin = await server.request("/api/v0/meta");
      expect(withoutOrigin.headers.get("access-control-allow-origin")).toBeNull();
      expect(withoutOrigin.headers.get("vary")).toContain("Origin");
      // An error answer carries them too, so the web app can read the envelope.
      const failed = await server.request("/api/v0/auth/session", { headers: { origin: "https://app.example.com" } });
      expect(failed.status).toBe(401);
      expect(failed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(failed.headers.get("x-request-id")).toMatch(/^req_/);
    });
  });

  describe("rate limits", () => {
    it("puts a per-IP flood ceiling on claim with 429 and Retry-After", async () => {
      const statuses: number[] = [];
      for (let index = 0; index < 22; index++) {
        statuses.push((await server.request("/api/v0/auth/cli/claim", { json: { nonce: "a".repeat(30) }, ip: "198.51.100.1" })).status);
      }
      expect(statuses.slice(0, 20).every((status) => status === 400)).toBe(true);
      const limited = await server.request("/api/v0/auth/cli/claim", { json: { nonce: "a".repeat(30) }, ip: "198.51.100.1" });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await envelope(limited)).code).toBe("rate_limited");
      // Another client is not affected.
      expect((await server.request("/api/v0/auth/cli/claim", { json: { nonce: "a".repeat(30) }, ip: "198.51.100.2" })).status).toBe(400);
    });

    it("does not let X-Forwarded-For pick the key unless a proxy is trusted", async () => {
      for (let index = 0; index < 20; index++) {
        await server.request("/api/v0/auth/cli/claim", { json: { nonce: "a".repeat(30) }, ip: "198.51.100.9", headers: { "x-forwarded-for": `10.0.0.${index}` } });
      }
      const limited = await server.request("/api/v0/auth/cli/claim", { json: { nonce: "a".repeat(30) }, ip: "198.51.100.9", headers: { "x-forwarded-for": "10.9.9.9" } });
      expect(limited.status).toBe(429);
    });
  });

  describe("logs", () => {
    it("log one line per request with the route pattern and never a secret", async () => {
      const password = `pw-${randomBytes(12).toString("hex")}`;
      const alice = await signUp(server, "logs@example.com", password);
      const nonce = randomBytes(32).toString("base64url");
      await server.request("/api/v0/auth/cli/transfer", { json: { nonce }, token: alice.token });
      const claimed = (await (await server.request("/api/v0/auth/cli/claim", { json: { nonce } })).json()) as { token: string };
      const { code } = (await (await server.request("/api/v0/auth/cli/code", { method: "POST", token: alice.token })).json()) as { code: string };
      const redeemed = (await (await server.request("/api/v0/auth/cli/redeem", { json: { code } })).json()) as { token: string };
      await server.request("/api/v0/auth/login", { json: { email: "logs@example.com", password } });
      await server.request(`/api/v0/auth/session?access_token=${alice.token}`);
      await server.request("/api/v0/auth/logout", { method: "POST", token: redeemed.token });

      const text = server.logs.text;
      for (const secret of [password, alice.token, nonce, claimed.token, code, redeemed.token]) {
        expect(text).not.toContain(secret);
      }
      const requests = server.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === "request");
      expect(requests.length).toBeGreaterThanOrEqual(8);
      for (const line of requests) {
        expect(line).toMatchObject({ request_id: expect.any(String), method: expect.any(String), status: expect.any(Number), duration_ms: expect.any(Number) });
        expect(String(line.route)).not.toContain("?");
        expect(Math.abs(Date.parse(String(line.time)) - Date.now())).toBeLessThan(60_000);
        expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      expect(requests.map((line) => line.route)).toContain("/api/v0/auth/cli/claim");
    });
  });
});
