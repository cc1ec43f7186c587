/**
 * Reading the SDK's answers: every call returns `{ data, error, response }`, where a network
 * failure has no response at all. This turns that into one tagged value the flows can switch on.
 */
import { createHarmontClient, isErrorEnvelope, type Client } from "@harmont/cloud";

export type CallOutcome<Data> =
  | { kind: "ok"; data: Data; response: Response }
  | { kind: "network"; error: Error }
  | {
      kind: "error";
      status: number;
      /** The envelope's code, or `http_<status>` when a proxy answered with something else. */
      code: string;
      message: string;
      /** From `Retry-After`, when the server sent one. */
      retryAfterMs: number | null;
    };

/** An answer the command did not expect, as one line: `the server answered 409 last_owner: …`. */
export function describeServerAnswer(answer: { status: number; code: string; message: string }): string {
  return `the server answered ${answer.status} ${answer.code}: ${answer.message}`;
}

/** What an SDK call resolves to (with `throwOnError` off). */
export interface SdkResult<Data> {
  data?: Data | undefined;
  error?: unknown;
  response?: Response | undefined;
}

/** Classifies one SDK call's result. */
export async function outcomeOf<Data>(call: Promise<SdkResult<Data>>): Promise<CallOutcome<Data>> {
  let result: SdkResult<Data>;
  try {
    result = await call;
  } catch (error) {
    return { kind: "network", error: error instanceof Error ? error : new Error(String(error)) };
  }
  const { response } = result;
  if (!response) {
    const error = result.error instanceof Error ? result.error : new Error("the request failed");
    return { kind: "network", error };
  }
  if (response.ok) return { kind: "ok", data: result.data as Data, response };
  const envelope = isErrorEnvelope(result.error) ? result.error.error : null;
  return {
    kind: "error",
    status: response.status,
    code: envelope?.code ?? `http_${response.status}`,
    message: envelope?.message ?? `HTTP ${response.status} ${response.statusText}`.trim(),
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
  };
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; `null` when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The cause of a network failure in a few words (`ECONNREFUSED`, `timed out`, …). */
export function describeNetworkError(error: Error): string {
  if (error.name === "TimeoutError") return "the request timed out";
  const cause = (error as { cause?: unknown }).cause;
  if (cause && typeof cause === "object") {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === "string") return code;
    if (typeof message === "string") return message;
  }
  return error.message;
}

export interface ApiClientOptions {
  apiUrl: string;
  token?: string | undefined;
  /** Each request's time limit. Default 15 s. */
  requestTimeoutMs?: number;
  /** Cancels every request of this client (the command's Ctrl-C), besides each call's own signal. */
  signal?: AbortSignal;
  userAgent?: string;
}

/**
 * A client whose every request gives up after `requestTimeoutMs`, so a stalled connection turns
 * into a network error (and a retry) instead of a hung command.
 */
export function createApiClient(options: ApiClientOptions): Client {
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const timedFetch: typeof fetch = (input, init) => {
    // One controller held by the timer and the caller's signal, not AbortSignal.any(): on Node 20
    // a combined signal can be collected while its fetch waits, and then never aborts it.
    const controller = new AbortController();
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const detach: Array<() => void> = [];
    for (const signal of [own, options.signal]) {
      if (!signal) continue;
      if (signal.aborted) controller.abort(signal.reason);
      const onAbort = () => controller.abort(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      detach.push(() => signal.removeEventListener("abort", onAbort));
    }
    // Left running after the headers arrive, so a body that stalls is cut off too; unref'd, so
    // it never keeps a finished command alive.
    setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs / 1000} s`, "TimeoutError")), timeoutMs).unref();
    return fetch(input, { ...init, signal: controller.signal }).finally(() => {
      for (const undo of detach) undo();
    });
  };
  return createHarmontClient({
    baseUrl: options.apiUrl,
    fetch: timedFetch,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.userAgent ? { headers: { "User-Agent": options.userAgent } } : {}),
  });
}
