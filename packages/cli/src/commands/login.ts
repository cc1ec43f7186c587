/**
 * `harmont login`: picks the way to log in (paste code, browser handoff, or a token from stdin),
 * or uses the device code when asked (`--device`), falls back by itself when a browser cannot be
 * opened, never waits for a terminal that is not there, and stores the new token.
 */
import { getMeta, getSession, logout, type CurrentSession } from "@harmont/cloud";
import { reportUnreachable, type Context } from "../context.js";
import { formatDuration } from "../duration.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { commandHint } from "../hints.js";
import { describeNetworkError, describeServerAnswer, outcomeOf } from "../http.js";
import { targetOf, type DeviceCodeJson, type LoginJson } from "../json-output.js";
import { loginWithBrowser, type BrowserLoginEvent } from "../login/browser-login.js";
import { loginWithDeviceCode, type DeviceLoginEvent } from "../login/device-login.js";
import { detectBrowserSupport } from "../login/environment.js";
import { commandOpener, systemOpener } from "../login/opener.js";
import { loginWithPasteCode, type PasteLoginEvent } from "../login/paste-login.js";
import { buildPasteUrl, defaultSessionName, normalizeApiUrl } from "../login/urls.js";
import { LineReader } from "../terminal/line-reader.js";
import { loginHint } from "./session-check.js";

export interface LoginFlags {
  paste: boolean;
  browser: boolean;
  device: boolean;
  withToken: boolean;
  webUrl: string | undefined;
  timeoutMs: number;
}

/** How a way of logging in ended: with a token, or with the exit code to give. */
type Finished = { token: string } | { exit: ExitCodeValue };

export async function runLogin(context: Context, flags: LoginFlags): Promise<ExitCodeValue> {
  const { env, stdin } = context.io;
  if (flags.withToken) return loginWithTokenFromStdin(context);

  const environmentToken = context.store.environmentToken();
  if (environmentToken) {
    context.print.warn(`${environmentToken.location} is set: commands keep using it, not the login stored now, until you unset it`);
  }
  if (flags.device) {
    // Nothing to type and no browser to open: works the same with or without a terminal.
    const finished = await deviceStep(context, defaultSessionName(), flags.timeoutMs);
    return "exit" in finished ? finished.exit : finishLogin(context, finished.token);
  }

  const interactive = stdin.isTTY === true;
  let path: "browser" | "paste";
  let pasteReason: string | null = null;
  if (flags.paste) path = "paste";
  else if (flags.browser || env.HARMONT_BROWSER?.trim()) path = "browser";
  else {
    const support = detectBrowserSupport(env, context.io.platform);
    path = support.browser ? "browser" : "paste";
    if (!support.browser) pasteReason = support.reason;
  }
  // Without a terminal, a paste code can only come from stdin when asked for with --paste.
  // Anything else would wait for a person who is not there: stop now and say what works.
  if (path === "paste" && !interactive && !flags.paste) return needsTerminal(context, pasteReason ?? "no browser can be opened");

  const meta = await outcomeOf(getMeta({ client: context.client(), signal: context.signal }));
  if (meta.kind === "network") {
    if (context.signal.aborted) return ExitCode.interrupted;
    return reportUnreachable(context, meta.error);
  }
  const webUrlText = flags.webUrl ?? (env.HARMONT_WEB_URL?.trim() || undefined) ?? (meta.kind === "ok" ? meta.data.web_url : null) ?? new URL(context.apiUrl).origin;
  const webUrl = normalizeApiUrl(webUrlText);
  if (webUrl === null) {
    context.print.error(`the web app URL "${webUrlText}" is not an http(s) URL (set it with --web-url or HARMONT_WEB_URL)`);
    return ExitCode.usage;
  }
  const sessionName = defaultSessionName();

  let finished: Finished;
  if (path === "browser") {
    const step = await browserStep(context, webUrl, sessionName, flags.timeoutMs);
    if ("openFailed" in step) {
      if (!interactive) {
        context.print.error(`could not open a browser (${step.openFailed})`);
        return needsTerminal(context, "the browser could not be opened");
      }
      context.print.note(`Could not open a browser (${step.openFailed}): log in with a paste code instead (the link above no longer finishes this login).`);
      finished = await pasteStep(context, webUrl, sessionName, null);
    } else {
      finished = step;
    }
  } else {
    finished = await pasteStep(context, webUrl, sessionName, pasteReason);
  }
  if ("exit" in finished) return finished.exit;
  return finishLogin(context, finished.token);
}

