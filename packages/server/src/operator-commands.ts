/**
 * Operator commands: `harmont-server users create|list|disable|enable|reset-2fa|grant-operator|revoke-operator`
 * and `harmont-server introspection-client new`. They work on the
 * server's own database, found by the same rule as the server (`loadConfig`), print which one
 * on standard error, and refuse one that a server has not created: a mistyped path or a
 * command run from another directory must fail, not succeed on a new empty file.
 *
 * A password is read from standard input (piped) or a prompt that does not echo, never from
 * argv, where other users of the machine could read it in the process list.
 */
import { createInterface } from "node:readline";
import pino from "pino";
import { Writable } from "node:stream";
import { randomBytes } from "node:crypto";
import { createUserAsOperator, disableUser, enableUser, listUsers, setOperatorRole } from "./auth/accounts.js";
import { normalizeEmail } from "./auth/email-address.js";
import { listImpersonationTrail, type Impersonation } from "./auth/impersonation.js";
import { resetSecondFactorAsOperator } from "./auth/second-factor.js";
import { hashSecret } from "./auth/tokens.js";
import { passwordProblemMessages } from "./auth/passwords.js";
import type { User } from "./auth/users.js";
import { describeDatabase, type Config } from "./config.js";
import { buildServer, createLogger, type BuiltServer } from "./server.js";
import { checkDatabaseReady, DatabaseNotReadyError } from "./store/database.js";
import { isDatabaseUnavailableError } from "./store/errors.js";

/** The command groups `harmont-server` takes before any setting is read. */
export const operatorGroups: ReadonlySet<string> = new Set(["users", "introspection-client", "impersonations"]);

export const operatorUsage = [
  "  harmont-server users create --email <email> [--name <name>]",
  "                                 create a verified account; the password is read from stdin or a prompt",
  "  harmont-server users list [--json]",
  "                                 every account: email, id, verified, disabled, created",
  "  harmont-server users disable --email <email>",
  "                                 disable an account and revoke all its sessions at once",
  "  harmont-server users enable --email <email>",
  "                                 let a disabled account sign in again (its sessions stay revoked)",
  "  harmont-server users reset-2fa --email <email>",
  "                                 remove two-step verification (a lost device and lost backup codes;",
  "                                 prove who asks first) and revoke every session and API token",
  "  harmont-server users grant-operator --email <email>",
  "                                 make the account a platform operator (may start support sessions;",
  "                                 needs two-step verification on to do so)",
  "  harmont-server users revoke-operator --email <email>",
  "                                 take the role away and sign the account out everywhere",
  "  harmont-server impersonations list [--email <email>] [--json]",
  "                                 support sessions, newest first, of one operator or account",
  "  harmont-server impersonations show <session id> [--json]",
  "                                 one support session and everything done in it (the audit trail)",
  "  harmont-server introspection-client new <id>",
  "                                 a secret for a resource server that introspects tokens (RFC 7662),",
  "                                 printed once, with the HARMONT_INTROSPECTION_CLIENTS entry to add",
].join("\n");

const usersHelp = [
  "harmont-server users: manage accounts from the server's command line",
  "",
  "Usage:",
  operatorUsage,
  "",
  "The commands use the server's database (HARMONT_DATABASE_URL; by default .harmont/harmont.db in",
  "the directory you run them in, or, through npm, the directory you ran npm in) and print which one.",
  "They never create a database: start the server once first.",
  "",
].join("\n");

type UsersAction = "create" | "list" | "disable" | "enable" | "reset-2fa" | "grant-operator" | "revoke-operator";
const usersActions: ReadonlySet<string> = new Set<UsersAction>(["create", "list", "disable", "enable", "reset-2fa", "grant-operator", "revoke-operator"]);

