/**
 * Configuration: every environment variable the server reads, in one table.
 *
 * The same table (`settings`) drives parsing, validation, defaults and `harmont-server --help`,
 * so a setting cannot exist in one place and be missing from another; `loadConfig` only arranges
 * the values it read into `Config`. The self-hosting guide lists the same settings, and a test
 * keeps it in step.
 */

import { dirname, isAbsolute, resolve } from "node:path";
import type { ApiTokenPolicy } from "./auth/api-tokens.js";
import type { Lifetimes } from "./auth/context.js";
import { OAuthClientListError, parseIntrospectionClients, parseOAuthClients, type IntrospectionClient, type OAuthClient } from "./auth/oauth-clients.js";
import { decodeSecretKey } from "./secret-key.js";

export type Environment = "development" | "production";

export interface Config {
  port: number;
  host: string;
  /**
   * `HARMONT_DATABASE_URL`, with a relative SQLite path made absolute against the directory the
   * command was run in (see `invocationDirectory`), so the server and every operator command
   * open the same file.
   */
  databaseUrl: string;
  publicUrl: URL;
  docsUrl: string;
  webOrigins: string[];
  /** How many proxy hops in front of the server to trust for `X-Forwarded-For` (0: none). */
  trustProxyHops: number;
  environment: Environment;
  logLevel: string;
  /** Whether every request writes an access log line (`HARMONT_ACCESS_LOG`). */
  accessLog: boolean;
  lifetimes: Lifetimes;
  /** What an API token may be given at creation. */
  apiTokens: ApiTokenPolicy;
  limits: {
    /** Requests a minute one IP may make to claim/redeem/transfer/deny (a flood ceiling only). */
    cliPerIpPerMinute: number;
    oauthPerIpPerMinute: number;
    deviceCodesPerIpPerHour: number;
    /** Sign-ups a hour from one IP. */
    signupPerIpPerHour: number;
    /** Password sign-in attempts a minute from one IP. */
    loginPerIpPerMinute: number;
  };
  /** How often expired handoffs, codes and sessions are deleted. */
  purgeIntervalMs: number;
  /** `HARMONT_SECRET_KEY`; `null` in development when unset (a generated one is used). */
  secretKey: Buffer | null;
  /** `HARMONT_SECRET_KEY_PREVIOUS`, while rotating the key. */
  previousSecretKey: Buffer | null;
  /** The issuer authenticator apps show. */
  totpIssuer: string;
  impersonation: { lifetimeMs: number; notifyTarget: boolean };
  oauth: {
    /** Public clients of the device grant, `harmont-cli` first. */
    clients: OAuthClient[];
    introspectionClients: IntrospectionClient[];
    deviceCodeTtlMs: number;
    devicePollIntervalMs: number;
  };
  /** What a slow or greedy client may hold: the HTTP server's timeouts and connection cap. */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** 0: no cap. */
    maxConnections: number;
  };
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
    passwordResetsPerAddressPerHour: number;
    passwordResetsPerIpPerHour: number;
    secondFactorFailuresPerAccountPerHour: number;
    impersonationsPerOperatorPerHour: number;
    userCodeFailuresPerUser: number;
    userCodeFailuresPerIp: number;
    userCodeFailuresGlobal: number;
    approvalRequestsPerAccountPerHour: number;
    orgCreatesPerUserPerDay: number;
    invitationsPerOrgPerDay: number;
    invitationsPerInviterPerDay: number;
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The sections of `--help` and of the self-hosting guide's settings, in that order. */
export const settingGroups = ["Server", "Lifetimes", "Mail", "Rate limits"] as const;
export type SettingGroup = (typeof settingGroups)[number];

/**
 * The settings other settings derive their defaults from, with their types. Only these can be
 * asked for while reading (`context.get`), and only once they have been read: the table's order
 * puts each of them before the settings that need it.
 */
interface DerivableValues {
  PORT: number;
  HARMONT_PUBLIC_URL: URL;
  HARMONT_ENV: Environment;
}

/** What a setting's parser is given besides the value. */
export interface SettingContext {
  /** The variable being read, for error messages. */
  name: string;
  /** A setting read earlier in the table. */
  get<Name extends keyof DerivableValues>(name: Name): DerivableValues[Name];
}

