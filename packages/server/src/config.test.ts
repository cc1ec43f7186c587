import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseDuration, renderHelp, settings } from "./config.js";

describe("loadConfig", () => {
  it("has working defaults on a fresh machine", () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe("sqlite:.harmont/harmont.db");
    expect(config.publicUrl.href).toBe("http://localhost:8080/");
    expect(config.docsUrl).toBe("http://localhost:8080/docs");
    expect(config.webOrigins).toEqual(["http://localhost:8080"]);
    expect(config.environment).toBe("development");
    expect(config.trustProxyHops).toBe(0);
    expect(config.lifetimes).toEqual({
      handoffMs: 60_000,
      pasteCodeMs: 300_000,
      webSessionIdleMs: 7 * 86_400_000,
      webSessionAbsoluteMs: 30 * 86_400_000,
      cliSessionIdleMs: 30 * 86_400_000,
      cliSessionAbsoluteMs: 90 * 86_400_000,
    });
  });

  it("defaults to production for a public URL that is not loopback", () => {
    const smtp = { HARMONT_SMTP_URL: "smtp://mail.example.com:587" };
    expect(loadConfig({ HARMONT_PUBLIC_URL: "https://auth.example.com", ...smtp }).environment).toBe("production");
    expect(loadConfig({ HARMONT_PUBLIC_URL: "http://127.0.0.1:9000" }).environment).toBe("development");
  });

  it("derives the docs URL and web origin from the public URL", () => {
    const config = loadConfig({ HARMONT_PUBLIC_URL: "https://auth.example.com/", HARMONT_SMTP_URL: "smtps://u:p@mail.example.com" });
    expect(config.docsUrl).toBe("https://auth.example.com/docs");
    expect(config.webOrigins).toEqual(["https://auth.example.com"]);
  });

  it.each([
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["HARMONT_DATABASE_URL", "mysql://x"],
    ["HARMONT_PUBLIC_URL", "not a url"],
    ["HARMONT_PUBLIC_URL", "ftp://example.com"],
    ["HARMONT_ENV", "staging"],
    ["HARMONT_TRUST_PROXY", "maybe"],
    ["HARMONT_HANDOFF_TTL", "soon"],
    ["HARMONT_LIMIT_CLI_PER_IP", "-1"],
    ["HARMONT_LOG_LEVEL", "loud"],
  ])("refuses %s=%s with a message naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("refuses to start in production without SMTP", () => {
    expect(() => loadConfig({ HARMONT_PUBLIC_URL: "https://auth.example.com" })).toThrow(/HARMONT_SMTP_URL is required in production/);
    expect(() => loadConfig({ HARMONT_ENV: "production" })).toThrow(/HARMONT_SMTP_URL/);
    expect(loadConfig({ HARMONT_ENV: "production", HARMONT_SMTP_URL: "smtp://127.0.0.1:2525" }).email.smtpUrl).toBe("smtp://127.0.0.1:2525");
    expect(() => loadConfig({ HARMONT_SMTP_URL: "http://mail" })).toThrow(/smtp:\/\//);
  });

  it("never shows a database password in its messages", () => {
    expect(() => loadConfig({ HARMONT_DATABASE_URL: "mongodb://admin:hunter2@db" })).toThrow(/^(?!.*hunter2)/);
  });

  it("reads durations with units", () => {
    expect(parseDuration("X", "90")).toBe(90_000);
    expect(parseDuration("X", "5m")).toBe(300_000);
    expect(parseDuration("X", "250ms")).toBe(250);
    expect(() => parseDuration("X", "0s")).toThrow(ConfigError);
  });

  it("lists every setting in --help", () => {
    const help = renderHelp();
    for (const setting of settings) expect(help).toContain(setting.name);
  });
});
