/** A person's browser gets errors outside the API as a page; clients always get the envelope. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServer, type TestServer } from "../test-support/harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer(await createSqliteTestDatabase());
});
afterAll(async () => server.close());

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("error pages", () => {
  it("answers a browser's request for a missing docs page with a styled 404 page", async () => {
    const response = await server.request("/docs/guides/no-such-guide", { headers: { accept: browserAccept } });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain("<h1>Page not found</h1>");
    expect(html).toContain("background:#f5f6f9");
    expect(html).toMatch(/href="[^"]*\/docs\/api\/errors\/not_found"/);
    expect(html).toContain(response.headers.get("x-request-id")!);
  });

  it("keeps the JSON envelope for API paths and for clients that do not ask for HTML", async () => {
    for (const [path, accept] of [
      ["/api/v0/no-such-route", browserAccept],
      ["/.well-known/no-such-document", browserAccept],
      ["/docs/guides/no-such-guide", "application/json"],
      ["/docs/guides/no-such-guide", "*/*"],
    ] as const) {
      const response = await server.request(path, { headers: { accept } });
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe("not_found");
    }
  });

  it("answers a browser's POST with the envelope too: pages are only for GET", async () => {
    const response = await server.request("/docs/guides/no-such-guide", { method: "POST", headers: { accept: browserAccept } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});
