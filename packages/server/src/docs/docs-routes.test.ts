/**
 * The docs the server serves: the API reference at /docs (from this origin only), the error
 * pages every envelope's doc_url points to, /llms.txt and the generated pages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodes } from "../errors.js";
import { docUrlFor } from "../http/error-envelope.js";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServer, type TestServer } from "../test-support/harness.js";

let server: TestServer;

beforeAll(async () => {
  server = await createTestServer(createSqliteTestDatabase(), { HARMONT_PUBLIC_URL: "http://harmont.test", HARMONT_ENV: "development" });
});

afterAll(async () => {
  await server?.close();
});

async function expectNotFoundEnvelope(response: Response): Promise<void> {
  expect(response.status).toBe(404);
  const body = (await response.json()) as { error: { code: string; doc_url: string } };
  expect(body.error.code).toBe("not_found");
  expect(body.error.doc_url).toBe("http://harmont.test/docs/api/errors/not_found");
}

describe("error pages", () => {
  it("the doc_url of every code in the error table answers 200 with its page", async () => {
    for (const code of Object.keys(errorCodes) as Array<keyof typeof errorCodes>) {
      const docUrl = new URL(docUrlFor(server.config.docsUrl, code));
      expect(docUrl.origin).toBe("http://harmont.test");
      const response = await server.request(docUrl.pathname);
      expect(response.status, code).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain(`<code>${code}</code>`);
      expect(html).toContain(String(errorCodes[code].status));
    }
  });

  it("a real error's doc_url leads to its page", async () => {
    const failure = await server.request("/api/v0/user");
    const body = (await failure.json()) as { error: { code: string; doc_url: string } };
    expect(body.error.code).toBe("unauthorized");
    const page = await server.request(new URL(body.error.doc_url).pathname);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Sign in again");
  });

  it("serves each page as Markdown too, and the list of codes", async () => {
    const markdown = await server.request("/docs/api/errors/cli_code_invalid.md");
    expect(markdown.status).toBe(200);
    expect(markdown.headers.get("content-type")).toMatch(/^text\/markdown/);
    expect(await markdown.text()).toMatch(/^# `cli_code_invalid`/);
    const index = await server.request("/docs/api/errors");
    expect(index.status).toBe(200);
    const html = await index.text();
    for (const code of Object.keys(errorCodes)) expect(html).toContain(`href="/docs/api/errors/${code}"`);
  });

  it("answers the 404 envelope for a code that is not in the table", async () => {
    await expectNotFoundEnvelope(await server.request("/docs/api/errors/no_such_code"));
    await expectNotFoundEnvelope(await server.request("/docs/api/errors/toString"));
    await expectNotFoundEnvelope(await server.request("/docs/api/errors/__proto__"));
  });

  it("pages allow no script at all", async () => {
    const response = await server.request("/docs/api/errors/unauthorized");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await response.text()).not.toContain("<script");
  });
});

describe("the interactive reference at /docs", () => {
  it("loads its script and the OpenAPI document from this server only", async () => {
    const response = await server.request("/docs");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<script src="/docs/scalar.js">');
    expect(html).toContain('"url": "/api/v0/openapi.json"');
    expect(html).not.toMatch(/https?:\/\/(?!harmont\.test)[a-z0-9.-]+\//i);
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toContain("unsafe-eval");
  });

  it("brands the reference: Harmont's icon, a bar with links to the guides that all resolve, no Scalar client button", async () => {
    const html = await (await server.request("/docs")).text();
    const bar = /<nav class="harmont-docs-bar"[^>]*>([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? "";
    expect(bar).toContain("Harmont");
    const links = [...bar.matchAll(/href="([^"]+)"/g)].map((match) => match[1]!);
    expect(links).toEqual(expect.arrayContaining(["/docs/guides/quick-start", "/docs/guides/cli-login", "/docs/api/errors"]));
    for (const link of links.filter((href) => href.startsWith("/docs") || href.endsWith(".txt"))) {
      expect((await server.request(link)).status, link).toBe(200);
    }
    expect(html).toContain('"favicon": "/favicon.svg"');
    expect(html).toContain('"hideClientButton": true');
  });

  it("puts the same bar and the web app's colours on every guide and error page", async () => {
    for (const path of ["/docs/guides/quick-start", "/docs/api/errors", "/docs/api/errors/not_found"]) {
      const html = await (await server.request(path)).text();
      expect(html, path).toContain('<nav class="harmont-docs-bar"');
      expect(html, path).toContain('<link rel="icon" href="/favicon.svg"');
      expect(html, path).toContain("background:#f5f6f9");
      expect(html, path).toMatch(/<main>[\s\S]*<h1/);
    }
  });

  it("serves the reference's script from the @scalar/api-reference package", async () => {
    const response = await server.request("/docs/scalar.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    const script = await response.text();
    expect(script.length).toBeGreaterThan(100_000);
    expect(script).toContain("@scalar/api-reference");
  });

  it("redirects /docs/ to /docs", async () => {
    const response = await server.request("/docs/");
    expect(response.status).toBe(301);
    expect(response.headers.get("location")).toBe("/docs");
  });
});

describe("llms.txt and the generated pages", () => {
  it("serves /llms.txt and the Markdown of each API group it links to", async () => {
    const response = await server.request("/llms.txt");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const index = await response.text();
    const groups = [...index.matchAll(/\((\/docs\/llms\/[a-z0-9-]+\.md)\)/g)].map((match) => match[1]!);
    expect(groups.length).toBeGreaterThan(0);
    for (const path of groups) {
      const page = await server.request(path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/markdown/);
    }
    for (const path of [...index.matchAll(/\]\((\/docs\/[^)]+)\)/g)].map((match) => match[1]!)) {
      expect((await server.request(path)).status, path).toBe(200);
    }
  });

  it("renders the references and guides as HTML with links under /docs", async () => {
    const reference = await server.request("/docs/api/reference/auth");
    expect(reference.status).toBe(200);
    const html = await reference.text();
    expect(html).toContain('id="cliclaim"');
    expect(html).toContain('href="/docs/api/errors/cli_code_invalid"');
    expect(html).not.toContain("Generated by");

    const guide = await server.request("/docs/guides/quick-start");
    expect(guide.status).toBe(200);
    const source = await server.request("/docs/guides/quick-start.md");
    expect(await source.text()).toMatch(/^# Quick start/);
  });

  it("serves nothing outside the docs folder", async () => {
    for (const path of ["/docs/..%2Fpackage.json", "/docs/%2e%2e/%2e%2e/package.json", "/docs/examples/quick-start", "/docs/nope", "/docs/guides/.hidden"]) {
      const response = await server.request(path);
      expect(response.status, path).toBe(404);
    }
  });

  it("logs route patterns, never the page or code asked for", async () => {
    await server.request("/docs/api/errors/email_taken");
    await server.request("/docs/guides/security");
    const lines = server.logs.lines.map((line) => JSON.parse(line) as { msg?: string; route?: string });
    const routes = lines.filter((line) => line.msg === "request").map((line) => line.route);
    expect(routes).toContain("/docs/api/errors/:code");
    expect(routes).toContain("/docs/*");
    expect(server.logs.text).not.toContain("email_taken");
    expect(server.logs.text).not.toContain("guides/security");
  });
});
