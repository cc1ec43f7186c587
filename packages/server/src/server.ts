/**
 * Starting and stopping a server: opens the database, builds the services and the app, listens,
 * purges expired records on a timer, and shuts down gracefully (stop accepting, finish what is
 * in flight, close the database).
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import pino, { type Logger } from "pino";
import type { AppDeps } from "./app-deps.js";
import { createApp } from "./app.js";
import type { AuthDeps } from "./auth/context.js";
import { purgeExpiredRecords } from "./auth/maintenance.js";
import { createPasswordHasher } from "./auth/passwords.js";
import { systemClock, type Clock } from "./auth/types.js";
import { invocationDirectory, type Config } from "./config.js";
import { createDevInbox, recordingMailer, type DevInbox } from "./email/dev-inbox.js";
import { createLogMailer, createSmtpMailer, type Mailer } from "./email/mailer.js";
import { createMailNotifier } from "./email/notifier.js";
import { redactionOptions } from "./log-redaction.js";
import { developmentKeyPath, loadDevelopmentSecretKey } from "./secret-key.js";
import { createOAuthClientRegistry } from "./auth/oauth-clients.js";
import { createSecretBoxKeys } from "./auth/secret-box.js";
import { createShortCodeHasher } from "./auth/tokens.js";
import { createRateLimiters } from "./http/rate-limit-rules.js";
import { sessionCookieSettings } from "./http/session-cookie.js";
import { openDatabase, type OpenDatabase } from "./store/database.js";
import { isDatabaseUnavailableError } from "./store/errors.js";
import { purgeRateLimits } from "./store/kysely-store.js";

export const serverVersion: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

let lastMillisecond = -1;
let lastTimestamp = "";

/** pino's ISO timestamp, formatted once per millisecond rather than once per line. */
function isoTimestamp(): string {
  const now = Date.now();
  if (now !== lastMillisecond) {
    lastMillisecond = now;
    lastTimestamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTimestamp;
}

/** How long a log line written to standard output may wait in its buffer before it goes out. */
export const LOG_FLUSH_INTERVAL_MS = 100;

export function createLogger(config: Pick<Config, "logLevel">, destination?: pino.DestinationStream): Logger {
  const redaction = redactionOptions();
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: "harmont-server" },
    timestamp: isoTimestamp,
    // A second line of defence: no secret reaches a log line, whatever a caller passes.
    ...redaction,
  };
  if (destination) return pino(options, destination);
  // Standard output is written asynchronously and in batches of about 4 KB: under load, one
  // system call carries a few dozen lines instead of one per request (on a small machine the
  // write costs more than the line). A timer writes what a quiet server buffered within 100 ms,
  // a warning or an error goes out at once, and pino flushes what is left when the process exits.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stdout.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  const scrub = redaction.hooks!.logMethod!;
  return pino(
    {
      ...options,
      hooks: {
        logMethod(args, method, level) {
          scrub.call(this, args, method, level);
          if (level >= pino.levels.values.warn!) stdout.flush();
        },
      },
    },
    stdout,
  );
}

export interface BuiltServer {
  deps: AppDeps;
  database: OpenDatabase;
  app: ReturnType<typeof createApp>;
  /** Closes the mail transport, the password hashing threads and the database. */
  close(): Promise<void>;
}

export function createMailer(config: Config, logger: Logger): Mailer {
  if (config.email.smtpUrl) return createSmtpMailer(config.email.smtpUrl, config.email.from);
  // Config refuses production without SMTP; this is development's stand-in.
  logger.warn("HARMONT_SMTP_URL is not set: mail (with its codes) is written to this log instead of being sent");
  return createLogMailer(logger);
}

