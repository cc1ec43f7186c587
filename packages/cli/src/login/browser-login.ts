/**
 * The browser handoff: the CLI makes a nonce, prints the URL and the verification phrase, opens
 * the browser, and polls `cliClaim` until the person approves, denies, or the window ends. The
 * loopback callback only makes the claim happen sooner; polling alone is enough, so the browser
 * may be on another machine or unable to reach 127.0.0.1. The callback is answered with how the
 * login ended, so a browser that reaches it never says more than the terminal knows.
 *
 * @see docs/guides/embedding-cli-login.md in the Harmont repository.
 */
import { randomBytes } from "node:crypto";
import { cliClaim, generateNonce, verificationPhrase, type Client } from "@harmont/cloud";
import { outcomeOf } from "../http.js";
import { startLoopbackListener, type LoopbackListener } from "./loopback.js";
import { systemOpener, type BrowserOpener } from "./opener.js";
import { buildBrowserLoginUrl, defaultSessionName } from "./urls.js";
import { Wakeable, backoffDelay } from "./waiting.js";

/** Five minutes: long enough to sign in on the web, short enough that a stray link dies soon. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

const DEFAULT_CALLBACK_GRACE_MS = 2000;

export interface BrowserLoginOptions {
  /** A client for the Harmont API (`createHarmontClient({ baseUrl })`); no token needed. */
  client: Client;
  /** Where the web app lives; the browser is sent to `<webUrl>/cli-login?…`. */
  webUrl: string;
  /** The new session's name, shown in the web app. Default `"harmont CLI on <hostname>"`. */
  sessionName?: string;
  /** How to open the browser. Default: the system's opener (the `open` package). */
  open?: BrowserOpener;
  /** Give up after this long. Default 5 minutes. */
  timeoutMs?: number;
  /** Time between claims while nothing has happened. Default 1 s. */
  pollIntervalMs?: number;
  /** Whether to start the loopback listener. Default `true`. */
  loopback?: boolean;
  /**
   * After a poll wins the claim, how long to keep the listener open for the browser's callback,
   * which may still be on its way (a page that sends the whole tab there would otherwise land on
   * "connection refused"). Default 2 s.
   */
  callbackGraceMs?: number;
  /** Stops the login (it then resolves `{ ok: false, reason: "aborted" }`). */
  signal?: AbortSignal;
  /** Progress, for a spinner or a log. Called synchronously; must not throw. */
  onEvent?: (event: BrowserLoginEvent) => void;
}

export type BrowserLoginEvent =
  /** Print these before anything else: the page to open (by hand if need be) and the phrase it shows. */
  | { type: "started"; url: string; phrase: string; nonce: string; port: number | null; deadline: number }
  | { type: "browser_opened" }
  | { type: "callback_received" }
  | { type: "rate_limited"; retryInMs: number }
  | { type: "network_error"; error: Error; retryInMs: number }
  | { type: "server_error"; status: number; code: string; retryInMs: number };

export type BrowserLoginResult =
  | { ok: true; token: string }
  /** The person pressed Deny (the server answered 403 `cli_handoff_denied`). */
  | { ok: false; reason: "denied" }
  /** Nobody answered before the timeout. */
  | { ok: false; reason: "timed_out"; timeoutMs: number }
  /** The browser could not be opened; offer a paste code instead. */
  | { ok: false; reason: "open_failed"; detail: string; url: string }
  | { ok: false; reason: "aborted" }
  /** The server could not be reached until the window ended; `error` is the last failure. */
  | { ok: false; reason: "unreachable"; error: Error }
  /** The server refused the claim for another reason (a bug or a misconfiguration). */
  | { ok: false; reason: "failed"; status: number; code: string; message: string };

/**
 * Logs in through the browser and returns a new session token for this CLI.
 *
 * Expected endings (denied, timed out, browser not opened, aborted) are results, not exceptions.
 * Honours `Retry-After` on 429 and backs off on network and server errors.
 *
 * @example
 * ```ts
 * const result = await loginWithBrowser({ client, webUrl, onEvent: (event) => {
 *   if (event.type === "started") console.error(`Open ${event.url}\nPhrase: ${event.phrase}`);
 * } });
 * if (result.ok) await store.save(key, result.token);
 * ```
 * @see https://datatracker.ietf.org/doc/html/rfc8252#section-7.3 loopback redirects for native apps
 */
