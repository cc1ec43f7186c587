/**
 * The metadata clients read, the probes a load balancer asks (health, readiness) and the answer
 * every route gives while the database is unreachable: 503 `service_unavailable` with
 * `Retry-After`, so clients back off.
 */
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { createApp } from "../app.js";
import type { AuthStore } from "../auth/types.js";
import { createSqliteTestDatabase, databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServer, signUp, type TestServer } from "../test-support/harness.js";

reportSkippedPostgres();

type Envelope = { error: { code: string; type: string; request_id: string } };

function connectionRefused(): Error {
  return Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
}

/** Makes every call of the store fail as it does when PostgreSQL refuses connections; counts the calls. */
function breakStore(store: AuthStore): { calls: number } {
  const counter = { calls: 0 };
  const refuse = async () => {
    counter.calls++;
    throw connectionRefused();
  };
  for (const table of [store.users, store.sessions, store.grants, store.emailCodes, store.audit] as unknown as Array<Record<string, unknown>>) {
    for (const name of Object.keys(table)) if (typeof table[name] === "function") table[name] = refuse;
  }
  store.transaction = refuse;
  return counter;
}

describe.each(databaseTargets)("probes on $kind", (target) => {
  describe.skipIf(!target.available)(target.kind, () => {
    let server: TestServer;
    afterEach(async () => {
      await server.close();
    });

    async function start(): Promise<TestServer> {
      server = await createTestServer(await target.create());
      return server;
    }

    it("health and ready answer 200 {status: ok} while the database answers, public and not cached", async () => {
      await start();
      for (const path of ["/api/v0/health", "/api/v0/ready"]) {
        const response = await server.request(path);
        expect(response.status, path).toBe(200);
        expect(await response.json(), path).toEqual({ status: "ok" });
        expect(response.headers.get("cache-control"), path).toBe("no-store");
      }
    });

    it("ready answers 503 service_unavailable with Retry-After once the database is closed; health still answers 200", async () => {
      await start();
      await server.database.close();

      const ready = await server.request("/api/v0/ready");
      expect(ready.status).toBe(503);
      expect(Number(ready.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(ready.headers.get("retry-after"))).toBeLessThanOrEqual(5);
      const body = (await ready.json()) as Envelope;
      expect(body.error).toMatchObject({ code: "service_unavailable", type: "service_unavailable" });
      expect(body.error.request_id).toBe(ready.headers.get("x-request-id"));
      expect(server.logs.text).toContain("not ready");

      const health = await server.request("/api/v0/health");
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: "ok" });
    });
  });
});

describe("metadata", () => {
  it("names the web app and the docs, and says how long an approved CLI login waits (HARMONT_HANDOFF_TTL)", async () => {
    const server = await createTestServer(createSqliteTestDatabase(), { HARMONT_PUBLIC_URL: "http://127.0.0.1:8080/", HARMONT_HANDOFF_TTL: "90s" });
    onTestFinished(() => server.close());
    const response = await server.request("/api/v0/meta");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ web_url: "http://127.0.0.1:8080", docs_url: "http://127.0.0.1:8080/docs", cli_handoff_lifetime_seconds: 90 });

    const byDefault = await createTestServer(createSqliteTestDatabase());
    onTestFinished(() => byDefault.close());
    expect(await (await byDefault.request("/api/v0/meta")).json()).toMatchObject({ cli_handoff_lifetime_seconds: 60 });
  });
});

describe("probes with an injected database", () => {
  let server: TestServer;
  afterEach(async () => {
    await server.close();
  });

  it("ready answers 503 with Retry-After when the ping fails, and 200 again when it answers", async () => {
    server = await createTestServer(createSqliteTestDatabase());
    let failing = true;
    const app = createApp({
      ...server.deps,
      pingDatabase: async () => {
        if (failing) throw connectionRefused();
      },
    });
    const down = await app.request("/api/v0/ready");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toMatch(/^[1-5]$/);
    expect(((await down.json()) as Envelope).error.code).toBe("service_unavailable");

    failing = false;
    const up = await app.request("/api/v0/ready");
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: "ok" });
  });

  it("ready answers 503 when the database does not answer within the timeout", async () => {
    server = await createTestServer(createSqliteTestDatabase());
    const app = createApp({ ...server.deps, pingDatabase: () => new Promise<void>(() => {}) });
    const started = Date.now();
    const response = await app.request("/api/v0/ready");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toMatch(/^[1-5]$/);
    expect(Date.now() - started).toBeLessThan(4000);
  }, 10_000);

  it("health never touches the database", async () => {
    server = await createTestServer(createSqliteTestDatabase());
    const store = breakStore(server.deps.auth.store);
    let pinged = 0;
    const app = createApp({ ...server.deps, pingDatabase: async () => void pinged++ });
    const response = await app.request("/api/v0/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(store.calls).toBe(0);
    expect(pinged).toBe(0);
  });
});

describe("a route whose store cannot reach the database", () => {
  it.each([
    ["the session check", (server: TestServer, token: string) => server.request("/api/v0/auth/session", { token })],
    ["the current user", (server: TestServer, token: string) => server.request("/api/v0/user", { token })],
    [
      "password sign-in",
      (server: TestServer) => server.request("/api/v0/auth/login", { json: { email: "nobody@example.com", password: "correct horse battery staple" } }),
    ],
    ["a CLI claim", (server: TestServer) => server.request("/api/v0/auth/cli/claim", { json: { nonce: "n".repeat(43) } })],
  ])("answers 503 service_unavailable with Retry-After: %s", async (_name, send) => {
    const server = await createTestServer(createSqliteTestDatabase());
    onTestFinished(() => server.close());
    const { token } = await signUp(server);
    const store = breakStore(server.deps.auth.store);

    const response = await send(server, token);
    expect(store.calls).toBeGreaterThan(0);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toMatch(/^[1-5]$/);
    expect(((await response.json()) as Envelope).error).toMatchObject({ code: "service_unavailable", type: "service_unavailable" });
  });
});
