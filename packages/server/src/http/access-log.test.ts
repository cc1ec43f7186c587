/** The access log: off by default in development, so the terminal stays readable; on in production. */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServer, type TestServer } from "../test-support/harness.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const production = { HARMONT_ENV: "production", HARMONT_SMTP_URL: "smtp://127.0.0.1:2525", HARMONT_SECRET_KEY: randomBytes(32).toString("base64url") };

describe("HARMONT_ACCESS_LOG", () => {
  it("defaults to off in development and on in production, and can be set either way", () => {
    expect(loadConfig({}).accessLog).toBe(false);
    expect(loadConfig({ HARMONT_ACCESS_LOG: "on" }).accessLog).toBe(true);
    expect(loadConfig(production).accessLog).toBe(true);
    expect(loadConfig({ ...production, HARMONT_ACCESS_LOG: "off" }).accessLog).toBe(false);
    expect(() => loadConfig({ HARMONT_ACCESS_LOG: "yes" })).toThrow(/HARMONT_ACCESS_LOG must be on or off/);
  });

  it("writes one line per request when on, and none when off", async () => {
    for (const [setting, lines] of [["on", 1], ["off", 0]] as const) {
      server = await createTestServer(await createSqliteTestDatabase(), { HARMONT_ACCESS_LOG: setting });
      expect((await server.request("/api/v0/health")).status).toBe(200);
      const requestLines = server.logs.text.split("\n").filter((line) => line.includes('"msg":"request"'));
      expect(requestLines).toHaveLength(lines);
      await server.close();
      server = undefined;
    }
  });
});