export async function loginWithBrowser(options: BrowserLoginOptions): Promise<BrowserLoginResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const intervalMs = options.pollIntervalMs ?? 1000;
  const sessionName = options.sessionName ?? defaultSessionName();
  const emit = (event: BrowserLoginEvent) => options.onEvent?.(event);
  const { signal } = options;

  const nonce = generateNonce();
  // The state proves a callback comes from the page this login opened, not from any page
  // that guessed the port.
  const state = randomBytes(32).toString("base64url");
  const phrase = await verificationPhrase(nonce);

  let listener: LoopbackListener | null = null;
  if (options.loopback ?? true) {
    try {
      // The web app's background request may read the answer; other pages only wake the login.
      listener = await startLoopbackListener({ state, webOrigin: originOf(options.webUrl) });
    } catch {
      listener = null; // no loopback here (a sandbox): polling still finishes the login
    }
  }

  const waker = new Wakeable();
  let callbackArrived = false;
  let openFailure: string | null = null;
  listener?.callback.then(() => {
    callbackArrived = true;
    emit({ type: "callback_received" });
    waker.wake();
  });

  try {
    const url = buildBrowserLoginUrl(options.webUrl, { nonce, port: listener?.port ?? null, state, name: sessionName });
    const deadline = Date.now() + timeoutMs;
    // The URL goes out before the browser is asked to open it: if opening fails or picks the
    // wrong profile, the person can still copy it.
    emit({ type: "started", url, phrase, nonce, port: listener?.port ?? null, deadline });

    const open = options.open ?? systemOpener();
    void open(url).then(
      (result) => {
        if (result.ok) emit({ type: "browser_opened" });
        else {
          openFailure = result.reason;
          waker.wake();
        }
      },
      (error: unknown) => {
        openFailure = error instanceof Error ? error.message : String(error);
        waker.wake();
      },
    );

    let failures = 0;
    let delay = 0;
    // Set while the server cannot be reached, cleared by any answer from it.
    let unreachableBecause: Error | null = null;
    for (;;) {
      await waker.wait(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
      if (signal?.aborted) return { ok: false, reason: "aborted" };
      if (openFailure !== null && !callbackArrived) return { ok: false, reason: "open_failed", detail: openFailure, url };

      const outcome = await outcomeOf(
        cliClaim({ client: options.client, body: { nonce, name: sessionName }, ...(signal ? { signal } : {}) }),
      );
      if (signal?.aborted) return { ok: false, reason: "aborted" };
      if (outcome.kind === "ok") {
        listener?.finish("signed_in");
        if (listener && !callbackArrived && openFailure === null) {
          await waitForLateCallback(listener, options.callbackGraceMs ?? DEFAULT_CALLBACK_GRACE_MS, signal);
        }
        return { ok: true, token: outcome.data.token };
      }

      let retryInMs = intervalMs;
      unreachableBecause = outcome.kind === "network" ? outcome.error : null;
      if (outcome.kind === "network") {
        retryInMs = backoffDelay(++failures, intervalMs);
        if (Date.now() + retryInMs < deadline) emit({ type: "network_error", error: outcome.error, retryInMs });
      } else if (outcome.code === "cli_code_invalid") {
        failures = 0; // not yet approved
      } else if (outcome.code === "cli_handoff_denied") {
        return { ok: false, reason: "denied" };
      } else if (outcome.status === 429) {
        failures++;
        retryInMs = Math.max(intervalMs, outcome.retryAfterMs ?? backoffDelay(failures, intervalMs));
        emit({ type: "rate_limited", retryInMs });
      } else if (outcome.status >= 500) {
        retryInMs = backoffDelay(++failures, intervalMs);
        emit({ type: "server_error", status: outcome.status, code: outcome.code, retryInMs });
      } else {
        return { ok: false, reason: "failed", status: outcome.status, code: outcome.code, message: outcome.message };
      }
      if (Date.now() >= deadline) {
        return unreachableBecause ? { ok: false, reason: "unreachable", error: unreachableBecause } : { ok: false, reason: "timed_out", timeoutMs };
      }
      delay = retryInMs;
    }
  } finally {
    // Every other ending: a callback still waiting hears that the terminal is not signed in.
    listener?.finish("not_signed_in");
    await listener?.close();
  }
}

function originOf(webUrl: string): string | undefined {
  try {
    return new URL(webUrl).origin;
  } catch {
    return undefined;
  }
}

/** Waits for the browser's callback, at most `graceMs`; a tab sent there then shows "Your terminal is signed in". */
async function waitForLateCallback(listener: LoopbackListener, graceMs: number, signal: AbortSignal | undefined): Promise<void> {
  const grace = new Wakeable();
  void listener.callback.then(() => grace.wake());
  await grace.wait(graceMs, signal);
}
