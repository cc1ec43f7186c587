/**
 * The device authorization grant (RFC 8628), for a terminal that cannot or should not open a
 * browser (SSH, a container, an agent): the CLI discovers the server's OAuth endpoints (RFC 8414),
 * asks for a pair of codes, shows the short user code and the page to type it into, and polls the
 * token endpoint until the person approves or denies on any signed-in browser, or the code expires.
 * Nothing is typed into the terminal, so it works without one.
 *
 * Built on `oauth4webapi`, with the Harmont client's own fetch (its time limit and Ctrl-C) and
 * headers (its User-Agent, which the approval page shows).
 *
 * @see https://datatracker.ietf.org/doc/html/rfc8628
 */
import type { Client } from "@harmont/cloud";
import * as oauth from "oauth4webapi";
import { parseRetryAfter } from "../http.js";
import { DEFAULT_LOGIN_TIMEOUT_MS } from "./browser-login.js";
import { defaultSessionName } from "./urls.js";
import { Wakeable, backoffDelay } from "./waiting.js";

/** The OAuth client id of Harmont's own CLI, registered on every server. */
export const HARMONT_CLI_CLIENT_ID = "harmont-cli";

/** RFC 8628 §3.5: what `slow_down` adds to the interval, for the rest of the login. */
const SLOW_DOWN_STEP_MS = 5000;
/** RFC 8628 §3.2: the interval when the server names none. */
const DEFAULT_INTERVAL_MS = 5000;
/** The longest back-off after failures in a row (the interval itself when it is longer). */
const MAX_BACKOFF_MS = 15_000;

export interface DeviceLoginOptions {
  /**
   * A client for the Harmont API (`createHarmontClient({ baseUrl })`); no token needed. Its base URL
   * is the issuer whose metadata is discovered, and its fetch and headers make every request.
   */
  client: Client;
  /** The new session's name, shown on the approval page. Default `"harmont CLI on <hostname>"`. */
  sessionName?: string;
  /**
   * Give up after this long. Default 5 minutes. A shorter time is sent to the server too
   * (`expires_in`), so the code dies when the login stops waiting for it.
   */
  timeoutMs?: number;
  /** The OAuth client id. Default `harmont-cli`; another tool uses the one the server's operator registered for it. */
  clientId?: string;
  /** Stops the login (it then resolves `{ ok: false, reason: "aborted" }`). */
  signal?: AbortSignal;
  /** Progress, for a spinner or a log. Called synchronously; must not throw. */
  onEvent?: (event: DeviceLoginEvent) => void;
}

export type DeviceLoginEvent =
  /**
   * Show these to the person: the page to open on any device, the code to enter there, and the
   * link that fills the code in. `expiresAt` is when the code stops working for this login (the
   * earlier of the server's expiry and the timeout), in milliseconds since the epoch.
   */
  | { type: "started"; userCode: string; verificationUri: string; verificationUriComplete: string | null; expiresAt: number; intervalMs: number }
  /** The server asked for slower polling: the interval is now `intervalMs`, for good. */
  | { type: "slow_down"; intervalMs: number }
  | { type: "rate_limited"; retryInMs: number }
  | { type: "network_error"; error: Error; retryInMs: number }
  | { type: "server_error"; status: number; code: string; retryInMs: number };

export type DeviceLoginResult =
  | { ok: true; token: string }
  /** The person pressed Deny (`access_denied`). */
  | { ok: false; reason: "denied" }
  /** The server says the code expired before it was approved (`expired_token`). */
  | { ok: false; reason: "expired" }
  /** Nobody approved before the timeout. */
  | { ok: false; reason: "timed_out"; timeoutMs: number }
  | { ok: false; reason: "aborted" }
  /** The server could not be reached (at the start, or until the code expired); `error` is the last failure. */
  | { ok: false; reason: "unreachable"; error: Error }
  /**
   * The server's metadata names another issuer than the URL the client was given (its public URL
   * is another one): the login cannot be trusted to be this server's, so it stops.
   */
  | { ok: false; reason: "issuer_mismatch"; expected: string; issuer: string | null }
  /** The server does not offer the device grant here (no metadata, no device endpoint, plain http to another host). */
  | { ok: false; reason: "unsupported"; detail: string }
  /** The server refused (`invalid_grant`, `invalid_client`, another error): a bug or a misconfiguration. */
  | { ok: false; reason: "failed"; status: number; code: string; message: string };

/** The hosts where plain http stays on this machine. */
const loopbackHosts = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** How one request went: the value, or an answer that is not one. */
type Attempt<Value> =
  | { kind: "ok"; value: Value }
  | { kind: "network"; error: Error }
  /** An answer from the server that is not the value: an OAuth error, or an HTTP status without one. */
  | { kind: "refused"; status: number; code: string; message: string; retryAfterMs: number | null }
  /** An answer that is not OAuth at all (not JSON, a missing field), or one that fails a check (`code` says which). */
  | { kind: "malformed"; code: string | undefined; detail: string };