function needsTerminal(context: Context, reason: string): ExitCodeValue {
  context.print.error(
    `cannot finish the login here: ${reason}, and there is no terminal to type a code into.\n` +
      `  In CI, pass a token: ${commandHint(context.target, "login --with-token", { after: " < token.txt" })}, or set HARMONT_TOKEN.\n` +
      `  In a script, pipe a paste code in: ${commandHint(context.target, "login --paste", { before: "echo CODE | " })}.\n` +
      `  Or approve from a browser on any device: ${commandHint(context.target, "login --device")} shows a code to enter there.`,
  );
  return ExitCode.needsTerminal;
}

/** What every login flow says while it retries: the server unreachable, slowing us down, or failing. */
type RetryEvent =
  | { type: "network_error"; error: Error; retryInMs: number }
  | { type: "rate_limited"; retryInMs: number }
  | { type: "server_error"; status: number; code: string; retryInMs: number };

function warnRetrying(context: Context, event: RetryEvent): void {
  const again = `trying again in ${formatDuration(event.retryInMs)}`;
  if (event.type === "network_error") context.print.warn(`cannot reach ${context.apiUrl} (${describeNetworkError(event.error)}); ${again}`);
  else if (event.type === "rate_limited") context.print.warn(`the server asked to slow down; ${again}`);
  else context.print.warn(`the server answered ${event.status} ${event.code}; ${again}`);
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

/**
 * Starts the spinner for a wait that ends at `deadline`: on a terminal with the time left, updated
 * every second; elsewhere one line with the whole wait. Clear the returned timer when it ends.
 */
function startCountdown(context: Context, waitingFor: string, deadline: number): NodeJS.Timeout {
  const { print } = context;
  const waitingText = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    return `${waitingFor}… ${Math.floor(left / 60)}:${twoDigits(left % 60)} left (Ctrl-C to cancel)`;
  };
  print.spinner.start(context.io.stderr.isTTY ? waitingText() : `${waitingFor} (up to ${formatDuration(Math.max(0, deadline - Date.now()))})…`);
  const countdown = setInterval(() => print.spinner.update(waitingText()), 1000);
  countdown.unref();
  return countdown;
}

