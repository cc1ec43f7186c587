/**
 * The `harmont` command line: parses arguments, resolves the server and profile, and runs one
 * command. `runCli` never calls `process.exit`; it resolves the exit code, so it can be run from
 * tests or another program with streams of their own.
 */
import { readFileSync } from "node:fs";
import { parseArguments, type ArgumentProblem, type FlagSpec } from "./arguments.js";
import { runLogin } from "./commands/login.js";
import { runLogout } from "./commands/logout.js";
import { DEFAULT_OPEN_PATH, isWebAppPath, runOpen } from "./commands/open.js";
import { runOrgs, runSwitch } from "./commands/orgs.js";
import { runSessionsList, runSessionsRevoke } from "./commands/sessions.js";
import { runStatus } from "./commands/status.js";
import { runToken } from "./commands/token.js";
import { DEFAULT_TOKEN_EXPIRY_DAYS, parseTokenExpiry, runTokensCreate, runTokensList, runTokensRevoke } from "./commands/tokens.js";
import { createContextClient, Printer, type Context, type Io } from "./context.js";
import { parseDuration } from "./duration.js";
import { ExitCode, exitCodeMeanings, type ExitCodeValue } from "./exit-codes.js";
import type { HintTarget } from "./hints.js";
import { DEFAULT_LOGIN_TIMEOUT_MS } from "./login/browser-login.js";
import { normalizeApiUrl } from "./login/urls.js";
import { createCredentialStore, CredentialStoreError } from "./storage/credential-store.js";
import { closestMatches, didYouMean } from "./suggestion.js";

/** The longest a browser or device login may wait for its approval. */
const MAX_LOGIN_TIMEOUT_MS = 30 * 60_000;

export const DEFAULT_API_URL = "http://localhost:8080";