/** A default computed from settings read before this one (`text` is how `--help` describes it). */
export interface DerivedDefault<Raw extends string | undefined = string> {
  text: string;
  from(context: SettingContext): Raw;
}

/** One row of the settings table. */
export interface Setting<Value> {
  group: SettingGroup;
  /** Its line in `--help`. */
  help: string;
  /** The default as written, parsed like a value from the environment, or a derived one. */
  default: string | DerivedDefault<string | undefined>;
  /**
   * Reads the variable: `value` is its trimmed text, `undefined` when it is unset or blank (the
   * default is then used).
   * @throws ConfigError naming the variable when the value is invalid.
   */
  read(value: string | undefined, context: SettingContext): Value;
}

/**
 * A row of the table. A parser is only ever given `undefined` when its default can be
 * `undefined` (a derived default that yields none): the overloads check the pairing.
 */
function setting<Value>(definition: {
  group: SettingGroup;
  default: string | DerivedDefault;
  parse: (value: string, context: SettingContext) => Value;
  help: string;
}): Setting<Value>;
function setting<Value>(definition: {
  group: SettingGroup;
  default: DerivedDefault<string | undefined>;
  parse: (value: string | undefined, context: SettingContext) => Value;
  help: string;
}): Setting<Value>;
function setting<Value>(definition: {
  group: SettingGroup;
  default: string | DerivedDefault<string | undefined>;
  parse: (value: never, context: SettingContext) => Value;
  help: string;
}): Setting<Value> {
  const fallback = definition.default;
  return {
    group: definition.group,
    help: definition.help,
    default: fallback,
    read(value, context) {
      const chosen = value ?? (typeof fallback === "string" ? fallback : fallback.from(context));
      return definition.parse(chosen as never, context);
    },
  };
}

function derived<Raw extends string | undefined>(text: string, from: (context: SettingContext) => Raw): DerivedDefault<Raw> {
  return { text, from };
}

const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** A 32-byte key in base64url or base64, or none. */
function secretKeySetting(value: string | undefined, { name }: SettingContext): Buffer | undefined {
  if (value === undefined) return undefined;
  const key = decodeSecretKey(value);
  if (!key) throw new ConfigError(`${name} must be 32 random bytes in base64url or base64 (for example: openssl rand -base64 32)`);
  return key;
}

/** An OAuth client list setting, read by its parser; unset is the empty list. */
function clientList<Client>(parse: (text: string) => Client[]) {
  return (value: string | undefined, { name }: SettingContext): Client[] => {
    try {
      return parse(value ?? "");
    } catch (error) {
      if (error instanceof OAuthClientListError) throw new ConfigError(`${name}: ${error.message}`);
      throw error;
    }
  };
}

/**
 * The one table of settings: every environment variable the server reads, with its default,
 * its parser and its `--help` line. `loadConfig` reads them in this order (a derived default
 * comes after the settings it derives from); `--help` lists them in this order, by group.
 */
