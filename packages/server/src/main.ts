#!/usr/bin/env node
/**
 * harmont-server: the composition root. config → database → services → app → listen.
 * Nothing else wires.
 */
import { ConfigError, describeDatabase, loadConfig, redactUrl, renderHelp } from "./config.js";
import { operatorGroups, operatorUsage, runOperatorCommand } from "./operator-commands.js";
import { createLogger, serverVersion, startServer } from "./server.js";

async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`harmont-server: ${error.message}\nRun harmont-server --help for every setting.\n`);
      return 2;
    }
    throw error;
  }
}

async function run(argv: string[]): Promise<number> {
  // `harmont-server users --help` is the operator command's own help.
  if (argv[0] !== undefined && operatorGroups.has(argv[0])) return runOperatorCommand(argv, () => loadConfig());
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${renderHelp()}Operator commands:\n${operatorUsage}\n`);
    return 0;
  }
  if (argv.includes("--version") || argv.includes("-v")) {
    process.stdout.write(`${serverVersion}\n`);
    return 0;
  }
  if (argv.length > 0) return runOperatorCommand(argv, () => loadConfig());
  const config = loadConfig();

  const logger = createLogger(config);
  const running = await startServer(config, { logger });
  const publicUrl = config.publicUrl.href.replace(/\/+$/, "");
  logger.info(
    { url: publicUrl, port: running.port, database: redactUrl(config.databaseUrl), environment: config.environment, version: serverVersion },
    "listening",
  );
  process.stderr.write(
    [
      "",
      `  Harmont ${serverVersion} is running at ${publicUrl} (${config.environment})`,
      `  Data: ${describeDatabase(config.databaseUrl)}`,
      "",
      `  Create an account in the browser: ${publicUrl}/sign-up`,
      "  or with curl:",
      `    curl -s ${publicUrl}/api/v0/auth/signup -H 'Content-Type: application/json' \\`,
      `      -d '{"email":"you@example.com","password":"a long passphrase"}'`,
      "  or, as the operator (where you started the server, with the same settings):",
      "    npx harmont-server users create --email you@example.com",
      `  API reference: ${config.docsUrl}    OpenAPI: ${publicUrl}/api/v0/openapi.json`,
      `  Health: ${publicUrl}/api/v0/health    Readiness: ${publicUrl}/api/v0/ready`,
      ...(config.environment === "development" ? [`  Mail sent in development (codes, links): ${publicUrl}/dev/mail`] : []),
      "",
      `  Next, sign in a terminal: npx harmont login${publicUrl === "http://localhost:8080" ? "" : ` --api-url ${publicUrl}`}`,
      "",
    ].join("\n") + "\n",
  );

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "shutting down");
      void running.stop().then(resolve);
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  logger.info("stopped");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`harmont-server: failed to start: ${error instanceof Error ? error.message : JSON.stringify(error)}\n`);
    process.exitCode = 1;
  },
);
