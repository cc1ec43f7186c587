/**
 * Configuration: every environment variable the server reads, in one table.
 *
 * The same table drives parsing, validation, defaults and `harmont-server --help`, so a
 * setting cannot exist in one place and be missing from another.
 */

import type { Lifetimes } from "./auth/context.js";

export type Environment = "development" | "production";

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  publicUrl: URL;
  docsUrl: string;
  webOrigins: string[];
  /** How many proxy hops in front of the server to trust for `X-Forwarded-For` (0: none). */
  trustProxyHops: number;
  environment: Environment;
  logLevel: string;
  lifetimes: Lifetimes;
  limits: {
    /** Requests a minute one IP may make to claim/redeem/transfer/deny (a flood ceiling only). */
    cliPerIpPerMinute: number;
    /** Sign-ups a hour from one IP. */
    signupPerIpPerHour: number;
    /** Password sign-in attempts a minute from one IP. */
    loginPerIpPerMinute: number;
  };
  /** How often expired handoffs, codes and sessions are deleted. */
  purgeIntervalMs: number;
  email: {
    /** smtp(s)://user:pass@host:port; null sends mail to the log (development only). */
    smtpUrl: string | null;
    from: string;
    codeTtlMs: number;
  };
  accountLimits: {
    /** Email codes sent to one address per 15 minutes. */
    emailCodesPerAddress: number;
    /** Email codes requested from one IP per hour. */
    emailCodesPerIp: number;
    /** Failed email-code checks per address per hour, across codes. */
    emailCodeFailuresPerAddress: number;
    /** Consecutive failed password sign-ins for one account before a cool-down. */
    loginFailuresPerAccount: number;
    /** How long that cool-down lasts. */
    loginCooldownMs: number;
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

interface Setting {
  name: string;
  description: string;
  /** Shown in --help; derived defaults are described in words. */
  defaultText: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const settings: Setting[] = [
  { name: "PORT", description: "TCP port to listen on.", defaultText: "8080" },
  { name: "HARMONT_HOST", description: "Address to bind.", defaultText: "0.0.0.0" },
  {
    name: "HARMONT_DATABASE_URL",
    description: "sqlite:<path> (embedded) or postgres://user@host:port/db.",
    defaultText: "sqlite:.harmont/harmont.db",
  },
  {
    name: "HARMONT_PUBLIC_URL",
    description: "The URL users reach the server at; the base of every link the server builds.",
    defaultText: "http://localhost:<PORT>",
  },
  { name: "HARMONT_DOCS_URL", description: "Where the docs live (error doc_url links point here).", defaultText: "<public url>/docs" },
  {
    name: "HARMONT_WEB_ORIGINS",
    description: "Comma-separated origins allowed by CORS and for cookie-authenticated writes.",
    defaultText: "the public URL's origin",
  },
  {
    name: "HARMONT_TRUST_PROXY",
    description: "Trust X-Forwarded-For from this many proxy hops (true = 1, false = 0).",
    defaultText: "false",
  },
  {
    name: "HARMONT_ENV",
    description: "development or production.",
    defaultText: "development when the public URL is a loopback address, else production",
  },
  { name: "HARMONT_LOG_LEVEL", description: "trace, debug, info, warn, error, fatal or silent.", defaultText: "info" },
  { name: "HARMONT_HANDOFF_TTL", description: "Life of a parked or denied CLI handoff.", defaultText: "60s" },
  { name: "HARMONT_PASTE_CODE_TTL", description: "Life of a CLI paste code.", defaultText: "5m" },
  { name: "HARMONT_WEB_SESSION_IDLE", description: "Web session idle timeout.", defaultText: "7d" },
  { name: "HARMONT_WEB_SESSION_MAX", description: "Web session absolute lifetime.", defaultText: "30d" },
  { name: "HARMONT_CLI_SESSION_IDLE", description: "CLI session idle timeout.", defaultText: "30d" },
  { name: "HARMONT_CLI_SESSION_MAX", description: "CLI session absolute lifetime.", defaultText: "90d" },
  {
    name: "HARMONT_LIMIT_CLI_PER_IP",
    description: "Flood ceiling: CLI handoff requests a minute per IP (0 disables).",
    defaultText: "6000",
  },
  { name: "HARMONT_LIMIT_SIGNUP_PER_IP", description: "Sign-ups an hour per IP (0 disables).", defaultText: "30" },
  {
    name: "HARMONT_LIMIT_LOGIN_PER_IP",
    description: "Password sign-in attempts a minute per IP (0 disables).",
    defaultText: "60",
  },
  { name: "HARMONT_PURGE_INTERVAL", description: "How often expired records are deleted.", defaultText: "10m" },
  {
    name: "HARMONT_SMTP_URL",
    description: "SMTP server for mail, smtp://user:pass@host:587 or smtps://…; required in production.",
    defaultText: "none: development logs mail instead",
  },
  { name: "HARMONT_MAIL_FROM", description: "The From address of mail.", defaultText: "Harmont <no-reply@<public host>>" },
  { name: "HARMONT_EMAIL_CODE_TTL", description: "Life of an emailed sign-in or verification code.", defaultText: "10m" },
  { name: "HARMONT_LIMIT_EMAIL_CODES_PER_ADDRESS", description: "Email codes sent to one address per 15 minutes.", defaultText: "5" },
  { name: "HARMONT_LIMIT_EMAIL_CODES_PER_IP", description: "Email codes requested from one IP per hour.", defaultText: "30" },
  {
    name: "HARMONT_LIMIT_EMAIL_CODE_FAILURES",
    description: "Failed email-code checks per address per hour, across codes.",
    defaultText: "20",
  },
  {
    name: "HARMONT_LIMIT_LOGIN_FAILURES",
    description: "Consecutive failed password sign-ins of one account before a cool-down (at most 100).",
    defaultText: "100",
  },
  { name: "HARMONT_LOGIN_COOLDOWN", description: "The cool-down after too many failed sign-ins.", defaultText: "15m" },
];

const durationPattern = /^(\d+)(ms|s|m|h|d)?$/;
const durationUnits: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** Parses `90`, `90s`, `5m`, `12h`, `7d` (a bare number is seconds) into milliseconds. */
export function parseDuration(name: string, raw: string): number {
  const match = durationPattern.exec(raw.trim());
  if (!match) throw new ConfigError(`${name} must be a duration like 60s, 5m, 12h or 7d (got "${raw}")`);
  const amount = Number(match[1]);
  const unit = durationUnits[match[2] ?? "s"]!;
  const value = amount * unit;
  if (value <= 0 || !Number.isSafeInteger(value)) throw new ConfigError(`${name} must be a positive duration (got "${raw}")`);
  return value;
}

function parseNonNegativeInteger(name: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number (got "${raw}")`);
  return Number(raw.trim());
}

function parseUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${name} must use http or https (got "${raw}")`);
  }
  return url;
}

