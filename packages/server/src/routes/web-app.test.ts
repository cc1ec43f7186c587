/**
 * The web app's files as routes/web-app.ts serves them, against a small build made by the test
 * (so these run without `npm run build`): headers, caching, HEAD, and what is never served.
 * packages/web/test/serving.test.ts covers the real build.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenAPIHono } from "@hono/zod-openapi";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../app-deps.js";
import { loadConfig } from "../config.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";
import { createErrorHandler, renderError } from "../http/error-envelope.js";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServer } from "../test-support/harness.js";
import { registerWebAppRoutes, webAppSecurityPolicy } from "./web-app.js";

const script = "console.log('hello from the build');\n";
let build: string;
let app: OpenAPIHono<AppEnv>;

beforeAll(() => {
  build = mkdtempSync(join(tmpdir(), "harmont-web-build-"));
  mkdirSync(join(build, "assets", "nested"), { recursive: true });
  writeFileSync(join(build, "index.html"), '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>');
  writeFileSync(join(build, "assets", "app-abc123.js"), script);
  writeFileSync(join(build, "assets", ".hidden.js"), "secret");
  writeFileSync(join(build, "assets", "nested", "index.html"), "<p>a folder's index</p>");
  writeFileSync(join(build, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  writeFileSync(join(build, ".env"), "SECRET=1");

  const config = loadConfig({ HARMONT_PUBLIC_URL: "http://127.0.0.1:8080" });
  app = new OpenAPIHono<AppEnv>();
  registerWebAppRoutes(app, { config } as AppDeps, { webDirectory: build });
  app.notFound((c) => renderError(c, new ApiError("not_found"), config.docsUrl));
  app.onError(createErrorHandler({ docsUrl: config.docsUrl, logger: pino({ level: "silent" }), isServiceUnavailable: () => false }));
});

afterAll(() => {
  rmSync(build, { recursive: true, force: true });
});

function expectWebHeaders(response: Response): void {
  expect(response.headers.get("content-security-policy")).toBe(webAppSecurityPolicy);
  expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}

describe("the web app's static files", () => {
  it("serves a hashed asset whole, cached for a year, under the web app's policy", async () => {
    const response = await app.request("/assets/app-abc123.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(script)));
    expectWebHeaders(response);
    expect(await response.text()).toBe(script);
  });

  it("serves a top-level file for an hour with the module's own content type", async () => {
    const response = await app.request("/favicon.svg");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/svg+xml");
    expect(response.headers.get("cache-control")).toBe("public, max-age=3600");
    expectWebHeaders(response);
  });

  it("answers HEAD with the headers and no body", async () => {
    const response = await app.request("/assets/app-abc123.js", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(script)));
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await response.text()).toBe("");
  });

  it("never serves a dotfile, a folder (or the index inside it) or a path that leaves the build", async () => {
    for (const path of ["/.env", "/assets/.hidden.js", "/assets/nested", "/assets/nested/", "/assets/", "/assets/..%2Findex.html", "/assets/%2e%2e/.env", "/assets/missing-abc123.js"]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe("not_found");
      // A miss is the API's 404, not a web app answer: none of the file headers leak onto it.
      expect(response.headers.get("content-security-policy"), path).toBeNull();
      expect(response.headers.get("cache-control"), path).toBe("no-store");
    }
  });
});

describe("paths the server keeps for itself", () => {
  const reserved = ["/.well-known/nope", "/.well-known/openid-configuration", "/.well-known/", "/.well-known", "/api/nope", "/api/v0/nope/deeper"];

  async function expectNotFoundEnvelope(response: Response, path: string): Promise<void> {
    expect(response.status, path).toBe(404);
    expect(response.headers.get("content-type"), path).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control"), path).toBe("no-store");
    expect(response.headers.get("content-security-policy"), path).toBeNull();
    const body = (await response.json()) as { error: { code: string; request_id?: string } };
    expect(body.error.code, path).toBe("not_found");
  }

  // Regression: an unknown /.well-known/ path used to get index.html with a 200 from the
  // catch-all, which a client probing for metadata (RFC 8414, RFC 8615) would take as an answer.
  it("answers unknown /.well-known/ and /api/ paths with the 404 envelope, never index.html", async () => {
    for (const path of reserved) {
      await expectNotFoundEnvelope(await app.request(path), path);
      const head = await app.request(path, { method: "HEAD" });
      expect(head.status, `HEAD ${path}`).toBe(404);
    }
    const page = await app.request("/some/client/route");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root"></div>');
  });

  it("does the same in the whole app, with the request id in the envelope", async () => {
    const server = await createTestServer(createSqliteTestDatabase());
    try {
      for (const path of reserved) {
        const response = await server.request(path);
        const requestId = response.headers.get("x-request-id");
        expect(requestId, path).toBeTruthy();
        const copy = response.clone();
        await expectNotFoundEnvelope(response, path);
        expect(((await copy.json()) as { error: { request_id: string } }).error.request_id).toBe(requestId);
      }
      // Not reserved: still the web app's (its page, or the "not built" page without a build).
      const page = await server.request("/well-known/page");
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    } finally {
      await server.close();
    }
  });
});