function readOption(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index >= 0) return args[index + 1];
  const inline = args.find((arg) => arg.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const ask = async (question: string): Promise<string> => {
    process.stderr.write(question);
    let muted = true;
    const output = new Writable({
      write(chunk, _encoding, callback) {
        if (!muted) process.stderr.write(chunk);
        callback();
      },
    });
    const prompt = createInterface({ input: process.stdin, output, terminal: true });
    const answer = await new Promise<string>((resolve) => prompt.question("", resolve));
    muted = false;
    prompt.close();
    process.stderr.write("\n");
    return answer;
  };
  const first = await ask("Password: ");
  const second = await ask("Repeat the password: ");
  if (first !== second) throw new Error("the passwords do not match");
  return first;
}

const operatorMeta = { ip: null, userAgent: "harmont-server (operator)", requestId: null, actor: null };

function fail(message: string, code = 1): number {
  process.stderr.write(`harmont-server: ${message}\n`);
  return code;
}

/** What to say when the database is not one a server made, and how to put it right. */
function explainNotReady(error: DatabaseNotReadyError): string {
  const fix =
    error.reason === "outdated"
      ? "Start this version's server once (harmont-server, or npm start) to migrate it."
      : "The server creates it when it first starts: start it (harmont-server, or npm start) from the directory you run\n" +
        "these commands in, or set HARMONT_DATABASE_URL to the database the server uses.";
  return `${error.message}; nothing was changed.\n${fix}`;
}

function formatTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function renderUserTable(users: User[]): string {
  return renderTable([
    ["EMAIL", "ID", "VERIFIED", "DISABLED", "CREATED"],
    ...users.map((user) => [
      user.email,
      user.id,
      user.emailVerifiedAt === null ? "no" : "yes",
      user.disabledAt === null ? "no" : "yes",
      formatTime(user.createdAt),
    ]),
  ]);
}

async function runUsersAction(action: UsersAction, rest: string[], built: BuiltServer, config: Config): Promise<number> {
  const auth = built.deps.auth;
  if (action === "list") {
    const users = await listUsers(auth);
    if (rest.includes("--json")) {
      const body = users.map((user) => ({
        email: user.email,
        id: user.id,
        name: user.name,
        email_verified: user.emailVerifiedAt !== null,
        disabled: user.disabledAt !== null,
        created_at: formatTime(user.createdAt),
      }));
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      process.stdout.write(renderUserTable(users));
    }
    return 0;
  }
  const email = readOption(rest, "--email")!;
  const unknown = () => fail(`no account with the email ${email} in ${describeDatabase(config.databaseUrl)}`);
  if (action === "create") {
    let password: string;
    try {
      password = await readPassword();
    } catch (error) {
      return fail((error as Error).message);
    }
    const result = await createUserAsOperator(auth, { email, password, name: readOption(rest, "--name") }, operatorMeta);
    if (!result.ok) {
      const reason =
        result.failure === "email_taken"
          ? "an account with this email already exists"
          : result.failure === "invalid_email"
            ? "not a valid email address"
            : passwordProblemMessages[result.failure];
      return fail(reason);
    }
    process.stdout.write(`created ${result.value.email} (${result.value.id})\n`);
    return 0;
  }
  if (action === "disable") {
    const result = await disableUser(auth, email, operatorMeta);
    if (!result.ok) return unknown();
    process.stdout.write(`disabled ${email}; revoked ${result.value.sessionsRevoked} session(s)\n`);
    return 0;
  }
  if (action === "grant-operator" || action === "revoke-operator") {
    const user = await auth.store.users.findByEmail(normalizeEmail(email));
    if (!user) return unknown();
    const changed = await setOperatorRole(auth, user.id, action === "grant-operator", operatorMeta);
    const granted = action === "grant-operator";
    process.stdout.write(
      !changed
        ? `${user.email} ${granted ? "is an operator already" : "is not an operator"}; nothing changed\n`
        : granted
          ? `${user.email} is now a platform operator\n`
          : `${user.email} is no longer an operator; every session of the account was signed out\n`,
    );
    return 0;
  }
  if (action === "reset-2fa") {
    const user = await auth.store.users.findByEmail(normalizeEmail(email));
    if (!user) return unknown();
    const removed = await resetSecondFactorAsOperator(auth, user.id, user.email, operatorMeta);
    process.stdout.write(
      removed
        ? `removed two-step verification from ${user.email}; every session and API token was revoked and a notice mailed\n`
        : `${user.email} has no two-step verification; nothing changed\n`,
    );
    return 0;
  }
  const result = await enableUser(auth, email, operatorMeta);
  if (!result.ok) return unknown();
  process.stdout.write(result.value.wasDisabled ? `enabled ${email}; it can sign in again\n` : `${email} was not disabled; nothing changed\n`);
  return 0;
}

