/**
 * How harmont-server serves the built web app (packages/server/src/routes/web-app.ts), over HTTP
 * in process: the policy headers, caching, the SPA fallback, and that the API and the docs keep
 * their own answers.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenAPIHono } from "@hono/zod-openapi";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../server/src/app-deps.js";
import { loadConfig } from "../../server/src/config.js";
import type { AppEnv } from "../../server/src/http/context.js";
import { registerWebAppRoutes, webAppSecurityPolicy } from "../../server/src/routes/web-app.js";
import { createSqliteTestDatabase } from "../../server/src/test-support/databases.js";
import { createTestServer, type TestServer } from "../../server/src/test-support/harness.js";
import { webBuild } from "./support/harmont.js";

describe("harmont-server serving the web app", () => {
  const servers: TestServer[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const server = await createTestServer(createSqliteTestDatabase(), { HARMONT_PUBLIC_URL: "http://127.0.0.1:8080", ...env });
    servers.push(server);
    return server;
  };

  beforeAll(() => {
    if (!existsSync(webBuild)) throw new Error(`the web app is not built (${webBuild} is missing): run \`npm run build\``);
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  const expectWebHeaders = (response: Response) => {
    expect(response.headers.get("content-security-policy")).toBe(webAppSecurityPolicy);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  };

  it("answers every client route with index.html, never cached, under the strict policy", async () => {
    const server = await start();
    for (const path of ["/", "/sign-in", "/sign-up", "/account", "/cli-login", "/some/client/route"]) {
      const response = await server.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=UTF-8");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expectWebHeaders(response);
      const html = await response.text();
      expect(html).toContain('<div id="root"></div>');
      // No inline script: every script is a file from this origin.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
    const head = await server.request("/account", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("logs the route pattern of a page, never its path or query (the nonce travels there)", async () => {
    const server = await start();
    const nonce = "n0nce-that-must-not-be-logged-0123456789";
    expect((await server.request(`/cli-login?nonce=${nonce}&port=4567&state=s`)).status).toBe(200);
    const line = server.logs.lines.map((text) => JSON.parse(text) as { msg: string; route?: string }).find((entry) => entry.msg === "request");
    expect(line?.route).toBe("/(web)");
    expect(server.logs.text).not.toContain(nonce);
    expect(server.logs.text).not.toContain("cli-login");
  });

  it("serves hashed assets for a year and the other files for an hour", async () => {
    const server = await start();
    const html = await (await server.request("/")).text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const stylesheet = /<link[^>]+href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script && stylesheet).toBeTruthy();

    const js = await server.request(script!);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expectWebHeaders(js);
    const css = await server.request(stylesheet!);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");

    const icon = await server.request("/favicon.svg");
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(icon.headers.get("cache-control")).toBe("public, max-age=3600");

    const assetLines = server.logs.lines.filter((text) => text.includes('"route":"/assets/*"'));
    expect(assetLines).toHaveLength(2);
  });

  it("answers a missing file, a path outside the build and a non-GET with the JSON 404 envelope", async () => {
    const server = await start();
    for (const path of ["/assets/missing-abc123.js", "/assets/..%2F..%2Fpackage.json", "/assets/%2e%2e/index.html", "/missing.png", "/deep/favicon.svg", "/index.html"]) {
      const response = await server.request(path);
      expect(response.status, path).toBe(404);
      expect((await response.json()).error.code).toBe("not_found");
    }
    const post = await server.request("/account", { method: "POST" });
    expect(post.status).toBe(404);
    expect((await post.json()).error.code).toBe("not_found");
  });

  it("leaves the API and the docs alone: unknown API paths keep the JSON envelope, /docs its own policy", async () => {
    const server = await start();
    for (const path of ["/api", "/api/", "/api/v0/nothing-here", "/api/v0/auth/cli/nothing"]) {
      const response = await server.request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect((await response.json()).error.code).toBe("not_found");
    }
    const wrongMethod = await server.request("/api/v0/auth/cli/claim");
    expect(wrongMethod.status).toBe(405);
    expect((await wrongMethod.json()).error.code).toBe("method_not_allowed");

    const openapi = await server.request("/api/v0/openapi.json");
    expect(openapi.status).toBe(200);
    expect((await openapi.json()).openapi).toMatch(/^3\.1/);

    const docs = await server.request("/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-security-policy")).not.toBe(webAppSecurityPolicy);
    const missingDoc = await server.request("/docs/no-such-page");
    expect(missingDoc.status).toBe(404);
    expect((await missingDoc.json()).error.code).toBe("not_found");
  });

  it("carries the public URL's path into the page when the server is mounted under one", async () => {
    const server = await start({ HARMONT_PUBLIC_URL: "http://127.0.0.1:8080/auth/" });
    const html = await (await server.request("/cli-login")).text();
    expect(html).toContain('<meta name="harmont-base" content="/auth">');
    expect(html).toMatch(/<script[^>]+src="\/auth\/assets\/[^"]+\.js"/);
    expect(html).toContain('href="/auth/favicon.svg"');
    expect(html).not.toMatch(/(src|href)="\/assets\//);
  });

  it("tells the operator to run `npm run build` when the app is not built", async () => {
    const empty = mkdtempSync(join(tmpdir(), "harmont-no-web-"));
    try {
      const app = new OpenAPIHono<AppEnv>();
      const deps = { config: loadConfig({ HARMONT_PUBLIC_URL: "http://127.0.0.1:8080" }) } as AppDeps;
      registerWebAppRoutes(app, deps, { webDirectory: empty });
      const response = await app.request("/account");
      expect(response.status).toBe(503);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expectWebHeaders(response);
      expect(await response.text()).toContain("<code>npm run build</code>");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