async function browserStep(context: Context, webUrl: string, sessionName: string, timeoutMs: number): Promise<Finished | { openFailed: string }> {
  const { print } = context;
  const command = context.io.env.HARMONT_BROWSER?.trim();
  const open = command ? commandOpener(command) : systemOpener();
  let deadline = Date.now() + timeoutMs;
  let countdown: NodeJS.Timeout | null = null;

  const onEvent = (event: BrowserLoginEvent) => {
    switch (event.type) {
      case "started":
        deadline = event.deadline;
        print.note(`Opening ${print.err.bold(webUrl)} in your browser. If it does not open, visit:`);
        print.note("");
        print.note(`  ${event.url}`);
        print.note("");
        print.note(`Verification phrase: ${print.err.bold(event.phrase)}`);
        print.note("Continue in the browser only if it shows the same phrase.");
        print.note("");
        if (print.spinner.running) break;
        countdown = startCountdown(context, "Waiting for you to authorize in the browser", deadline);
        break;
      case "callback_received":
        print.spinner.update("The browser is back: finishing the login…");
        if (countdown) clearInterval(countdown);
        break;
      case "network_error":
      case "rate_limited":
      case "server_error":
        warnRetrying(context, event);
        break;
      case "browser_opened":
        break;
    }
  };

  let result;
  try {
    result = await loginWithBrowser({ client: context.client(), webUrl, sessionName, open, timeoutMs, signal: context.signal, onEvent });
  } finally {
    if (countdown) clearInterval(countdown);
    print.spinner.stop();
  }
  if (result.ok) return { token: result.token };
  switch (result.reason) {
    case "open_failed":
      return { openFailed: result.detail };
    case "denied":
      print.error(`the login was denied in the browser. Run ${loginHint(context)} to start again.`);
      return { exit: ExitCode.denied };
    case "timed_out":
      print.error(
        `the login timed out after ${formatDuration(result.timeoutMs)} with no answer from the browser: run ${loginHint(context)} again ` +
          `(or ${commandHint(context.target, "login --paste")} or ${commandHint(context.target, "login --device")} if your browser is on another machine).`,
      );
      return { exit: ExitCode.timedOut };
    case "aborted":
    case "unreachable":
    case "failed":
      return endedWithoutAnswer(context, result, "login");
  }
}

async function pasteStep(context: Context, webUrl: string, sessionName: string, reason: string | null): Promise<Finished> {
  const { print, io } = context;
  const interactive = io.stdin.isTTY === true;
  const pasteUrl = buildPasteUrl(webUrl);
  if (reason) print.note(`Logging in with a paste code: ${reason}. (Or ${commandHint(context.target, "login --device")}: approve in a browser on any device, nothing to type here.)`);
  print.note("Open this page in a browser on any device, sign in, and copy the code it shows:");
  print.note("");
  print.note(`  ${pasteUrl}`);
  print.note("");
  if (!interactive) print.note("Reading the code from standard input.");

  const reader = new LineReader(io.stdin, interactive ? io.stderr : null, context.interrupt);
  const onAbort = () => reader.close();
  context.signal.addEventListener("abort", onAbort, { once: true });
  let refusedCodes = 0;
  const onEvent = (event: PasteLoginEvent) => {
    if (event.type === "invalid_code") {
      refusedCodes++;
      const tries = event.attemptsLeft === 1 ? "1 try" : `${event.attemptsLeft} tries`;
      if (event.attemptsLeft > 0) print.note(`${print.err.red("✗")} That code did not work (mistyped, used or expired): ${tries} left.`);
    } else if (event.type === "network_error" || event.type === "rate_limited") {
      warnRetrying(context, event);
    }
  };

  let result;
  try {
    result = await loginWithPasteCode({
      client: context.client(),
      sessionName,
      signal: context.signal,
      onEvent,
      readCode: (attempt) => reader.read(attempt.number === 1 ? "Code: " : `Code (try ${attempt.number} of ${attempt.of}): `),
    });
  } finally {
    context.signal.removeEventListener("abort", onAbort);
    reader.close();
  }
  if (result.ok) return { token: result.token };
  switch (result.reason) {
    case "invalid_code":
      print.error(`no code worked after ${result.attempts} tries: get a new one at ${pasteUrl} and run ${commandHint(context.target, "login --paste")} again`);
      return { exit: ExitCode.failure };
    case "no_input":
      if (context.signal.aborted) {
        print.note("Login cancelled.");
        return { exit: ExitCode.interrupted };
      }
      if (interactive) {
        print.error("no code was entered");
        return { exit: ExitCode.failure };
      }
      if (refusedCodes > 0) {
        // The input ran out after a refused code: that is the answer, not a missing terminal.
        print.error(`the code did not work (mistyped, used or expired): get a new one at ${pasteUrl} and run ${commandHint(context.target, "login --paste")} again`);
        return { exit: ExitCode.failure };
      }
      print.error(`no code on standard input: pipe one in, for example ${commandHint(context.target, "login --paste", { before: "echo CODE | " })}`);
      return { exit: ExitCode.needsTerminal };
    case "aborted":
    case "unreachable":
    case "failed":
      return endedWithoutAnswer(context, result, "code");
  }
}