/** Opens the database and builds the app, without listening (tests use `app.request`). */
export async function buildServer(config: Config, options: { logger: Logger; clock?: Clock; mailer?: Mailer }): Promise<BuiltServer> {
  const database = await openDatabase(config.databaseUrl, {
    onBackgroundError: (error) => options.logger.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, "database connection failed"),
  });
  const clock = options.clock ?? systemClock;
  // Development keeps a copy of every message for the web app's /dev/mail; production has none.
  const devInbox: DevInbox | null = config.environment === "development" ? createDevInbox(clock) : null;
  const transport = options.mailer ?? createMailer(config, options.logger);
  const mailer = devInbox ? recordingMailer(transport, devInbox) : transport;
  const secretKey = config.secretKey ?? loadDevelopmentSecretKey(developmentKeyPath(config.databaseUrl, invocationDirectory()));
  const auth: AuthDeps = {
    store: database.store,
    clock,
    passwords: createPasswordHasher(),
    lifetimes: config.lifetimes,
    apiTokens: config.apiTokens,
    notifier: createMailNotifier(mailer, config.publicUrl.href, options.logger),
    emailCodeTtlMs: config.email.codeTtlMs,
    shortCodes: createShortCodeHasher(secretKey),
    totp: { keys: createSecretBoxKeys(secretKey, config.previousSecretKey), issuer: config.totpIssuer },
    deviceGrant: { lifetimeMs: config.oauth.deviceCodeTtlMs, intervalMs: config.oauth.devicePollIntervalMs },
    impersonation: config.impersonation,
  };
  const cookie = sessionCookieSettings(config.publicUrl);
  const deps: AppDeps = {
    config,
    auth,
    guard: { store: auth.store, clock: auth.clock, webOrigins: config.webOrigins, cookieName: cookie.name },
    cookie,
    logger: options.logger,
    rateLimits: createRateLimiters(config, database.pool),
    oauthClients: createOAuthClientRegistry(config.oauth.clients, config.oauth.introspectionClients),
    pingDatabase: () => database.ping(),
    isServiceUnavailable: isDatabaseUnavailableError,
    version: serverVersion,
    devInbox,
  };
  const close = async () => {
    mailer.close();
    await auth.passwords.close();
    await database.close();
  };
  return { deps, database, app: createApp(deps), close };
}

export interface RunningServer extends BuiltServer {
  url: string;
  port: number;
  /** Stops accepting, waits for in-flight requests, closes the database. */
  stop(): Promise<void>;
}

export async function startServer(config: Config, options: { logger: Logger; clock?: Clock }): Promise<RunningServer> {
  const built = await buildServer(config, options);
  const { logger } = options;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve(
      {
        fetch: built.app.fetch,
        port: config.port,
        hostname: config.host,
        // Node's defaults let a client hold a connection for minutes (60 s for headers, 300 s
        // for a body); an auth server answers small requests and cuts slow ones off sooner.
        serverOptions: {
          headersTimeout: config.http.headersTimeoutMs,
          requestTimeout: config.http.requestTimeoutMs,
          keepAliveTimeout: config.http.keepAliveTimeoutMs,
          // How often those timeouts are checked; finer than Node's 30 s so they hold to the second.
          connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
        },
      },
      () => resolve(listening),
    );
    if (config.http.maxConnections > 0) (listening as { maxConnections?: number }).maxConnections = config.http.maxConnections;
    listening.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;

  const purge = setInterval(() => {
    void (async () => {
      try {
        const purged = await purgeExpiredRecords(built.deps.auth);
        const rateLimits = built.database.kind === "postgres" ? await purgeRateLimits(built.database.db, Date.now()) : 0;
        logger.debug({ ...purged, rate_limits: rateLimits }, "purged expired records");
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message } }, "purge failed");
      }
    })();
  }, config.purgeIntervalMs);
  purge.unref();

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(purge);
      await new Promise<void>((resolve) => {
        // Keep-alive sockets would hold close() open: close each as soon as it is idle, so busy
        // ones finish their request first; after 10 s, close whatever is left.
        const closeIdle = () => {
          if ("closeIdleConnections" in server) server.closeIdleConnections();
        };
        const sweeper = setInterval(closeIdle, 50);
        const deadline = setTimeout(() => {
          if ("closeAllConnections" in server) server.closeAllConnections();
        }, 10_000);
        server.close(() => {
          clearInterval(sweeper);
          clearTimeout(deadline);
          resolve();
        });
        closeIdle();
      });
      await built.close();
    })();
    return stopping;
  };
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return { ...built, url: `http://${host}:${port}`, port, stop };
}
