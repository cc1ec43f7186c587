import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, describeDefault, loadConfig, parseDuration, readSettings, settingGroups, settings, type SettingName } from "./config.js";

const productionKey = randomBytes(32).toString("base64url");

const settingNames = Object.keys(settings) as SettingName[];

describe("loadConfig", () => {
  it("has working defaults on a fresh machine", () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe(`sqlite:${join(process.cwd(), ".harmont", "harmont.db")}`);
    expect(config.publicUrl.href).toBe("http://localhost:8080/");
    expect(config.docsUrl).toBe("http://localhost:8080/docs");
    expect(config.webOrigins).toEqual(["http://localhost:8080"]);
    expect(config.environment).toBe("development");
    expect(config.trustProxyHops).toBe(0);
    expect(config.lifetimes).toEqual({
      accountDeletionGraceMs: 7 * 86_400_000,
      handoffMs: 60_000,
      invitationMs: 7 * 86_400_000,
      passwordResetMs: 30 * 60_000,
      loginChallengeMs: 5 * 60_000,
      pasteCodeMs: 300_000,
      webSessionIdleMs: 7 * 86_400_000,
      webSessionAbsoluteMs: 30 * 86_400_000,
      cliSessionIdleMs: 30 * 86_400_000,
      cliSessionAbsoluteMs: 90 * 86_400_000,
    });
    expect(config.apiTokens).toEqual({ maxLifetimeMs: 365 * 86_400_000, allowNoExpiry: false });
    expect(config.limits).toEqual({ cliPerIpPerMinute: 6000, oauthPerIpPerMinute: 6000, deviceCodesPerIpPerHour: 60, signupPerIpPerHour: 30, loginPerIpPerMinute: 60 });
    expect(config.oauth).toEqual({
      clients: [{ id: "harmont-cli", name: "Harmont CLI", firstParty: true }],
      introspectionClients: [],
      deviceCodeTtlMs: 300_000,
      devicePollIntervalMs: 5_000,
    });
    expect(config.purgeIntervalMs).toBe(600_000);
    expect([config.totpIssuer, config.previousSecretKey]).toEqual(["Harmont (localhost)", null]);
    expect(config.impersonation).toEqual({ lifetimeMs: 60 * 60_000, notifyTarget: true });
    expect(config.email).toEqual({ smtpUrl: null, from: "Harmont <no-reply@localhost>", codeTtlMs: 600_000 });
    expect(config.accountLimits).toEqual({
      emailCodesPerAddress: 5,
      emailCodesPerIp: 30,
      emailCodeFailuresPerAddress: 20,
      loginFailuresPerAccount: 100,
      loginCooldownMs: 900_000,
      passwordResetsPerAddressPerHour: 3,
      passwordResetsPerIpPerHour: 30,
      secondFactorFailuresPerAccountPerHour: 10,
      impersonationsPerOperatorPerHour: 20,
      userCodeFailuresPerUser: 10,
      userCodeFailuresPerIp: 20,
      userCodeFailuresGlobal: 1000,
      approvalRequestsPerAccountPerHour: 10,
      orgCreatesPerUserPerDay: 10,
      invitationsPerOrgPerDay: 50,
      invitationsPerInviterPerDay: 50,
    });
  });

  it("derives the public URL from PORT and the mail sender from the public host", () => {
    expect(loadConfig({ PORT: "9090" }).publicUrl.href).toBe("http://localhost:9090/");
    expect(loadConfig({ HARMONT_PUBLIC_URL: "http://auth.localhost:1234" }).email.from).toBe("Harmont <no-reply@auth.localhost>");
  });

  it("refuses a two-step issuer with a colon (apps split the label at it) and a previous key that is not 32 bytes", () => {
    expect(loadConfig({ HARMONT_TOTP_ISSUER: "Acme Cloud" }).totpIssuer).toBe("Acme Cloud");
    expect(() => loadConfig({ HARMONT_TOTP_ISSUER: "Acme:Dev" })).toThrow(/HARMONT_TOTP_ISSUER/);
    expect(() => loadConfig({ HARMONT_SECRET_KEY_PREVIOUS: "c2hvcnQ" })).toThrow(/HARMONT_SECRET_KEY_PREVIOUS/);
  });

  it("reads the OAuth client registry, and refuses a malformed one or a device-code life out of range", () => {
    const hash = "A".repeat(43);
    const config = loadConfig({ HARMONT_OAUTH_CLIENTS: "acme-cli=Acme CLI, deploy-bot=Deploy bot", HARMONT_INTROSPECTION_CLIENTS: `api=sha256:${hash}` });
    expect(config.oauth.clients.map((client) => [client.id, client.name, client.firstParty])).toEqual([
      ["harmont-cli", "Harmont CLI", true],
      ["acme-cli", "Acme CLI", false],
      ["deploy-bot", "Deploy bot", false],
    ]);
    expect(config.oauth.introspectionClients).toEqual([{ id: "api", secretHash: hash }]);
    expect(() => loadConfig({ HARMONT_OAUTH_CLIENTS: "Bad Id=x" })).toThrow(/HARMONT_OAUTH_CLIENTS/);
    expect(() => loadConfig({ HARMONT_OAUTH_CLIENTS: "harmont-cli=Impostor" })).toThrow(/listed twice/);
    expect(() => loadConfig({ HARMONT_INTROSPECTION_CLIENTS: "api=plaintext-secret" })).toThrow(/HARMONT_INTROSPECTION_CLIENTS/);
    expect(() => loadConfig({ HARMONT_DEVICE_CODE_TTL: "1h" })).toThrow(/HARMONT_DEVICE_CODE_TTL/);
    expect(() => loadConfig({ HARMONT_DEVICE_POLL_INTERVAL: "500ms" })).toThrow(/HARMONT_DEVICE_POLL_INTERVAL/);
  });

  it("treats a blank variable as unset and trims values", () => {
    expect(loadConfig({ PORT: "  ", HARMONT_HOST: "", HARMONT_LOG_LEVEL: " debug " })).toMatchObject({ port: 8080, host: "0.0.0.0", logLevel: "debug" });
  });

  it("reads HARMONT_TRUST_PROXY as a hop count", () => {
    expect(loadConfig({ HARMONT_TRUST_PROXY: "true" }).trustProxyHops).toBe(1);
    expect(loadConfig({ HARMONT_TRUST_PROXY: "false" }).trustProxyHops).toBe(0);
    expect(loadConfig({ HARMONT_TRUST_PROXY: "2" }).trustProxyHops).toBe(2);
  });

  it("defaults to production for a public URL that is not loopback", () => {
    const smtp = { HARMONT_SMTP_URL: "smtp://mail.example.com:587", HARMONT_SECRET_KEY: productionKey };
    expect(loadConfig({ HARMONT_PUBLIC_URL: "https://auth.example.com", ...smtp }).environment).toBe("production");
    expect(loadConfig({ HARMONT_PUBLIC_URL: "http://127.0.0.1:9000" }).environment).toBe("development");
  });

  it("derives the docs URL and web origin from the public URL", () => {
    const config = loadConfig({ HARMONT_PUBLIC_URL: "https://auth.example.com/", HARMONT_SMTP_URL: "smtps://u:p@mail.example.com", HARMONT_SECRET_KEY: productionKey });
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
    ["HARMONT_DOCS_URL", "docs"],
    ["HARMONT_WEB_ORIGINS", "https://ok.example.com,not-an-origin"],
    ["HARMONT_LIMIT_LOGIN_FAILURES", "0"],
    ["HARMONT_LIMIT_LOGIN_FAILURES", "101"],
    ["HARMONT_LOGIN_COOLDOWN", "0s"],
  ])("refuses %s=%s with a message naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it("refuses to start in production without SMTP", () => {
    expect(() => loadConfig({ HARMONT_PUBLIC_URL: "https://auth.example.com" })).toThrow(/HARMONT_SMTP_URL is required in production/);
    expect(() => loadConfig({ HARMONT_ENV: "production" })).toThrow(/HARMONT_SMTP_URL/);
    expect(loadConfig({ HARMONT_ENV: "production", HARMONT_SMTP_URL: "smtp://127.0.0.1:2525", HARMONT_SECRET_KEY: productionKey }).email.smtpUrl).toBe("smtp://127.0.0.1:2525");
  });

  it("refuses to start in production without a secret key, and refuses a key that is not 32 bytes", () => {
    const production = { HARMONT_ENV: "production", HARMONT_SMTP_URL: "smtp://127.0.0.1:2525" };
    expect(() => loadConfig(production)).toThrow(/HARMONT_SECRET_KEY is required in production/);
    for (const bad of ["short", randomBytes(31).toString("base64url"), randomBytes(33).toString("base64"), "not base64 at all!"]) {
      expect(() => loadConfig({ ...production, HARMONT_SECRET_KEY: bad }), bad).toThrow(/HARMONT_SECRET_KEY must be 32 random bytes/);
    }
    const key = randomBytes(32);
    expect(loadConfig({ ...production, HARMONT_SECRET_KEY: key.toString("base64") }).secretKey).toEqual(key);
    expect(loadConfig({ ...production, HARMONT_SECRET_KEY: key.toString("base64url") }).secretKey).toEqual(key);
    // Development needs none: the server makes one into the data directory.
    expect(loadConfig({}).secretKey).toBeNull();
    expect(() => loadConfig({ HARMONT_SMTP_URL: "http://mail" })).toThrow(/smtp:\/\//);
  });

  it("never shows a database password in its messages", () => {
    expect(() => loadConfig({ HARMONT_DATABASE_URL: "mongodb://admin:hunter2@db" })).toThrow(/^(?!.*hunter2)/);
  });

  it("resolves a relative SQLite path against the directory the command was run in", () => {
    expect(loadConfig({ HARMONT_DATABASE_URL: "sqlite:data/h.db" }, "/srv/harmont").databaseUrl).toBe("sqlite:/srv/harmont/data/h.db");
    // npm runs `npm start` in the package's directory and says where it was run from in INIT_CWD.
    const npmStart = { INIT_CWD: "/home/ada/harmont", npm_package_json: "/home/ada/harmont/packages/server/package.json" };
    expect(loadConfig(npmStart, "/home/ada/harmont/packages/server").databaseUrl).toBe("sqlite:/home/ada/harmont/.harmont/harmont.db");
    // A process that only inherited npm's variables, started in another directory, keeps its own.
    expect(loadConfig(npmStart, "/tmp/elsewhere").databaseUrl).toBe("sqlite:/tmp/elsewhere/.harmont/harmont.db");
    // Absolute paths, an in-memory database and PostgreSQL are taken as written.
    for (const url of ["sqlite:/var/lib/harmont/h.db", "sqlite:///var/lib/harmont/h.db", "sqlite::memory:", "postgres://db.example.com/harmont"]) {
      expect(loadConfig({ ...npmStart, HARMONT_DATABASE_URL: url }, "/home/ada/harmont/packages/server").databaseUrl).toBe(url);
    }
  });

  it("reads durations with units", () => {
    expect(parseDuration("X", "90")).toBe(90_000);
    expect(parseDuration("X", "5m")).toBe(300_000);
    expect(parseDuration("X", "250ms")).toBe(250);
    expect(() => parseDuration("X", "0s")).toThrow(ConfigError);
  });

});