async function deviceStep(context: Context, sessionName: string, timeoutMs: number): Promise<Finished> {
  const { print } = context;
  let countdown: NodeJS.Timeout | null = null;
  const onEvent = (event: DeviceLoginEvent) => {
    switch (event.type) {
      case "started":
        if (context.json) {
          // One line, before anything else, so that a script or an agent can relay the code at once.
          print.result(
            JSON.stringify({
              user_code: event.userCode,
              verification_uri: event.verificationUri,
              verification_uri_complete: event.verificationUriComplete,
              expires_at: new Date(event.expiresAt).toISOString(),
            } satisfies DeviceCodeJson),
          );
        }
        print.note(`Open ${print.err.bold(event.verificationUri)} on any device and enter the code ${print.err.bold(event.userCode)}`);
        if (event.verificationUriComplete) {
          print.note("or open this link, which fills the code in:");
          print.note("");
          print.note(`  ${event.verificationUriComplete}`);
        }
        print.note("");
        print.note("Approve only if the page shows this code.");
        print.note("");
        countdown = startCountdown(context, "Waiting for the approval", event.expiresAt);
        break;
      case "slow_down":
        break; // the server's pace, kept without a word
      case "network_error":
      case "rate_limited":
      case "server_error":
        warnRetrying(context, event);
        break;
    }
  };

  let result;
  try {
    result = await loginWithDeviceCode({ client: context.client(), sessionName, timeoutMs, signal: context.signal, onEvent });
  } finally {
    if (countdown) clearInterval(countdown);
    print.spinner.stop();
  }
  if (result.ok) return { token: result.token };
  const again = commandHint(context.target, "login --device");
  switch (result.reason) {
    case "denied":
      print.error(`the login was denied in the browser. Run ${again} to start again.`);
      return { exit: ExitCode.denied };
    case "expired":
    case "timed_out":
      print.error(`the code expired before it was approved: run ${again} again`);
      return { exit: ExitCode.timedOut };
    case "issuer_mismatch":
      // The metadata's issuer is the server's public URL: another one than the URL given here
      // means a proxy or a misconfiguration, and oauth4webapi rightly refuses to go on.
      print.error(
        `the server at ${context.apiUrl} names itself ${result.issuer ?? "with another URL"} in its OAuth metadata, so a device login through ` +
          `${context.apiUrl} cannot be trusted. ${result.issuer ? `Use --api-url ${result.issuer}` : "Use the server's public URL (its HARMONT_PUBLIC_URL) as --api-url"}, ` +
          `or log in another way: ${commandHint(context.target, "login --paste")}.`,
      );
      return { exit: ExitCode.failure };
    case "unsupported":
      print.error(`cannot log in with a device code here: ${result.detail}. Log in another way: ${commandHint(context.target, "login --paste")}.`);
      return { exit: ExitCode.failure };
    case "failed":
      print.error(`the device login failed: ${describeServerAnswer(result)}`);
      return { exit: ExitCode.failure };
    case "aborted":
    case "unreachable":
      return endedWithoutAnswer(context, result, "login");
  }
}

/** The endings both login flows share: cancelled, server unreachable, or a refusal nobody expected. */
function endedWithoutAnswer(
  context: Context,
  result: { reason: "aborted" } | { reason: "unreachable"; error: Error } | { reason: "failed"; status: number; code: string; message: string },
  refused: "login" | "code",
): Finished {
  switch (result.reason) {
    case "aborted":
      context.print.note("Login cancelled.");
      return { exit: ExitCode.interrupted };
    case "unreachable":
      return { exit: reportUnreachable(context, result.error) };
    case "failed":
      context.print.error(`the server refused the ${refused}: ${result.status} ${result.code}: ${result.message}`);
      return { exit: ExitCode.failure };
  }
}