/**
 * Runs an operator command; returns the exit code: 0 done, 1 refused (no such account, no
 * database, a bad password), 2 a usage mistake. `readConfig` is called only for a command that
 * needs the database, so `harmont-server users` shows its help whatever the settings.
 */
export async function runOperatorCommand(args: string[], readConfig: () => Config): Promise<number> {
  const [group, action, ...rest] = args;
  if (group === "introspection-client") return newIntrospectionClient(action, rest);
  if (group === "impersonations") return runImpersonationsCommand(action, rest, readConfig);
  if (group !== "users") return fail(`unknown command "${args.join(" ")}"\n\nCommands:\n${operatorUsage}`, 2);
  if (action === undefined || action === "help" || action === "--help" || action === "-h") {
    process.stdout.write(usersHelp);
    return 0;
  }
  if (!usersActions.has(action)) return fail(`unknown command "users ${action}"\n\n${usersHelp}`, 2);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(usersHelp);
    return 0;
  }
  if (action !== "list" && !readOption(rest, "--email")) return fail(`--email is required\n\n${operatorUsage}`, 2);

  return withDatabase(readConfig, (built, config) => runUsersAction(action as UsersAction, rest, built, config));
}

/** Opens the server's database (never creating or migrating one) for a command, and closes it after. */
async function withDatabase(readConfig: () => Config, run: (built: BuiltServer, config: Config) => Promise<number>): Promise<number> {
  const config = readConfig();
  // stdout is the command's answer; which database, and anything that went wrong, go to stderr.
  process.stderr.write(`harmont-server: database ${describeDatabase(config.databaseUrl)}\n`);
  try {
    await checkDatabaseReady(config.databaseUrl);
  } catch (error) {
    if (error instanceof DatabaseNotReadyError) return fail(explainNotReady(error));
    if (isDatabaseUnavailableError(error)) return fail(`cannot reach the database: ${(error as Error).message}`);
    throw error;
  }
  const logger = createLogger({ logLevel: "error" }, pino.destination(2));
  const built = await buildServer(config, { logger });
  try {
    return await run(built, config);
  } finally {
    await built.close();
  }
}

/** A table of text columns, the last one unpadded. */
function renderTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")).join("\n") + "\n";
}

/**
 * `impersonations list [--email <e>] [--json]`: support sessions, newest first, of one operator or
 * account when given; `impersonations show <session id> [--json]`: one, with its audit trail.
 */