/** The package's version, read from its package.json. */
export const version: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const options = {
  "api-url": { type: "string" },
  profile: { type: "string" },
  json: { type: "boolean" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  "web-url": { type: "string" },
  browser: { type: "boolean" },
  paste: { type: "boolean" },
  device: { type: "boolean" },
  "with-token": { type: "boolean" },
  timeout: { type: "string" },
  expires: { type: "string" },
  "print-url": { type: "boolean" },
} as const satisfies Record<string, FlagSpec>;

const loginOnly = ["web-url", "browser", "paste", "device", "with-token", "timeout"] as const;
const tokensOnly = ["expires"] as const;
const openOnly = ["print-url"] as const;

const exitCodeLines = exitCodeMeanings.map(({ code, meaning }) => `  ${String(code).padEnd(4)}${meaning}`);

const globalFlags = [
  "Global flags:",
  "  --api-url <url>       the Harmont server (HARMONT_API_URL; default: the profile's last server,",
  `                        else ${DEFAULT_API_URL})`,
  "  --profile <name>      a separate login, for several accounts or servers (default: default)",
  "  --json                print data as JSON on stdout",
  "  --no-color            no colours (also NO_COLOR=1)",
  "  -h, --help            this help; `harmont <command> --help` for one command",
  "  -V, --version         print the version",
];

const loginFlags = [
  "Login flags:",
  "  --browser             use the browser even where none seems to be (SSH, CI, no display)",
  "  --paste               use a paste code; with stdin not a terminal, read the code from stdin",
  "  --device              use a device code: open the page it names on any device and enter the",
  "                        code there; opens no browser and reads nothing, so no terminal is needed",
  "  --with-token          read a token from stdin, check it with the server, and store it",
  "  --web-url <url>       the web app (HARMONT_WEB_URL; default: what the server advertises)",
  "  --timeout <duration>  how long to wait for the approval: 90s, 10m… (default 5m, at most 30m)",
];

const environment = [
  "Environment:",
  "  HARMONT_TOKEN         a token to use instead of the stored one (CI); it wins over any login",
  "  HARMONT_API_URL       as --api-url",
  "  HARMONT_WEB_URL       as --web-url",
  "  HARMONT_BROWSER       the command that opens the login page (the URL is added as its last argument)",
  "  HARMONT_KEYCHAIN=off  never use the OS keychain; keep the token in the file",
  "  NO_COLOR              no colours",
];

const helps: Record<string, string[]> = {
  main: [
    "harmont: log in to Harmont from a terminal, over SSH, or in CI",
    "",
    "Usage:",
    "  harmont <command> [flags]",
    "",
    "Commands:",
    "  login                 log in: browser or paste code (picked for you), --device, or --with-token",
    "  logout                revoke this CLI's session on the server and delete its token",
    "  status                account, session, expiry and where the token comes from (alias: whoami)",
    "  token                 print the token alone, for piping",
    "  sessions              list your sessions",
    "  sessions revoke <id>  revoke one of your sessions",
    "  orgs                  list your organizations, this CLI's active one marked",
    "  switch <org>          make an organization (slug, id or name) this CLI's active one",
    "  open [path]           open the web app in your browser, signed in as this CLI's account",
    "  tokens                list your API tokens; tokens create <name> makes one for CI",
    "  tokens revoke <id>    revoke one of your API tokens",
    "",
    ...loginFlags,
    "",
    ...globalFlags,
    "",
    ...environment,
    "",
    "Examples:",
    "  harmont login                                   # on a laptop: approve in the browser",
    "  harmont login --paste                           # over SSH: type the code the web page shows",
    "  harmont login --device                          # no terminal input: approve the code on any device",
    "  echo \"$CODE\" | harmont login --paste            # a script with a code in hand",
    "  harmont login --with-token < token.txt          # CI (or set HARMONT_TOKEN)",
    "  harmont status --json | jq -r .user.email",
    "  curl -H \"Authorization: Bearer $(harmont token)\" https://auth.example.com/api/v0/user",
    "  harmont --profile staging --api-url https://auth.staging.example.com login",
    "",
    "Exit codes:",
    ...exitCodeLines,
    "",
    "Tokens are kept in the OS keychain when one is reachable, else in",
    "$XDG_CONFIG_HOME/harmont/credentials.json (default ~/.config/harmont/), mode 0600.",
  ],
  login: [
    "harmont login: log in to a Harmont server",
    "",
    "Usage:",
    "  harmont login [--browser | --paste | --device | --with-token] [--web-url <url>] [--timeout <duration>]",
    "",
    "The way is picked in this order: --paste; --browser or HARMONT_BROWSER; else the browser on",
    "a desktop, and a paste code over SSH, in CI, or on Linux without a display. When the browser",
    "cannot be opened, a paste code is offered instead. The URL and a verification phrase are",
    "printed first: continue in the browser only if it shows the same phrase.",
    "",
    "--device is never picked for you. It prints a code and the server's device page: open the",
    "page on any device, sign in, and approve only if it shows the same code. Nothing is read from",
    "the terminal, so it also works for scripts and agents; with --json the first line on stdout",
    "is the code and the page as JSON, to relay.",
    "",
    ...loginFlags,
    "",
    ...globalFlags,
    "",
    "Examples:",
    "  harmont login",
    "  harmont login --timeout 10m",
    "  ssh devbox -t harmont login --paste",
    "  harmont login --device",
    "  echo \"$CODE\" | harmont login --paste",
    "  printf '%s' \"$HARMONT_CI_TOKEN\" | harmont login --with-token",
    "",
    "Exit codes:",
    ...exitCodeLines,
  ],
  logout: [
    "harmont logout: revoke this CLI's session on the server, then delete the token here",
    "",
    "If the server cannot be reached, the token is deleted anyway and harmont says it may still be",
    "valid (exit code 5). A token in HARMONT_TOKEN is not touched: unset it yourself.",
    "",
    "Usage:",
    "  harmont logout [--profile <name>] [--api-url <url>] [--json]",
    "",
    ...globalFlags,
  ],
  status: [
    "harmont status (alias whoami): who you are logged in as",
    "",
    "Shows the API URL, the account, the session's name and expiry, and where the token comes from",
    "(env, keychain or file). Exits 1 when not logged in or when the session expired or was revoked.",
    "",
    "Usage:",
    "  harmont status [--json]",
    "",
    "Examples:",
    "  harmont status",
    "  harmont status --json | jq -r .session.expires_at",
    "",
    ...globalFlags,
  ],
  token: [
    "harmont token: print the token, and nothing else, on stdout",
    "",
    "Usage:",
    "  harmont token [--json]",
    "",
    "Examples:",
    "  curl -H \"Authorization: Bearer $(harmont token)\" https://auth.example.com/api/v0/user",
    "",
    ...globalFlags,
  ],
  sessions: [
    "harmont sessions: list your sessions, or revoke one",
    "",
    "Usage:",
    "  harmont sessions [--json]",
    "  harmont sessions revoke <id>",
    "",
    "Examples:",
    "  harmont sessions",
    "  harmont sessions revoke ses_0123456789abcdef",
    "",
    ...globalFlags,
  ],
  orgs: [
    "harmont orgs: your organizations, with your role in each",
    "",
    "The active one of this CLI's session is marked *. The browser keeps its own.",
    "",
    "Usage:",
    "  harmont orgs [--json]",
    "",
    "Examples:",
    "  harmont orgs",
    "  harmont orgs --json | jq -r '.orgs[].slug'",
    "",
    ...globalFlags,
  ],
  switch: [
    "harmont switch: make an organization this CLI's active one",
    "",
    "Takes the org's slug, its id, or its name. Only this CLI's session changes; the token stays",
    "the same, and the browser keeps its own active org.",
    "",
    "Usage:",
    "  harmont switch <org> [--json]",
    "",
    "Examples:",
    "  harmont switch acme",
    "",
    ...globalFlags,
  ],
  open: [
    "harmont open: open the web app in your browser, signed in as this CLI's account",
    "",
    "The CLI session makes a one-time link (it works once, within 60 seconds) and opens it; the",
    "browser gets a session of its own that ends with this CLI's session. Where no browser can be",
    "opened (SSH, CI, no display), nothing is made: open the web app and sign in there, or carry a",
    "link to another machine's browser with --print-url.",
    "",
    "Usage:",
    "  harmont open [path] [--print-url] [--json]",
    "",
    "Open flags:",
    `  path                  a page of the web app, starting with "/" (default ${DEFAULT_OPEN_PATH})`,
    "  --print-url           print the one-time link instead of opening a browser; anyone who has",
    "                        it can sign in as you, so never paste it into chats or tickets",
    "",
    "Examples:",
    "  harmont open",
    "  harmont open /orgs",
    "",
    ...globalFlags,
  ],
  tokens: [
    "harmont tokens: API tokens for CI and scripts",
    "",
    "An API token acts as you until it expires or is revoked. It can read your account, but cannot",
    "make tokens, change your password or approve logins. It is shown once: store it in your CI's",
    "secrets and pass it as HARMONT_TOKEN. Making one needs a login (`harmont login`).",
    "",
    "Usage:",
    "  harmont tokens [--json]",
    "  harmont tokens create <name> [--expires <days>|never] [--json]",
    "  harmont tokens revoke <id> [--json]",
    "",
    "Tokens flags:",
    `  --expires <days>      days until it expires: 30, 90d… (default ${DEFAULT_TOKEN_EXPIRY_DAYS}d, at most the server's`,
    "                        maximum, 365d by default); never, where the server allows it",
    "",
    "Examples:",
    "  harmont tokens create \"GitHub Actions deploy\" --expires 30d > token.txt",
    "  harmont tokens",
    "  harmont tokens revoke tok_0123456789abcdef",
    "",
    ...globalFlags,
  ],
};
helps.whoami = helps.status!;

/** The help text of a command (or of `harmont` itself). */
export function helpText(command = "main"): string {
  return `${(helps[command] ?? helps.main!).join("\n")}\n`;
}

/**
 * The "Usage:" lines of a command's help (for `harmont` itself, also the list of commands): what
 * a usage error shows under its one-line message.
 */
export function usageText(command = "main"): string {
  const lines = helps[command] ?? helps.main!;
  const section = (heading: string) => {
    const start = lines.indexOf(heading);
    if (start === -1) return [];
    const end = lines.indexOf("", start);
    return lines.slice(start, end === -1 ? undefined : end);
  };
  const usage = section("Usage:");
  return `${(lines === helps.main ? [...usage, ...section("Commands:")] : usage).join("\n")}\n`;
}

const commands = ["login", "logout", "status", "whoami", "token", "sessions", "tokens", "orgs", "switch", "open", "help"];
const subcommands = { sessions: ["revoke"], tokens: ["list", "create", "revoke"] } as const;
type CommandWithSubcommands = keyof typeof subcommands;

/** The long flags a command accepts, without their dashes: the global ones, and a command's own (`login`, `tokens`). */
function flagsOf(command: string | undefined): string[] {
  return Object.keys(options).filter(
    (name) =>
      command === undefined ||
      (command === "login" || !(loginOnly as readonly string[]).includes(name)) &&
      (command === "tokens" || !(tokensOnly as readonly string[]).includes(name)) &&
      (command === "open" || !(openOnly as readonly string[]).includes(name)),
  );
}

/** The one-line message for a mistake on the command line, with a suggestion when one is close. */
export function describeArgumentProblem(problem: ArgumentProblem, command: string | undefined): string {
  switch (problem.kind) {
    case "unknown_flag": {
      // A short flag is one letter: any other letter would be "close", so none is suggested.
      const suggestion = problem.flag.startsWith("--")
        ? didYouMean(closestMatches(problem.flag.slice(2), flagsOf(command)).map((name) => `--${name}`))
        : null;
      return `unknown flag "${problem.flag}"${suggestion ? `: ${suggestion}` : ""}`;
    }
    case "missing_value":
      return `${problem.flag} needs a value (${problem.flag} <value>, or ${problem.flag}=<value> for one that starts with "-")`;
    case "unexpected_value":
      return `${problem.flag} takes no value`;
  }
}

/** The message for a command name that is not one, with the closest real one when there is. */
export function describeUnknownCommand(typed: string, parent?: CommandWithSubcommands): string {
  const suggestion = didYouMean(closestMatches(typed, parent ? [...subcommands[parent]] : commands.filter((command) => command !== "help")));
  return `unknown ${parent ? `${parent} ` : ""}command "${typed}"${suggestion ? `: ${suggestion}` : ""}`;
}

export interface RunOptions {
  /** Aborted on Ctrl-C; the running command then stops and resolves 130. */
  signal?: AbortSignal;
  /** Called on Ctrl-C at a prompt (where the terminal sends no signal). */
  interrupt?: () => void;
}

/** Runs `harmont` with these arguments and resolves its exit code. */
export async function runCli(argv: string[], io: Io, runOptions: RunOptions = {}): Promise<ExitCodeValue> {
  const { values, positionals, problem } = parseArguments(argv, options);
  const print = new Printer(io, values["no-color"] === true);
  const [command, ...rest] = positionals;
  const known = command !== undefined && commands.includes(command) ? command : undefined;
  // A usage error: one line saying what is wrong, then how the command is used.
  const usage = (message: string) => {
    const helpCommand = known === undefined || known === "help" ? "harmont --help" : `harmont ${known} --help`;
    print.error(message);
    print.note(`${usageText(known === "help" ? "main" : known).trimEnd()}\nRun \`${helpCommand}\` for every flag and example.`);
    return ExitCode.usage;
  };

  // The command first: the flags it accepts depend on which it is.
  if (command !== undefined && known === undefined) return usage(describeUnknownCommand(command));
  if (problem) return usage(describeArgumentProblem(problem, known));
  if (values.version && command === undefined) {
    print.result(`harmont ${version}`);
    return ExitCode.ok;
  }
  if (command === "help") {
    print.result(helpText(rest[0]).trimEnd());
    return ExitCode.ok;
  }
  if (values.help || command === undefined) {
    print.result(helpText(command).trimEnd());
    return ExitCode.ok;
  }
  if (command !== "login") {
    const misplaced = loginOnly.find((name) => values[name] !== undefined);
    if (misplaced) return usage(`--${misplaced} belongs to \`harmont login\``);
  }
  if (command !== "tokens" || rest[0] !== "create") {
    const misplaced = tokensOnly.find((name) => values[name] !== undefined);
    if (misplaced) return usage(`--${misplaced} belongs to \`harmont tokens create\``);
  }
  if (command !== "open" && values["print-url"] !== undefined) return usage("--print-url belongs to `harmont open`");
  if (command === "sessions") {
    if (rest.length > 0 && !(rest[0] === "revoke" && rest.length === 2)) {
      if (rest[0] === "revoke") return usage(rest.length === 1 ? "`harmont sessions revoke` needs the id of a session" : `unexpected argument "${rest[2]}"`);
      return usage(describeUnknownCommand(rest[0]!, "sessions"));
    }
  } else if (command === "tokens") {
    const [subcommand, argument, extra] = rest;
    if (subcommand !== undefined && !(subcommands.tokens as readonly string[]).includes(subcommand)) return usage(describeUnknownCommand(subcommand, "tokens"));
    if (subcommand === "create" && argument === undefined) return usage("`harmont tokens create` needs a name: what the token is for");
    if (subcommand === "revoke" && argument === undefined) return usage("`harmont tokens revoke` needs the id of a token");
    if (subcommand === "list" && argument !== undefined) return usage(`unexpected argument "${argument}"`);
    if (extra !== undefined) return usage(`unexpected argument "${extra}"${subcommand === "create" ? ' (quote a name with spaces: "GitHub Actions deploy")' : ""}`);
  } else if (command === "switch") {
    if (rest.length === 0) return usage("`harmont switch` needs an organization: its slug, id or name (see `harmont orgs`)");
    if (rest.length > 1) return usage(`unexpected argument "${rest[1]}" (quote a name with spaces)`);
  } else if (command === "open") {
    if (rest.length > 1) return usage(`unexpected argument "${rest[1]}"`);
    if (rest[0] !== undefined && !isWebAppPath(rest[0])) return usage(`the path must be a page of the web app, starting with "/" (got "${rest[0]}")`);
  } else if (rest.length > 0) {
    return usage(`unexpected argument "${rest[0]}"`);
  }

  const profile = values.profile ?? "default";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile)) return usage(`--profile must be letters, digits, ".", "_" or "-" (got "${profile}")`);

  const keychainOff = ["off", "0", "false", "no"].includes(io.env.HARMONT_KEYCHAIN?.trim().toLowerCase() ?? "");
  const store = createCredentialStore({
    env: io.env,
    ...(keychainOff ? { keychain: { skip: "turned off by HARMONT_KEYCHAIN" } } : {}),
  });

  const environmentApiUrl = io.env.HARMONT_API_URL?.trim() || undefined;
  const apiUrlText = values["api-url"] ?? environmentApiUrl;
  let apiUrl: string | null;
  if (apiUrlText !== undefined) {
    apiUrl = normalizeApiUrl(apiUrlText);
    if (apiUrl === null) return usage(`the API URL must be an http(s) URL (got "${apiUrlText}")`);
  } else {
    try {
      apiUrl = (await store.rememberedApiUrl(profile)) ?? DEFAULT_API_URL;
    } catch (error) {
      if (!(error instanceof CredentialStoreError)) throw error;
      print.error(error.message);
      return ExitCode.failure;
    }
  }

  let timeoutMs = DEFAULT_LOGIN_TIMEOUT_MS;
  if (values.timeout !== undefined) {
    const parsedTimeout = parseDuration(values.timeout);
    if (parsedTimeout === null) return usage(`--timeout must be a duration like 90s or 5m (got "${values.timeout}")`);
    // A login link that stays approvable for hours is a phishing tool: keep the window short.
    if (parsedTimeout > MAX_LOGIN_TIMEOUT_MS) return usage(`--timeout may be at most 30m (got "${values.timeout}")`);
    timeoutMs = parsedTimeout;
  }
  let tokenExpiryDays: number | null = DEFAULT_TOKEN_EXPIRY_DAYS;
  if (values.expires !== undefined) {
    const parsedExpiry = parseTokenExpiry(values.expires);
    if (parsedExpiry === undefined) return usage(`--expires must be a number of days like 30 or 90d, or never (got "${values.expires}")`);
    tokenExpiryDays = parsedExpiry;
  }
  const ways = [values.browser, values.paste, values.device, values["with-token"]].filter(Boolean).length;
  if (ways > 1) return usage("choose one of --browser, --paste, --device and --with-token");

  // A hint repeats --api-url only when leaving it out would reach another server: not when
  // HARMONT_API_URL (still set in the same shell) or the profile's memory picks the same one.
  let hintApiUrl: string | null = null;
  if (values["api-url"] !== undefined) {
    const withoutFlag =
      (environmentApiUrl !== undefined ? normalizeApiUrl(environmentApiUrl) : null) ??
      (await store.rememberedApiUrl(profile).catch(() => null)) ??
      DEFAULT_API_URL;
    if (withoutFlag !== apiUrl) hintApiUrl = apiUrl;
  }
  const target: HintTarget = {
    profile: profile === "default" ? null : profile,
    apiUrl: hintApiUrl,
    webUrl: values["web-url"] ?? null,
  };

  const commandSignal = runOptions.signal ?? new AbortController().signal;
  const context: Context = {
    io,
    print,
    apiUrl,
    profile,
    key: { profile, apiUrl },
    target,
    json: values.json === true,
    store,
    version,
    signal: commandSignal,
    interrupt: runOptions.interrupt ?? (() => {}),
    client: createContextClient(apiUrl, version, io.platform, commandSignal),
  };

  switch (command) {
    case "login":
      return runLogin(context, {
        paste: values.paste === true,
        browser: values.browser === true,
        device: values.device === true,
        withToken: values["with-token"] === true,
        webUrl: values["web-url"],
        timeoutMs,
      });
    case "logout":
      return runLogout(context);
    case "status":
    case "whoami":
      return runStatus(context);
    case "token":
      return runToken(context);
    case "sessions":
      return rest[0] === "revoke" ? runSessionsRevoke(context, rest[1]!) : runSessionsList(context);
    case "orgs":
      return runOrgs(context);
    case "switch":
      return runSwitch(context, rest[0]!);
    case "open":
      return runOpen(context, { path: rest[0] ?? DEFAULT_OPEN_PATH, printUrl: values["print-url"] === true });
    case "tokens":
      if (rest[0] === "create") return runTokensCreate(context, rest[1]!, tokenExpiryDays);
      if (rest[0] === "revoke") return runTokensRevoke(context, rest[1]!);
      return runTokensList(context);
    default:
      return usage(`unknown command "${command}"`);
  }
}