async function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<string | null> {
  let text = "";
  for await (const chunk of stream) {
    text += typeof chunk === "string" ? chunk : (chunk as Buffer).toString("utf8");
    if (text.length > limit) return null;
  }
  return text;
}

async function loginWithTokenFromStdin(context: Context): Promise<ExitCodeValue> {
  const { print, io } = context;
  if (io.stdin.isTTY) {
    print.error(`--with-token reads the token from standard input: ${commandHint(context.target, "login --with-token", { after: " < token.txt" })}`);
    return ExitCode.usage;
  }
  const text = await readAll(io.stdin, 64 * 1024);
  const token = text?.trim() ?? "";
  if (text === null || token === "" || /\s/.test(token)) {
    print.error(text === null ? "standard input is too long to be a token" : "expected one token on standard input");
    return ExitCode.failure;
  }
  // Verify before storing: a mistyped or dead token is refused now, not at the next command.
  const outcome = await outcomeOf(getSession({ client: context.client(token) }));
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") {
    if (outcome.status === 401) print.error("that token is not valid: it is mistyped, revoked or expired (the server answered 401)");
    else print.error(`the server could not check the token: ${outcome.status} ${outcome.code}: ${outcome.message}`);
    return ExitCode.failure;
  }
  const environmentToken = context.store.environmentToken();
  if (environmentToken) {
    print.warn(`${environmentToken.location} is set: commands keep using it, not the login stored now, until you unset it`);
  }
  return storeAndReport(context, token, outcome.data);
}

async function finishLogin(context: Context, token: string): Promise<ExitCodeValue> {
  const outcome = await outcomeOf(getSession({ client: context.client(token) }));
  if (outcome.kind !== "ok") {
    // The token is brand new; a failure here is the network or the server, not the token.
    const code = await storeAndReport(context, token, null);
    if (code !== ExitCode.ok) return code;
    context.print.warn(
      `logged in, but could not read the account: ${outcome.kind === "network" ? describeNetworkError(outcome.error) : `${outcome.status} ${outcome.code}`}`,
    );
    return ExitCode.ok;
  }
  return storeAndReport(context, token, outcome.data);
}

async function storeAndReport(context: Context, token: string, current: CurrentSession | null): Promise<ExitCodeValue> {
  const { print } = context;
  const previous = await context.store.loadStored(context.key).catch(() => null);
  let saved;
  try {
    saved = await context.store.save(context.key, token, { expiresAt: current?.session.expires_at ?? null });
  } catch (error) {
    print.error(`could not store the token: ${(error as Error).message}`);
    // Do not leave a live session nobody holds.
    await outcomeOf(logout({ client: context.client(token) }));
    return ExitCode.failure;
  }
  if (previous && previous.token !== token) {
    // The token this login replaces is no longer kept anywhere: end its session too, rather
    // than leave it alive on the server (best effort; it expires anyway).
    const revoked = await outcomeOf(logout({ client: context.client(previous.token) }));
    if (revoked.kind === "ok") print.note("The session this login replaces was revoked on the server.");
  }
  if (saved.keychainSkipped !== null) {
    print.note(`Keychain not used: ${saved.keychainSkipped}. Token saved in ${saved.location} (mode 0600).`);
  }
  if (context.json) {
    print.json({
      logged_in: true,
      ...targetOf(context),
      user: current?.user ?? null,
      session: current?.session ?? null,
      token_source: saved.storage,
      token_location: saved.location,
    } satisfies LoginJson);
  } else {
    const who = current ? ` as ${print.out.bold(current.user.email)}` : "";
    print.result(`${print.out.green("✓")} Logged in to ${context.apiUrl}${who}`);
  }
  return ExitCode.ok;
}