export const settings = {
  PORT: setting({
    group: "Server",
    default: "8080",
    parse: (value, { name }) => {
      const port = parseNonNegativeInteger(name, value);
      if (port > 65535) throw new ConfigError(`${name} must be between 0 and 65535 (got "${value}")`);
      return port;
    },
    help: "TCP port to listen on.",
  }),
  HARMONT_HOST: setting({ group: "Server", default: "0.0.0.0", parse: (value) => value, help: "Address to bind." }),
  HARMONT_DATABASE_URL: setting({
    group: "Server",
    default: "sqlite:.harmont/harmont.db",
    parse: (value) => validateDatabaseUrl(value),
    help: "sqlite:<path> (embedded; a relative path is resolved against the directory you run the command in) or postgres://user@host:port/db.",
  }),
  HARMONT_PUBLIC_URL: setting({
    group: "Server",
    default: derived("http://localhost:<PORT>", ({ get }) => `http://localhost:${get("PORT")}`),
    parse: (value, { name }) => parseUrl(name, value),
    help: "The URL users reach the server at; the base of every link the server builds.",
  }),
  HARMONT_DOCS_URL: setting({
    group: "Server",
    default: derived("<public url>/docs", ({ get }) => `${get("HARMONT_PUBLIC_URL").href.replace(/\/+$/, "")}/docs`),
    parse: (value, { name }) => parseUrl(name, value).href.replace(/\/+$/, ""),
    help: "Where the docs live (error doc_url links point here).",
  }),
  HARMONT_WEB_ORIGINS: setting({
    group: "Server",
    default: derived("the public URL's origin", ({ get }) => get("HARMONT_PUBLIC_URL").origin),
    parse: (value, { name }) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean)
        .map((origin) => parseUrl(name, origin).origin),
    help: "Comma-separated origins allowed by CORS and for cookie-authenticated writes.",
  }),
  HARMONT_TRUST_PROXY: setting({
    group: "Server",
    default: "false",
    parse: (value, { name }) => {
      if (value === "false") return 0;
      if (value === "true") return 1;
      return parseNonNegativeInteger(name, value);
    },
    help: "Trust X-Forwarded-For from this many proxy hops (true = 1, false = 0).",
  }),
  HARMONT_ENV: setting({
    group: "Server",
    default: derived("development when the public URL is a loopback address, else production", ({ get }) =>
      isLoopbackHost(get("HARMONT_PUBLIC_URL").hostname) ? "development" : "production",
    ),
    parse: (value, { name }): Environment => {
      if (value === "development" || value === "production") return value;
      throw new ConfigError(`${name} must be development or production (got "${value}")`);
    },
    help: "development or production.",
  }),
  HARMONT_LOG_LEVEL: setting({
    group: "Server",
    default: "info",
    parse: (value, { name }) => {
      if (!logLevels.includes(value)) throw new ConfigError(`${name} must be one of ${logLevels.join(", ")} (got "${value}")`);
      return value;
    },
    help: "trace, debug, info, warn, error, fatal or silent.",
  }),
  HARMONT_ACCESS_LOG: setting({
    group: "Server",
    default: derived("off in development (the terminal stays readable), on in production", ({ get }) =>
      get("HARMONT_ENV") === "development" ? "off" : "on",
    ),
    parse: (value, { name }) => {
      if (value === "on" || value === "off") return value;
      throw new ConfigError(`${name} must be on or off (got "${value}")`);
    },
    help: "on or off: one log line per request (method, route pattern, status, duration).",
  }),
  HARMONT_PURGE_INTERVAL: setting({ group: "Server", default: "10m", parse: duration, help: "How often expired records are deleted." }),
  HARMONT_HEADERS_TIMEOUT: setting({
    group: "Server",
    default: "10s",
    parse: duration,
    help: "Longest a client may take to send a request's headers; then 408 and the connection closes.",
  }),
  HARMONT_REQUEST_TIMEOUT: setting({
    group: "Server",
    default: "30s",
    parse: duration,
    help: "Longest a client may take to send a whole request, body included (at least the headers timeout); then 408 and the connection closes.",
  }),
  HARMONT_KEEP_ALIVE_TIMEOUT: setting({ group: "Server", default: "5s", parse: duration, help: "How long an idle keep-alive connection stays open." }),
  HARMONT_MAX_CONNECTIONS: setting({
    group: "Server",
    default: "10000",
    parse: count,
    help: "Open connections at most; further ones are closed at once (0 disables the cap).",
  }),
  HARMONT_SECRET_KEY: setting({
    group: "Server",
    default: derived("development: made once into secret.key in the data directory", () => undefined),
    parse: secretKeySetting,
    help: "32 random bytes (base64url or base64) under which short codes are stored and two-step secrets sealed; required in production.",
  }),
  HARMONT_SECRET_KEY_PREVIOUS: setting({
    group: "Server",
    default: derived("none", () => undefined),
    parse: secretKeySetting,
    help: "The key before HARMONT_SECRET_KEY, while rotating it: two-step secrets sealed under it still open, and are sealed again under the new one when used.",
  }),
  HARMONT_OAUTH_CLIENTS: setting({
    group: "Server",
    default: derived("none besides harmont-cli", () => undefined),
    parse: clientList(parseOAuthClients),
    help: "Public OAuth clients besides harmont-cli that may use the device grant, as id=Name,id=Name (acme-cli=Acme CLI).",
  }),
  HARMONT_INTROSPECTION_CLIENTS: setting({
    group: "Server",
    default: derived("none (introspection answers 401)", () => undefined),
    parse: clientList(parseIntrospectionClients),
    help: "Resource servers that may introspect tokens, as id=sha256:<hash of the secret>; harmont-server introspection-client new <id> makes one.",
  }),
  HARMONT_IMPERSONATION_NOTICE: setting({
    group: "Server",
    default: "on",
    parse: (value, { name }) => {
      if (value !== "on" && value !== "off") throw new ConfigError(`${name} must be on or off`);
      return value === "on";
    },
    help: "on or off: whether a person is mailed when a support session of their account starts.",
  }),
  HARMONT_TOTP_ISSUER: setting({
    group: "Server",
    default: derived("Harmont (<public host name>)", ({ get }) => `Harmont (${get("HARMONT_PUBLIC_URL").hostname})`),
    parse: (value: string, { name }) => {
      const trimmed = value.trim();
      if (trimmed.length === 0 || trimmed.length > 100 || trimmed.includes(":")) throw new ConfigError(`${name} must be 1 to 100 characters, without ":"`);
      return trimmed;
    },
    help: "The name authenticator apps show beside a two-step verification code.",
  }),

  HARMONT_HANDOFF_TTL: setting({ group: "Lifetimes", default: "60s", parse: duration, help: "Life of a parked or denied CLI handoff." }),
  HARMONT_PASTE_CODE_TTL: setting({ group: "Lifetimes", default: "5m", parse: duration, help: "Life of a CLI paste code." }),
  HARMONT_EMAIL_CODE_TTL: setting({ group: "Lifetimes", default: "10m", parse: duration, help: "Life of an emailed sign-in or verification code." }),
  HARMONT_WEB_SESSION_IDLE: setting({ group: "Lifetimes", default: "7d", parse: duration, help: "Web session idle timeout." }),
  HARMONT_WEB_SESSION_MAX: setting({ group: "Lifetimes", default: "30d", parse: duration, help: "Web session absolute lifetime." }),
  HARMONT_CLI_SESSION_IDLE: setting({ group: "Lifetimes", default: "30d", parse: duration, help: "CLI session idle timeout." }),
  HARMONT_CLI_SESSION_MAX: setting({ group: "Lifetimes", default: "90d", parse: duration, help: "CLI session absolute lifetime." }),
  HARMONT_PASSWORD_RESET_TTL: setting({ group: "Lifetimes", default: "30m", parse: duration, help: "Life of a password reset link." }),
  HARMONT_DEVICE_CODE_TTL: setting({
    group: "Lifetimes",
    default: "5m",
    parse: (value, { name }) => {
      const parsed = parseDuration(name, value);
      if (parsed < 10 * SECOND || parsed > 15 * MINUTE) throw new ConfigError(`${name} must be between 10s and 15m (got "${value}")`);
      return parsed;
    },
    help: "Life of a device-grant code pair (RFC 8628), 10s to 15m.",
  }),
  HARMONT_DEVICE_POLL_INTERVAL: setting({
    group: "Lifetimes",
    default: "5s",
    parse: (value, { name }) => {
      const parsed = parseDuration(name, value);
      if (parsed < SECOND || parsed > MINUTE || parsed % SECOND !== 0) throw new ConfigError(`${name} must be whole seconds between 1s and 60s (got "${value}")`);
      return parsed;
    },
    help: "How often a device-grant client is told to poll; a faster poll gets slow_down, and its interval grows by 5s.",
  }),
  HARMONT_IMPERSONATION_TTL: setting({
    group: "Lifetimes",
    default: "1h",
    parse: (value, { name }) => {
      const parsed = parseDuration(name, value);
      if (parsed < 5 * MINUTE || parsed > 4 * HOUR) throw new ConfigError(`${name} must be between 5m and 4h (got "${value}")`);
      return parsed;
    },
    help: "Longest life of a support session (impersonation), 5m to 4h; it also ends after 15 minutes unused.",
  }),
  HARMONT_LOGIN_CHALLENGE_TTL: setting({
    group: "Lifetimes",
    default: "5m",
    parse: duration,
    help: "How long a sign-in waits for its second factor (a code, or an approval from another device).",
  }),
  HARMONT_INVITATION_TTL: setting({ group: "Lifetimes", default: "7d", parse: duration, help: "Life of an org invitation." }),
  HARMONT_ACCOUNT_DELETION_GRACE: setting({
    group: "Lifetimes",
    default: "7d",
    parse: (value, { name }) => (value.trim() === "0" ? 0 : parseDuration(name, value)),
    help: "How long a deleted account waits before it is gone; signing in meanwhile keeps it (0: at once).",
  }),
  HARMONT_API_TOKEN_MAX: setting({
    group: "Lifetimes",
    default: "365d",
    parse: duration,
    help: "The longest expiry an API token may be given when it is made.",
  }),
  HARMONT_API_TOKEN_NO_EXPIRY: setting({
    group: "Lifetimes",
    default: "off",
    parse: (value, { name }) => {
      if (value === "on" || value === "off") return value;
      throw new ConfigError(`${name} must be on or off (got "${value}")`);
    },
    help: "on or off: whether an API token may be made that never expires.",
  }),

  HARMONT_SMTP_URL: setting({
    group: "Mail",
    default: derived("none: development logs mail instead", () => undefined),
    parse: (value, { get }) => parseSmtpUrl(value, get("HARMONT_ENV")),
    help: "SMTP server for mail, smtp://user:pass@host:587 or smtps://…; required in production.",
  }),
  HARMONT_MAIL_FROM: setting({
    group: "Mail",
    default: derived("Harmont <no-reply@<public host>>", ({ get }) => `Harmont <no-reply@${get("HARMONT_PUBLIC_URL").hostname}>`),
    parse: (value) => value,
    help: "The From address of mail.",
  }),

  HARMONT_LIMIT_CLI_PER_IP: setting({
    group: "Rate limits",
    default: "6000",
    parse: count,
    help: "Flood ceiling: CLI handoff requests a minute per IP (0 disables).",
  }),
  HARMONT_LIMIT_SIGNUP_PER_IP: setting({ group: "Rate limits", default: "30", parse: count, help: "Sign-ups an hour per IP (0 disables)." }),
  HARMONT_LIMIT_LOGIN_PER_IP: setting({
    group: "Rate limits",
    default: "60",
    parse: count,
    help: "Password sign-in attempts a minute per IP (0 disables).",
  }),
  HARMONT_LIMIT_LOGIN_FAILURES: setting({
    group: "Rate limits",
    default: "100",
    parse: (value, context) => {
      const failures = count(value, context);
      // NIST 800-63B: no more than 100 consecutive failures before the account is throttled.
      if (failures < 1 || failures > 100) throw new ConfigError(`${context.name} must be between 1 and 100 (got "${failures}")`);
      return failures;
    },
    help: "Consecutive failed password sign-ins of one account before a cool-down (at most 100).",
  }),
  HARMONT_LOGIN_COOLDOWN: setting({ group: "Rate limits", default: "15m", parse: duration, help: "The cool-down after too many failed sign-ins." }),
  HARMONT_LIMIT_EMAIL_CODES_PER_ADDRESS: setting({
    group: "Rate limits",
    default: "5",
    parse: count,
    help: "Email codes sent to one address per 15 minutes.",
  }),
  HARMONT_LIMIT_EMAIL_CODES_PER_IP: setting({ group: "Rate limits", default: "30", parse: count, help: "Email codes requested from one IP per hour." }),
  HARMONT_LIMIT_EMAIL_CODE_FAILURES: setting({
    group: "Rate limits",
    default: "20",
    parse: count,
    help: "Failed email-code checks per address per hour, across codes.",
  }),
  HARMONT_LIMIT_PASSWORD_RESETS_PER_ADDRESS: setting({
    group: "Rate limits",
    default: "3",
    parse: count,
    help: "Password reset mails to one address an hour, whether or not it has an account (0 disables).",
  }),
  HARMONT_LIMIT_PASSWORD_RESETS_PER_IP: setting({ group: "Rate limits", default: "30", parse: count, help: "Password reset requests from one IP an hour (0 disables)." }),
  HARMONT_LIMIT_OAUTH_PER_IP: setting({ group: "Rate limits", default: "6000", parse: count, help: "Flood ceiling: OAuth endpoint requests a minute per IP (0 disables)." }),
  HARMONT_LIMIT_DEVICE_CODES_PER_IP: setting({ group: "Rate limits", default: "60", parse: count, help: "Device-grant code pairs one IP may ask for an hour (0 disables)." }),
  HARMONT_LIMIT_USER_CODE_FAILURES: setting({ group: "Rate limits", default: "10", parse: count, help: "Wrong device-grant user codes one signed-in user may type per 15 minutes (0 disables)." }),
  HARMONT_LIMIT_USER_CODE_FAILURES_PER_IP: setting({ group: "Rate limits", default: "20", parse: count, help: "Wrong device-grant user codes from one IP per 15 minutes (0 disables)." }),
  HARMONT_LIMIT_USER_CODE_FAILURES_GLOBAL: setting({
    group: "Rate limits",
    default: "1000",
    parse: count,
    help: "Wrong device-grant user codes from everyone together per 15 minutes: a ceiling on all guessing (0 disables).",
  }),
  HARMONT_LIMIT_IMPERSONATIONS: setting({ group: "Rate limits", default: "20", parse: count, help: "Support sessions one operator may start an hour (0 disables)." }),
  HARMONT_LIMIT_SECOND_FACTOR_FAILURES: setting({
    group: "Rate limits",
    default: "10",
    parse: count,
    help: "Two-step verification codes checked for one account an hour, across sign-ins; a success resets it (0 disables).",
  }),
  HARMONT_LIMIT_APPROVAL_REQUESTS: setting({
    group: "Rate limits",
    default: "10",
    parse: count,
    help: "Sign-in approvals one account may be asked for an hour (0 disables).",
  }),
  HARMONT_LIMIT_ORG_CREATES: setting({ group: "Rate limits", default: "10", parse: count, help: "Organizations one user may create a day (0 disables)." }),
  HARMONT_LIMIT_INVITATIONS_PER_ORG: setting({ group: "Rate limits", default: "50", parse: count, help: "Invitations one organization may send a day (0 disables)." }),
  HARMONT_LIMIT_INVITATIONS_PER_INVITER: setting({ group: "Rate limits", default: "50", parse: count, help: "Invitations one user may send a day, across orgs (0 disables)." }),
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof settings;