function parseTrustProxy(raw: string | undefined): number {
  if (raw === undefined || raw === "" || raw === "false") return 0;
  if (raw === "true") return 1;
  return parseNonNegativeInteger("HARMONT_TRUST_PROXY", raw);
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function validateDatabaseUrl(raw: string): string {
  if (raw.startsWith("sqlite:")) {
    if (raw.length === "sqlite:".length) throw new ConfigError("HARMONT_DATABASE_URL sqlite: needs a file path");
    return raw;
  }
  if (raw.startsWith("postgres://") || raw.startsWith("postgresql://")) {
    parseUrl("HARMONT_DATABASE_URL", raw.replace(/^postgres(ql)?:/, "http:"));
    return raw;
  }
  throw new ConfigError(`HARMONT_DATABASE_URL must start with sqlite: or postgres:// (got "${redactUrl(raw)}")`);
}

/** Hides a password in a connection URL before it is shown anywhere. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}

/**
 * Reads the configuration from an environment.
 * @throws ConfigError with a message naming the variable when a value is invalid.
 */
export function loadConfig(env: Env = process.env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };

  const portText = read("PORT") ?? "8080";
  const port = parseNonNegativeInteger("PORT", portText);
  if (port > 65535) throw new ConfigError(`PORT must be between 0 and 65535 (got "${portText}")`);

  const publicUrl = parseUrl("HARMONT_PUBLIC_URL", read("HARMONT_PUBLIC_URL") ?? `http://localhost:${port}`);
  const publicBase = publicUrl.href.replace(/\/+$/, "");
  const docsUrl = parseUrl("HARMONT_DOCS_URL", read("HARMONT_DOCS_URL") ?? `${publicBase}/docs`).href.replace(/\/+$/, "");

  const webOrigins = (read("HARMONT_WEB_ORIGINS") ?? publicUrl.origin)
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => {
      const url = parseUrl("HARMONT_WEB_ORIGINS", origin);
      return url.origin;
    });

  const environmentText = read("HARMONT_ENV");
  let environment: Environment;
  if (environmentText === undefined) environment = isLoopbackHost(publicUrl.hostname) ? "development" : "production";
  else if (environmentText === "development" || environmentText === "production") environment = environmentText;
  else throw new ConfigError(`HARMONT_ENV must be development or production (got "${environmentText}")`);

  const logLevel = read("HARMONT_LOG_LEVEL") ?? "info";
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(logLevel)) {
    throw new ConfigError(`HARMONT_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (got "${logLevel}")`);
  }

  const duration = (name: string, fallback: string) => parseDuration(name, read(name) ?? fallback);
  const count = (name: string, fallback: string) => parseNonNegativeInteger(name, read(name) ?? fallback);

  return {
    port,
    host: read("HARMONT_HOST") ?? "0.0.0.0",
    databaseUrl: validateDatabaseUrl(read("HARMONT_DATABASE_URL") ?? "sqlite:.harmont/harmont.db"),
    publicUrl,
    docsUrl,
    webOrigins,
    trustProxyHops: parseTrustProxy(read("HARMONT_TRUST_PROXY")),
    environment,
    logLevel,
    lifetimes: {
      handoffMs: duration("HARMONT_HANDOFF_TTL", "60s"),
      pasteCodeMs: duration("HARMONT_PASTE_CODE_TTL", "5m"),
      webSessionIdleMs: duration("HARMONT_WEB_SESSION_IDLE", "7d"),
      webSessionAbsoluteMs: duration("HARMONT_WEB_SESSION_MAX", "30d"),
      cliSessionIdleMs: duration("HARMONT_CLI_SESSION_IDLE", "30d"),
      cliSessionAbsoluteMs: duration("HARMONT_CLI_SESSION_MAX", "90d"),
    },
    limits: {
      cliPerIpPerMinute: count("HARMONT_LIMIT_CLI_PER_IP", "6000"),
      signupPerIpPerHour: count("HARMONT_LIMIT_SIGNUP_PER_IP", "30"),
      loginPerIpPerMinute: count("HARMONT_LIMIT_LOGIN_PER_IP", "60"),
    },
    purgeIntervalMs: duration("HARMONT_PURGE_INTERVAL", "10m"),
    email: {
      smtpUrl: readSmtpUrl(read("HARMONT_SMTP_URL"), environment),
      from: read("HARMONT_MAIL_FROM") ?? `Harmont <no-reply@${publicUrl.hostname}>`,
      codeTtlMs: duration("HARMONT_EMAIL_CODE_TTL", "10m"),
    },
    accountLimits: {
      emailCodesPerAddress: count("HARMONT_LIMIT_EMAIL_CODES_PER_ADDRESS", "5"),
      emailCodesPerIp: count("HARMONT_LIMIT_EMAIL_CODES_PER_IP", "30"),
      emailCodeFailuresPerAddress: count("HARMONT_LIMIT_EMAIL_CODE_FAILURES", "20"),
      loginFailuresPerAccount: readLoginFailures(count("HARMONT_LIMIT_LOGIN_FAILURES", "100")),
      loginCooldownMs: duration("HARMONT_LOGIN_COOLDOWN", "15m"),
    },
  };
}