async function runImpersonationsCommand(action: string | undefined, rest: string[], readConfig: () => Config): Promise<number> {
  if (action !== "list" && action !== "show") return fail(`usage: harmont-server impersonations list [--email <email>] [--json] | show <session id> [--json]\n\nCommands:\n${operatorUsage}`, 2);
  const sessionId = action === "show" ? rest.find((arg) => !arg.startsWith("--")) : undefined;
  if (action === "show" && sessionId === undefined) return fail("usage: harmont-server impersonations show <session id> [--json]", 2);
  const json = rest.includes("--json");
  return withDatabase(readConfig, async (built) => {
    const auth = built.deps.auth;
    const emails = new Map<string, string>();
    const emailOf = async (userId: string | null) => {
      if (userId === null) return "-";
      if (!emails.has(userId)) emails.set(userId, (await auth.store.users.findById(userId))?.email ?? userId);
      return emails.get(userId)!;
    };
    if (action === "list") {
      const email = readOption(rest, "--email");
      const user = email === undefined ? null : await auth.store.users.findByEmail(normalizeEmail(email));
      if (email !== undefined && !user) return fail(`no account with the email ${email}`);
      const rows = await auth.store.impersonations.list(user ? { userId: user.id } : {}, 200);
      if (json) {
        const body = [];
        for (const row of rows) body.push({ ...toImpersonationJson(row), operator: await emailOf(row.impersonatorUserId), account: await emailOf(row.targetUserId) });
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return 0;
      }
      const table = [["SESSION", "OPERATOR", "ACCOUNT", "STARTED", "ENDED", "REASON"]];
      for (const row of rows) {
        table.push([row.sessionId, await emailOf(row.impersonatorUserId), await emailOf(row.targetUserId), formatTime(row.startedAt), row.endedAt === null ? "(open)" : `${formatTime(row.endedAt)} ${row.endReason}`, row.reason]);
      }
      process.stdout.write(rows.length === 0 ? "no support sessions\n" : renderTable(table));
      return 0;
    }
    const trail = await listImpersonationTrail(auth, sessionId!);
    if (!trail) return fail(`no support session ${sessionId}`);
    if (json) {
      process.stdout.write(`${JSON.stringify({ ...toImpersonationJson(trail.impersonation), events: trail.events.map((event) => ({ ...event, at: formatTime(event.at) })) }, null, 2)}\n`);
      return 0;
    }
    const { impersonation } = trail;
    process.stdout.write(
      `${impersonation.sessionId}: ${await emailOf(impersonation.impersonatorUserId)} as ${await emailOf(impersonation.targetUserId)}, ${formatTime(impersonation.startedAt)} to ${
        impersonation.endedAt === null ? "(open)" : `${formatTime(impersonation.endedAt)} (${impersonation.endReason})`
      }\nReason: ${impersonation.reason}\n\n`,
    );
    const table = [["AT", "ACTION", "ACTOR", "TARGET"]];
    for (const event of trail.events) table.push([formatTime(event.at), event.action, await emailOf(event.actorUserId), event.target ?? "-"]);
    process.stdout.write(renderTable(table));
    return 0;
  });
}

function toImpersonationJson(row: Impersonation) {
  return {
    session_id: row.sessionId,
    operator_user_id: row.impersonatorUserId,
    account_user_id: row.targetUserId,
    reason: row.reason,
    started_at: formatTime(row.startedAt),
    expires_at: formatTime(row.expiresAt),
    ended_at: row.endedAt === null ? null : formatTime(row.endedAt),
    end_reason: row.endReason,
  };
}

/**
 * `introspection-client new <id>`: draws a 256-bit secret and prints it once, with the settings
 * entry that holds only its hash. Nothing is stored: the entry goes in the server's settings.
 */
function newIntrospectionClient(action: string | undefined, rest: string[]): number {
  const id = rest[0];
  if (action !== "new" || id === undefined || rest.length !== 1) return fail(`usage: harmont-server introspection-client new <id>\n\nCommands:\n${operatorUsage}`, 2);
  if (!/^[a-z0-9][a-z0-9-]{2,63}$/.test(id)) return fail(`"${id}" is not a client id: 3 to 64 of a-z, 0-9 and -, starting with a letter or digit`, 2);
  const secret = randomBytes(32).toString("base64url");
  process.stdout.write(`client_id:     ${id}\nclient_secret: ${secret}\n`);
  process.stderr.write(
    `Give the resource server the id and secret (shown only now). Add to the server's settings, after any entries already there:\n  HARMONT_INTROSPECTION_CLIENTS=${id}=sha256:${hashSecret(secret)}\n`,
  );
  return 0;
}
