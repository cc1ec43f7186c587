/**
 * The OAuth sub-app at /api/v0/oauth: every non-2xx answer is RFC 6749 §5.2
 * `{error, error_description}` with `Cache-Control: no-store`, `Pragma: no-cache` and the request
 * id, never the envelope; the form guard; and the main app keeping its envelope everywhere else.
 * Endpoints do not exist yet, so the tests register their own on a sub-app they build.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../errors.js";
import { requestContext } from "../http/app-middleware.js";
import type { AppEnv } from "../http/context.js";
import { createErrorHandler, renderError } from "../http/error-envelope.js";
import { formBody, formRouteGuards } from "../http/form-body.js";
import { isValidErrorDescription, oauthErrorCodes } from "../http/oauth-error.js";
import type { RateLimiter } from "../http/rate-limit.js";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServer, type TestServer } from "../test-support/harness.js";
import { createOAuthApp, oauthBasePath } from "./oauth.js";

let server: TestServer;
/** The main app's middleware and envelope handlers around a sub-app with test routes. */
let app: OpenAPIHono<AppEnv>;

const refusingLimiter: RateLimiter = {
  consume: async () => ({ allowed: false, retryAfterSeconds: 7 }),
  reset: async () => {},
  isBlocked: async () => true,
  reward: async () => {},
};

/** A test endpoint declared the way the real ones will be: an OpenAPI route with the form guards. */
function formRoute(path: string, options: { ipLimiter?: RateLimiter } = {}) {
  const middleware: MiddlewareHandler<AppEnv>[] = formRouteGuards({ path: `${oauthBasePath}${path}`, ...options });
  return createRoute({ method: "post", path, middleware, responses: { 200: { description: "A test answer." } } });
}

beforeAll(async () => {
  server = await createTestServer(createSqliteTestDatabase());
  const { deps } = server;
  app = new OpenAPIHono<AppEnv>();
  app.use("*", requestContext({ logger: deps.logger, trustProxyHops: 0, accessLog: true }));
  app.route(
    oauthBasePath,
    createOAuthApp(deps, {
      routes: (oauth) => {
        oauth.openapi(formRoute("/echo"), (c) => {
          const form = formBody(c);
          return c.json({ name: form.get("name"), keys: [...form.keys()] });
        });
        oauth.openapi(formRoute("/limited", { ipLimiter: refusingLimiter }), (c) => c.json({}));
        oauth.openapi(formRoute("/boom"), () => {
          throw new Error("select secret_column from device_authorizations");
        });
        oauth.post("/database-down", () => {
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        });
        oauth.get("/api-error", () => {
          throw new ApiError("not_found");
        });
      },
    }),
  );
  // As in app.ts: if either of these rendered an OAuth path, the tests below would see the envelope.
  app.notFound((c) => renderError(c, new ApiError("not_found"), deps.config.docsUrl));
  app.onError(createErrorHandler({ docsUrl: deps.config.docsUrl, logger: deps.logger, isServiceUnavailable: deps.isServiceUnavailable }));
});

afterAll(async () => {
  await server?.close();
});

function post(path: string, body: string | null, contentType?: string, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(
    app.request(`${oauthBasePath}${path}`, { method: "POST", body, headers: { ...(contentType ? { "content-type": contentType } : {}), ...headers } }),
  );
}

/** Asserts the RFC 6749 §5.2 shape and headers, and returns the `error` code. */
async function oauthError(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("pragma")).toBe("no-cache");
  expect(response.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["error", "error_description"]);
  expect(typeof body.error).toBe("string");
  expect(isValidErrorDescription(body.error_description as string)).toBe(true);
  return body.error as string;
}