/** Runs one oauth4webapi request and its processing, and sorts what can go wrong. */
async function attempt<Value>(run: () => Promise<Value>): Promise<Attempt<Value>> {
  try {
    return { kind: "ok", value: await run() };
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      return {
        kind: "refused",
        status: error.status,
        code: error.error,
        message: error.error_description ?? error.error,
        retryAfterMs: parseRetryAfter(error.response.headers.get("retry-after")),
      };
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      return { kind: "refused", status: error.status, code: "invalid_client", message: error.message, retryAfterMs: null };
    }
    if (error instanceof oauth.OperationProcessingError) {
      // A status oauth4webapi reads no OAuth error from: a 5xx (whose body may still name one),
      // a proxy's 502 page, a 404.
      const response = error.cause instanceof Response ? error.cause : null;
      if (response && !response.ok) {
        const named = await oauthErrorIn(response);
        return {
          kind: "refused",
          status: response.status,
          code: named?.error ?? `http_${response.status}`,
          message: named?.description ?? `HTTP ${response.status} ${response.statusText}`.trim(),
          retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
        };
      }
      return { kind: "malformed", code: error.code, detail: error.message };
    }
    // oauth4webapi's own argument checks: a bug here, not something to retry.
    if (error instanceof TypeError && /^ERR_INVALID_ARG_/.test(String((error as { code?: unknown }).code))) throw error;
    // fetch failed, the request's time limit, an abort.
    return { kind: "network", error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** The client's headers for oauth4webapi (its User-Agent), without those a public client must not send. */
function headersOf(client: Client): Headers {
  const headers = new Headers();
  const given = client.getConfig().headers;
  const entries: Array<[string, unknown]> =
    given instanceof Headers ? [...given.entries()] : Array.isArray(given) ? (given as Array<[string, unknown]>) : Object.entries(given ?? {});
  for (const [name, value] of entries) {
    if (["authorization", "content-type", "accept"].includes(name.toLowerCase())) continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") headers.set(name, String(value));
  }
  return headers;
}

/**
 * Logs in with a device code and returns a new session token for this CLI.
 *
 * Polls as RFC 8628 says: `interval` seconds before each poll, 5 s more for good after each
 * `slow_down`; 429 waits as long as `Retry-After` says; network and server errors back off.
 * Expected endings (denied, expired, timed out, aborted) are results, not exceptions.
 *
 * @example
 * ```ts
 * const result = await loginWithDeviceCode({ client, onEvent: (event) => {
 *   if (event.type === "started") console.error(`Open ${event.verificationUri} and enter ${event.userCode}`);
 * } });
 * if (result.ok) await store.save(key, result.token);
 * ```
 */
export async function loginWithDeviceCode(options: DeviceLoginOptions): Promise<DeviceLoginResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const sessionName = options.sessionName ?? defaultSessionName();
  const emit = (event: DeviceLoginEvent) => options.onEvent?.(event);
  const { signal } = options;
  const startedAt = Date.now();

  const config = options.client.getConfig();
  let issuer: URL;
  try {
    issuer = new URL(config.baseUrl ?? "");
  } catch {
    return { ok: false, reason: "unsupported", detail: `the client's base URL "${config.baseUrl ?? ""}" is not a URL` };
  }
  const insecure = issuer.protocol === "http:";
  if (insecure && !loopbackHosts.has(issuer.hostname)) {
    return { ok: false, reason: "unsupported", detail: `the device login needs https (or http to this machine), and ${issuer.origin} is plain http` };
  }
  const fetchImpl = config.fetch ?? globalThis.fetch;
  const requestOptions = {
    headers: headersOf(options.client),
    [oauth.customFetch]: (url: string, init: oauth.CustomFetchOptions<string, unknown>) => fetchImpl(url, init as RequestInit),
    ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(signal ? { signal } : {}),
  };
  const client: oauth.Client = { client_id: options.clientId ?? HARMONT_CLI_CLIENT_ID };
  const none = oauth.None();
  const aborted = { ok: false, reason: "aborted" } as const;

  // Discovery: the endpoints, from the server that is at the URL the person gave.
  let claimedIssuer: string | null = null;
  const discovered = await attempt(async () => {
    const response = await oauth.discoveryRequest(issuer, { ...requestOptions, algorithm: "oauth2" });
    // Read the issuer it names first, so that a mismatch can say which URL that is.
    if (response.ok) claimedIssuer = await issuerNamedIn(response.clone());
    return oauth.processDiscoveryResponse(issuer, response);
  });
  if (signal?.aborted) return aborted;
  if (discovered.kind === "network") return { ok: false, reason: "unreachable", error: discovered.error };
  if (discovered.kind === "refused") {
    if (discovered.status === 404) return { ok: false, reason: "unsupported", detail: "the server publishes no OAuth metadata (it may be older than this CLI)" };
    return { ok: false, reason: "failed", status: discovered.status, code: discovered.code, message: discovered.message };
  }
  if (discovered.kind === "malformed") {
    if (discovered.code === oauth.JSON_ATTRIBUTE_COMPARISON) return { ok: false, reason: "issuer_mismatch", expected: issuer.href.replace(/\/+$/, ""), issuer: claimedIssuer };
    return { ok: false, reason: "unsupported", detail: `the server's OAuth metadata is not usable: ${discovered.detail}` };
  }
  const as = discovered.value;
  if (typeof as.device_authorization_endpoint !== "string" || typeof as.token_endpoint !== "string") {
    return { ok: false, reason: "unsupported", detail: "the server does not offer the device login (its OAuth metadata names no device_authorization_endpoint)" };
  }

  // The codes. A timeout shorter than the server's usual life asks for codes that live no longer.
  const parameters: Record<string, string> = { name: sessionName };
  if (timeoutMs < DEFAULT_LOGIN_TIMEOUT_MS) parameters.expires_in = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  const authorized = await attempt(async () =>
    oauth.processDeviceAuthorizationResponse(as, client, await oauth.deviceAuthorizationRequest(as, client, none, parameters, requestOptions)),
  );
  if (signal?.aborted) return aborted;
  if (authorized.kind === "network") return { ok: false, reason: "unreachable", error: authorized.error };
  if (authorized.kind === "refused") return { ok: false, reason: "failed", status: authorized.status, code: authorized.code, message: authorized.message };
  if (authorized.kind === "malformed") return { ok: false, reason: "failed", status: 200, code: "invalid_response", message: authorized.detail };
  const codes = authorized.value;

  let intervalMs = codes.interval !== undefined ? codes.interval * 1000 : DEFAULT_INTERVAL_MS;
  const deadline = Math.min(startedAt + timeoutMs, Date.now() + codes.expires_in * 1000);
  emit({
    type: "started",
    userCode: codes.user_code,
    verificationUri: codes.verification_uri,
    verificationUriComplete: codes.verification_uri_complete ?? null,
    expiresAt: deadline,
    intervalMs,
  });

  const sleeper = new Wakeable();
  let failures = 0;
  // The wait before the next poll: the interval at least, longer after failures.
  let delay = intervalMs;
  // Set while the server cannot be reached, cleared by any answer from it.
  let unreachableBecause: Error | null = null;
  for (;;) {
    await sleeper.wait(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
    if (signal?.aborted) return aborted;
    if (Date.now() >= deadline) {
      if (unreachableBecause) return { ok: false, reason: "unreachable", error: unreachableBecause };
      return deadline < startedAt + timeoutMs ? { ok: false, reason: "expired" } : { ok: false, reason: "timed_out", timeoutMs };
    }

    const polled = await attempt(async () =>
      oauth.processDeviceCodeResponse(as, client, await oauth.deviceCodeGrantRequest(as, client, none, codes.device_code, requestOptions)),
    );
    if (signal?.aborted) return aborted;
    if (polled.kind === "ok") return { ok: true, token: polled.value.access_token };

    unreachableBecause = polled.kind === "network" ? polled.error : null;
    const backoff = () => backoffDelay(++failures, intervalMs, Math.max(MAX_BACKOFF_MS, intervalMs));
    if (polled.kind === "network") {
      delay = backoff();
      if (Date.now() + delay < deadline) emit({ type: "network_error", error: polled.error, retryInMs: delay });
      continue;
    }
    if (polled.kind === "malformed") return { ok: false, reason: "failed", status: 200, code: "invalid_response", message: polled.detail };
    switch (polled.code) {
      case "authorization_pending":
        failures = 0;
        delay = intervalMs;
        continue;
      case "slow_down":
        failures = 0;
        intervalMs += SLOW_DOWN_STEP_MS;
        delay = intervalMs;
        emit({ type: "slow_down", intervalMs });
        continue;
      case "access_denied":
        return { ok: false, reason: "denied" };
      case "expired_token":
        return { ok: false, reason: "expired" };
    }
    if (polled.status === 429) {
      failures++;
      delay = Math.max(intervalMs, polled.retryAfterMs ?? backoffDelay(failures, intervalMs, Math.max(MAX_BACKOFF_MS, intervalMs)));
      emit({ type: "rate_limited", retryInMs: delay });
    } else if (polled.status >= 500) {
      delay = backoff();
      emit({ type: "server_error", status: polled.status, code: polled.code, retryInMs: delay });
    } else {
      // invalid_grant, invalid_client, invalid_request…: polling again would get the same answer.
      return { ok: false, reason: "failed", status: polled.status, code: polled.code, message: polled.message };
    }
  }
}

/** The RFC 6749 §5.2 error in an answer's body, when it has one and it was not read yet. */
async function oauthErrorIn(response: Response): Promise<{ error: string; description: string | null } | null> {
  if (response.bodyUsed) return null;
  try {
    const body = (await response.json()) as { error?: unknown; error_description?: unknown } | null;
    if (typeof body?.error !== "string" || body.error === "") return null;
    return { error: body.error, description: typeof body.error_description === "string" ? body.error_description : null };
  } catch {
    return null;
  }
}

/** The `issuer` a metadata document names, or `null` when it is not readable. */
async function issuerNamedIn(response: Response): Promise<string | null> {
  try {
    const body = (await response.json()) as { issuer?: unknown } | null;
    return typeof body?.issuer === "string" ? body.issuer : null;
  } catch {
    return null;
  }
}