describe("the settings table", () => {
  it("gives every setting a written default or a described one", () => {
    for (const name of settingNames) {
      expect(describeDefault(settings[name]).length, name).toBeGreaterThan(0);
      expect(settings[name].help.length, name).toBeGreaterThan(0);
    }
  });

  it("has defaults that are valid values: setting a variable to its written default changes nothing", () => {
    const defaults = readSettings({});
    for (const name of settingNames) {
      const written = settings[name].default;
      if (typeof written !== "string") continue;
      expect(readSettings({ [name]: written }), name).toEqual(defaults);
    }
  });

  it("orders every derived default after the settings it derives from", () => {
    // A variable set to something other than its default must reach the settings derived from it.
    const values = readSettings({ PORT: "9191", HARMONT_ENV: "production", HARMONT_SMTP_URL: "smtp://127.0.0.1:2525" });
    expect(values.HARMONT_PUBLIC_URL.href).toBe("http://localhost:9191/");
    expect(values.HARMONT_DOCS_URL).toBe("http://localhost:9191/docs");
    expect(values.HARMONT_WEB_ORIGINS).toEqual(["http://localhost:9191"]);
    expect(values.HARMONT_ENV).toBe("production");
  });
});

describe("harmont-server --help", () => {
  // The real command, built: what an operator sees.
  const bin = fileURLToPath(new URL("../bin/harmont-server.js", import.meta.url));
  let output: string | undefined;
  const help = () => (output ??= execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8", env: {} }));

  it("lists exactly the table's settings, in its order, each under its group with its default", () => {
    const lines = help().split("\n");
    const listed = lines.flatMap((line) => /^ {2}(PORT|HARMONT_[A-Z_]+) /.exec(line)?.[1] ?? []);
    expect(listed).toEqual(settingNames);
    for (const name of new Set(help().match(/\bHARMONT_[A-Z_]+\b/g))) expect(settingNames, `--help mentions ${name}`).toContain(name);

    let group = "";
    for (const line of lines) {
      const heading = /^([A-Z][\w ]+):$/.exec(line);
      if (heading) group = heading[1]!;
      const row = /^ {2}(PORT|HARMONT_[A-Z_]+) +(.*)$/.exec(line);
      if (!row) continue;
      const setting = settings[row[1] as SettingName];
      expect(group, row[1]).toBe(setting.group);
      expect(row[2], row[1]).toBe(`${setting.help} (default: ${describeDefault(setting)})`);
    }
    expect(settingGroups.every((name) => lines.includes(`${name}:`))).toBe(true);
  });

  it("ends with the operator commands", () => {
    expect(help()).toMatch(/\n\nOperator commands:\n {2}harmont-server users create /);
  });
});