function readSmtpUrl(raw: string | undefined, environment: Environment): string | null {
  if (raw === undefined) {
    if (environment === "production") {
      throw new ConfigError("HARMONT_SMTP_URL is required in production (sign-in codes and notices are sent by mail)");
    }
    return null;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`HARMONT_SMTP_URL must be a URL like smtp://user:pass@host:587 (got "${redactUrl(raw)}")`);
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new ConfigError(`HARMONT_SMTP_URL must start with smtp:// or smtps:// (got "${redactUrl(raw)}")`);
  }
  return raw;
}

function readLoginFailures(value: number): number {
  // NIST 800-63B: no more than 100 consecutive failures before the account is throttled.
  if (value < 1 || value > 100) throw new ConfigError(`HARMONT_LIMIT_LOGIN_FAILURES must be between 1 and 100 (got "${value}")`);
  return value;
}

/** The text of `harmont-server --help`. */
export function renderHelp(): string {
  const width = Math.max(...settings.map((setting) => setting.name.length));
  const lines = settings.map(
    (setting) => `  ${setting.name.padEnd(width)}  ${setting.description} (default: ${setting.defaultText})`,
  );
  return [
    "harmont-server: the Harmont authentication server",
    "",
    "Usage:",
    "  harmont-server                 start the server",
    "  harmont-server --help          show this help",
    "  harmont-server --version       print the version",
    "",
    "Durations take a unit: 60s, 5m, 12h, 7d.",
    "",
    "Environment:",
    ...lines,
    "",
  ].join("\n");
}
