/**
 * The paste code: for when the browser is on another machine (SSH, a container, CI with a person
 * nearby) or cannot be opened. The person opens `<web>/cli-login?paste=true` anywhere, signs in,
 * and types the code it shows into the terminal; the CLI redeems it for its own session.
 */
import { cliRedeem, type Client } from "@harmont/cloud";
import { outcomeOf } from "../http.js";
import { buildPasteUrl, defaultSessionName } from "./urls.js";
import { Wakeable, backoffDelay } from "./waiting.js";

export interface PasteLoginOptions {
  /** A client for the Harmont API; no token needed. */
  client: Client;
  /** Where the web app lives; announced as `<webUrl>/cli-login?paste=true` in the `started` event. */
  webUrl?: string;
  /** The new session's name, shown in the web app. Default `"harmont CLI on <hostname>"`. */
  sessionName?: string;
  /**
   * Asks for the code. Resolve `null` when there is no more input (end of file, the person gave
   * up). Called again after a mistyped code, up to `maxAttempts` times.
   */
  readCode: (attempt: PasteAttempt) => Promise<string | null>;
  /** Tries for a mistyped code. Default 3. */
  maxAttempts?: number;
  /** Network failures tolerated for one code before giving up. Default 3. */
  maxNetworkFailures?: number;
  signal?: AbortSignal;
  onEvent?: (event: PasteLoginEvent) => void;
}

export interface PasteAttempt {
  /** 1 for the first try. */
  number: number;
  of: number;
}

export type PasteLoginEvent =
  | { type: "started"; url: string | null }
  | { type: "invalid_code"; attemptsLeft: number }
  | { type: "rate_limited"; retryInMs: number }
  | { type: "network_error"; error: Error; retryInMs: number };

export type PasteLoginResult =
  | { ok: true; token: string }
  /** Every try was a wrong, used or expired code. */
  | { ok: false; reason: "invalid_code"; attempts: number }
  /** `readCode` resolved `null` before a code worked. */
  | { ok: false; reason: "no_input" }
  | { ok: false; reason: "aborted" }
  /** The server could not be reached, even after retrying. */
  | { ok: false; reason: "unreachable"; error: Error }
  | { ok: false; reason: "failed"; status: number; code: string; message: string };

/**
 * Logs in with a paste code and returns a new session token for this CLI.
 *
 * A wrong, used or expired code (400 `cli_code_invalid`) asks again, up to `maxAttempts` times;
 * 429 waits as long as `Retry-After` says; network failures are retried with a back-off.
 * Expected endings are results, not exceptions.
 */
export async function loginWithPasteCode(options: PasteLoginOptions): Promise<PasteLoginResult> {
  const maxAttempts = options.maxAttempts ?? 3;
  const maxNetworkFailures = options.maxNetworkFailures ?? 3;
  const sessionName = options.sessionName ?? defaultSessionName();
  const emit = (event: PasteLoginEvent) => options.onEvent?.(event);
  const { signal } = options;
  const sleeper = new Wakeable();

  emit({ type: "started", url: options.webUrl ? buildPasteUrl(options.webUrl) : null });

  let attempt = 0;
  while (attempt < maxAttempts) {
    if (signal?.aborted) return { ok: false, reason: "aborted" };
    const typed = await options.readCode({ number: attempt + 1, of: maxAttempts });
    if (signal?.aborted) return { ok: false, reason: "aborted" };
    if (typed === null) return { ok: false, reason: "no_input" };
    const code = typed.trim();
    if (code === "") continue; // an extra Enter is not a try
    attempt++;

    let networkFailures = 0;
    for (;;) {
      const outcome = await outcomeOf(cliRedeem({ client: options.client, body: { code, name: sessionName }, ...(signal ? { signal } : {}) }));
      if (signal?.aborted) return { ok: false, reason: "aborted" };
      if (outcome.kind === "ok") return { ok: true, token: outcome.data.token };
      if (outcome.kind === "network") {
        if (++networkFailures >= maxNetworkFailures) return { ok: false, reason: "unreachable", error: outcome.error };
        const retryInMs = backoffDelay(networkFailures);
        emit({ type: "network_error", error: outcome.error, retryInMs });
        await sleeper.wait(retryInMs, signal);
        continue;
      }
      if (outcome.code === "cli_code_invalid") {
        emit({ type: "invalid_code", attemptsLeft: maxAttempts - attempt });
        break;
      }
      if (outcome.status === 429) {
        const retryInMs = Math.min(60_000, outcome.retryAfterMs ?? 5000);
        emit({ type: "rate_limited", retryInMs });
        await sleeper.wait(retryInMs, signal);
        continue;
      }
      return { ok: false, reason: "failed", status: outcome.status, code: outcome.code, message: outcome.message };
    }
  }
  return { ok: false, reason: "invalid_code", attempts: attempt };
}