/** The value of every setting, as read. */
export type SettingValues = { [Name in SettingName]: ReturnType<(typeof settings)[Name]["read"]> };

/** Does not compile when a setting others derive from reads to another type than `SettingContext.get` promises. */
type CheckDerivable<Values extends DerivableValues> = Values;
export type DerivableSettingValues = CheckDerivable<Pick<SettingValues, keyof DerivableValues>>;

/** The default as `--help` and the self-hosting guide show it: the value itself, or words. */
export function describeDefault(definition: Setting<unknown>): string {
  return typeof definition.default === "string" ? definition.default : definition.default.text;
}

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

function duration(value: string, { name }: SettingContext): number {
  return parseDuration(name, value);
}

function count(value: string, { name }: SettingContext): number {
  return parseNonNegativeInteger(name, value);
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

function parseSmtpUrl(raw: string | undefined, environment: Environment): string | null {
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

/**
 * The directory relative paths are resolved against: the one the person ran the command in.
 * npm runs a package's script (`npm start`) or command (`npm exec`, `npx`) in the package's
 * directory and passes the directory it was run from as `INIT_CWD`. A process npm started is
 * recognised by its working directory being that package's (`npm_package_json`'s directory), so
 * a process that only inherited npm's variables (one a script or a test starts elsewhere) keeps
 * its own working directory.
 */
export function invocationDirectory(env: Env = process.env, cwd: string = process.cwd()): string {
  const initial = env.INIT_CWD;
  const packageJson = env.npm_package_json;
  if (initial && isAbsolute(initial) && packageJson && resolve(dirname(packageJson)) === resolve(cwd)) return resolve(initial);
  return resolve(cwd);
}

/** The path of a `sqlite:` URL as better-sqlite3 opens it (`sqlite:///abs` is `/abs`); `null` for PostgreSQL. */
export function sqlitePathOf(url: string): string | null {
  if (!url.startsWith("sqlite:")) return null;
  return url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
}

/** Makes a relative SQLite path absolute against `directory`; other URLs are returned as they are. */
export function resolveDatabaseUrl(url: string, directory: string): string {
  const path = sqlitePathOf(url);
  if (path === null || path === ":memory:" || isAbsolute(path)) return url;
  return `sqlite:${resolve(directory, path)}`;
}

/** Where the data is, as the start-up banner and the operator commands print it: a file path, or a URL without its password. */
export function describeDatabase(url: string): string {
  return sqlitePathOf(url) ?? redactUrl(url);
}

/** Hides a password in a connection URL before it is shown anywhere. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}

/**
 * Reads every setting of the table from an environment, in the table's order. A variable that
 * is unset or blank takes its default.
 * @throws ConfigError with a message naming the variable when a value is invalid.
 */
export function readSettings(env: Env = process.env): SettingValues {
  const values = new Map<string, unknown>();
  for (const [name, definition] of Object.entries(settings) as Array<[SettingName, Setting<unknown>]>) {
    const context: SettingContext = {
      name,
      get(earlier) {
        // A bug in the table's order, not a configuration mistake.
        if (!values.has(earlier)) throw new Error(`settings: ${name} derives its default from ${earlier}, which comes after it`);
        return values.get(earlier) as never;
      },
    };
    const raw = env[name]?.trim();
    values.set(name, definition.read(raw === "" ? undefined : raw, context));
  }
  return Object.fromEntries(values) as SettingValues;
}

/**
 * Reads the configuration from an environment. A relative SQLite path is resolved against
 * `invocationDirectory(env, cwd)`.
 * @throws ConfigError with a message naming the variable when a value is invalid.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const values = readSettings(env);
  if (values.HARMONT_ENV === "production" && values.HARMONT_SECRET_KEY === undefined) {
    throw new ConfigError("HARMONT_SECRET_KEY is required in production: 32 random bytes, base64url or base64 (openssl rand -base64 32)");
  }
  // Node refuses a headers timeout longer than the whole request's.
  if (values.HARMONT_REQUEST_TIMEOUT < values.HARMONT_HEADERS_TIMEOUT) {
    throw new ConfigError("HARMONT_REQUEST_TIMEOUT must be at least HARMONT_HEADERS_TIMEOUT");
  }
  return {
    port: values.PORT,
    host: values.HARMONT_HOST,
    databaseUrl: resolveDatabaseUrl(values.HARMONT_DATABASE_URL, invocationDirectory(env, cwd)),
    publicUrl: values.HARMONT_PUBLIC_URL,
    docsUrl: values.HARMONT_DOCS_URL,
    webOrigins: values.HARMONT_WEB_ORIGINS,
    trustProxyHops: values.HARMONT_TRUST_PROXY,
    environment: values.HARMONT_ENV,
    logLevel: values.HARMONT_LOG_LEVEL,
    accessLog: values.HARMONT_ACCESS_LOG === "on",
    lifetimes: {
      accountDeletionGraceMs: values.HARMONT_ACCOUNT_DELETION_GRACE,
      handoffMs: values.HARMONT_HANDOFF_TTL,
      invitationMs: values.HARMONT_INVITATION_TTL,
      passwordResetMs: values.HARMONT_PASSWORD_RESET_TTL,
      loginChallengeMs: values.HARMONT_LOGIN_CHALLENGE_TTL,
      pasteCodeMs: values.HARMONT_PASTE_CODE_TTL,
      webSessionIdleMs: values.HARMONT_WEB_SESSION_IDLE,
      webSessionAbsoluteMs: values.HARMONT_WEB_SESSION_MAX,
      cliSessionIdleMs: values.HARMONT_CLI_SESSION_IDLE,
      cliSessionAbsoluteMs: values.HARMONT_CLI_SESSION_MAX,
    },
    apiTokens: {
      maxLifetimeMs: values.HARMONT_API_TOKEN_MAX,
      allowNoExpiry: values.HARMONT_API_TOKEN_NO_EXPIRY === "on",
    },
    limits: {
      cliPerIpPerMinute: values.HARMONT_LIMIT_CLI_PER_IP,
      oauthPerIpPerMinute: values.HARMONT_LIMIT_OAUTH_PER_IP,
      deviceCodesPerIpPerHour: values.HARMONT_LIMIT_DEVICE_CODES_PER_IP,
      signupPerIpPerHour: values.HARMONT_LIMIT_SIGNUP_PER_IP,
      loginPerIpPerMinute: values.HARMONT_LIMIT_LOGIN_PER_IP,
    },
    purgeIntervalMs: values.HARMONT_PURGE_INTERVAL,
    secretKey: values.HARMONT_SECRET_KEY ?? null,
    previousSecretKey: values.HARMONT_SECRET_KEY_PREVIOUS ?? null,
    totpIssuer: values.HARMONT_TOTP_ISSUER,
    impersonation: { lifetimeMs: values.HARMONT_IMPERSONATION_TTL, notifyTarget: values.HARMONT_IMPERSONATION_NOTICE },
    oauth: {
      clients: values.HARMONT_OAUTH_CLIENTS,
      introspectionClients: values.HARMONT_INTROSPECTION_CLIENTS,
      deviceCodeTtlMs: values.HARMONT_DEVICE_CODE_TTL,
      devicePollIntervalMs: values.HARMONT_DEVICE_POLL_INTERVAL,
    },
    http: {
      headersTimeoutMs: values.HARMONT_HEADERS_TIMEOUT,
      requestTimeoutMs: values.HARMONT_REQUEST_TIMEOUT,
      keepAliveTimeoutMs: values.HARMONT_KEEP_ALIVE_TIMEOUT,
      maxConnections: values.HARMONT_MAX_CONNECTIONS,
    },
    email: {
      smtpUrl: values.HARMONT_SMTP_URL,
      from: values.HARMONT_MAIL_FROM,
      codeTtlMs: values.HARMONT_EMAIL_CODE_TTL,
    },
    accountLimits: {
      emailCodesPerAddress: values.HARMONT_LIMIT_EMAIL_CODES_PER_ADDRESS,
      emailCodesPerIp: values.HARMONT_LIMIT_EMAIL_CODES_PER_IP,
      emailCodeFailuresPerAddress: values.HARMONT_LIMIT_EMAIL_CODE_FAILURES,
      loginFailuresPerAccount: values.HARMONT_LIMIT_LOGIN_FAILURES,
      loginCooldownMs: values.HARMONT_LOGIN_COOLDOWN,
      passwordResetsPerAddressPerHour: values.HARMONT_LIMIT_PASSWORD_RESETS_PER_ADDRESS,
      passwordResetsPerIpPerHour: values.HARMONT_LIMIT_PASSWORD_RESETS_PER_IP,
      secondFactorFailuresPerAccountPerHour: values.HARMONT_LIMIT_SECOND_FACTOR_FAILURES,
      impersonationsPerOperatorPerHour: values.HARMONT_LIMIT_IMPERSONATIONS,
      userCodeFailuresPerUser: values.HARMONT_LIMIT_USER_CODE_FAILURES,
      userCodeFailuresPerIp: values.HARMONT_LIMIT_USER_CODE_FAILURES_PER_IP,
      userCodeFailuresGlobal: values.HARMONT_LIMIT_USER_CODE_FAILURES_GLOBAL,
      approvalRequestsPerAccountPerHour: values.HARMONT_LIMIT_APPROVAL_REQUESTS,
      orgCreatesPerUserPerDay: values.HARMONT_LIMIT_ORG_CREATES,
      invitationsPerOrgPerDay: values.HARMONT_LIMIT_INVITATIONS_PER_ORG,
      invitationsPerInviterPerDay: values.HARMONT_LIMIT_INVITATIONS_PER_INVITER,
    },
  };
}

/** The text of `harmont-server --help` (before the operator commands): the settings table, by group. */
export function renderHelp(): string {
  const entries = Object.entries(settings) as Array<[SettingName, Setting<unknown>]>;
  const width = Math.max(...entries.map(([name]) => name.length));
  const sections = settingGroups.flatMap((group) => [
    `${group}:`,
    ...entries
      .filter(([, definition]) => definition.group === group)
      .map(([name, definition]) => `  ${name.padEnd(width)}  ${definition.help} (default: ${describeDefault(definition)})`),
    "",
  ]);
  return [
    "harmont-server: the Harmont authentication server",
    "",
    "Usage:",
    "  harmont-server                 start the server",
    "  harmont-server --help          show this help",
    "  harmont-server --version       print the version",
    "",
    "Environment variables (durations take a unit: 60s, 5m, 12h, 7d):",
    "",
    ...sections,
    "",
  ].join("\n");
}