describe("the OAuth sub-app in the whole app", () => {
  it("answers an unknown path under /api/v0/oauth with the OAuth 404, whatever the method", async () => {
    for (const [path, method] of [
      ["/api/v0/oauth/nope", "GET"],
      ["/api/v0/oauth/nope", "POST"],
      ["/api/v0/oauth/tokens", "POST"],
      ["/api/v0/oauth/a/b/c", "DELETE"],
      ["/api/v0/oauth", "GET"],
      ["/api/v0/oauth/", "GET"],
    ] as const) {
      const response = await server.request(path, { method });
      expect(await oauthError(response, 404), `${method} ${path}`).toBe("not_found");
    }
  });

  it("sends the same headers over a real socket, where defaults go onto Node's response", async () => {
    const listening = serve({ fetch: server.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => listening.once("listening", resolve));
    try {
      const { port } = listening.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/api/v0/oauth/nope`, { method: "POST" });
      expect(await oauthError(response, 404)).toBe("not_found");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    } finally {
      await new Promise<void>((resolve) => listening.close(() => resolve()));
    }
  });

  it("leaves the envelope to every other /api path", async () => {
    for (const path of ["/api/v0/nope", "/api/v0/oauthx", "/api/v0/oauth-nope", "/api/oauth/token"]) {
      const response = await server.request(path);
      expect(response.status, path).toBe(404);
      const body = (await response.json()) as { error: { code: string; request_id: string } };
      expect(body.error.code, path).toBe("not_found");
      expect(body.error.request_id, path).toBe(response.headers.get("x-request-id"));
    }
    const wrongMethod = await server.request("/api/v0/auth/cli/claim");
    expect(wrongMethod.status).toBe(405);
    expect(((await wrongMethod.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });
});

describe("the OAuth sub-app's answers", () => {
  it("parses a form body once and hands it to the endpoint", async () => {
    for (const contentType of ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded;charset=UTF-8", "Application/X-WWW-Form-Urlencoded; charset=utf-8"]) {
      const response = await post("/echo", "name=device+login%20%C3%A9&client_id=harmont-cli", contentType);
      expect(response.status, contentType).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("pragma")).toBe("no-cache");
      expect(await response.json()).toEqual({ name: "device login é", keys: ["name", "client_id"] });
    }
  });

  it("answers another media type with 415 invalid_request, and no body at all with 400", async () => {
    expect(await oauthError(await post("/echo", '{"name":"x"}', "application/json"), 415)).toBe("invalid_request");
    expect(await oauthError(await post("/echo", "name=x", "text/plain"), 415)).toBe("invalid_request");
    expect(await oauthError(await post("/echo", "name=x", "multipart/form-data; boundary=x"), 415)).toBe("invalid_request");
    expect(await oauthError(await post("/echo", null), 400)).toBe("invalid_request");
  });

  it("refuses a parameter sent twice (RFC 6749 §3.1)", async () => {
    expect(await oauthError(await post("/echo", "name=a&name=b", "application/x-www-form-urlencoded"), 400)).toBe("invalid_request");
  });

  it("answers a body over 64 KiB with 413, declared or streamed", async () => {
    const large = `name=${"a".repeat(70 * 1024)}`;
    expect(await oauthError(await post("/echo", large, "application/x-www-form-urlencoded", { "content-length": String(large.length) }), 413)).toBe("invalid_request");
    // The size is checked before the media type, as on the JSON routes.
    expect(await oauthError(await post("/echo", large, "application/json", { "content-length": String(large.length) }), 413)).toBe("invalid_request");
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(large));
        controller.close();
      },
    });
    const response = await Promise.resolve(
      app.request(`${oauthBasePath}/echo`, { method: "POST", body: streamed, headers: { "content-type": "application/x-www-form-urlencoded" }, duplex: "half" } as RequestInit),
    );
    expect(await oauthError(response, 413)).toBe("invalid_request");
  });

  it("answers a wrong method with 405 invalid_request and Allow", async () => {
    const response = await app.request(`${oauthBasePath}/echo`);
    expect(response.headers.get("allow")).toBe("POST");
    expect(await oauthError(response, 405)).toBe("invalid_request");
  });

  it("answers a refused rate limit with 429 rate_limited and Retry-After", async () => {
    const response = await post("/limited", "a=1", "application/x-www-form-urlencoded");
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await oauthError(response, 429)).toBe("rate_limited");
  });

  it("hides an unexpected exception behind server_error and logs it with the request id", async () => {
    const response = await post("/boom", "a=1", "application/x-www-form-urlencoded");
    const requestId = response.headers.get("x-request-id")!;
    const text = await response.clone().text();
    expect(await oauthError(response, 500)).toBe("server_error");
    expect(text).not.toContain("secret_column");
    const logged = server.logs.lines.map((line) => JSON.parse(line) as { msg?: string; request_id?: string; err?: { message?: string } });
    const line = logged.find((entry) => entry.msg === "unhandled error" && entry.request_id === requestId);
    expect(line?.err?.message).toContain("secret_column");
  });

  it("answers an unreachable database with 503 temporarily_unavailable", async () => {
    expect(await oauthError(await post("/database-down", null), 503)).toBe("temporarily_unavailable");
  });

  it("translates an envelope error thrown inside the sub-app", async () => {
    expect(await oauthError(await app.request(`${oauthBasePath}/api-error`), 404)).toBe("not_found");
  });

  it("reuses a well-formed X-Request-Id on its errors", async () => {
    const requestId = "req_oauth_test_0123456789abcdef";
    const response = await app.request(`${oauthBasePath}/nope`, { headers: { "x-request-id": requestId } });
    expect(response.headers.get("x-request-id")).toBe(requestId);
    expect(await oauthError(response, 404)).toBe("not_found");
  });

  it("logs the route pattern of an endpoint, never its form", async () => {
    await post("/echo", "name=never-in-a-log-0123456789", "application/x-www-form-urlencoded");
    const routes = server.logs.lines.map((line) => JSON.parse(line) as { msg?: string; route?: string }).filter((entry) => entry.msg === "request").map((entry) => entry.route);
    expect(routes).toContain("/api/v0/oauth/echo");
    expect(server.logs.text).not.toContain("never-in-a-log");
  });

  it("has default descriptions in the characters RFC 6749 §5.2 allows", () => {
    for (const [code, definition] of Object.entries(oauthErrorCodes)) expect(isValidErrorDescription(definition.description), code).toBe(true);
    expect(isValidErrorDescription('say "hi"')).toBe(false);
    expect(isValidErrorDescription("don’t")).toBe(false);
  });
});
