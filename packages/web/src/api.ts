/**
 * The app's one door to the API: a @harmont/cloud client on this page's own origin. The session
 * rides in the HttpOnly cookie the server sets at sign-in (`session: "cookie"`), which page
 * scripts cannot read; same-origin requests send it, and a same-origin POST carries the `Origin`
 * header the server checks before any cookie-authenticated change.
 */
import { createClient, createConfig, harmontClientConfig, isErrorEnvelope } from "@harmont/cloud";
import { basePath } from "./base-path";

export const harmont = createClient(
  createConfig({ ...harmontClientConfig({ baseUrl: window.location.origin + basePath }), credentials: "same-origin" }),
);

/** Why a call failed, ready to show. */
export interface Problem {
  /** The error envelope's code, or `network_error` when the server could not be reached. */
  code: string;
  message: string;
  status: number | null;
  /** From `Retry-After` on a 429. */
  retryAfterSeconds: number | null;
}

export type Outcome<T> = { ok: true; data: T; response: Response } | { ok: false; problem: Problem };

const networkProblem: Problem = {
  code: "network_error",
  message: "Could not reach the Harmont server. Check your connection and try again.",
  status: null,
  retryAfterSeconds: null,
};

/** Awaits an SDK call and folds its three ways to end (data, error envelope, network failure) into one. */
export async function run<T>(call: Promise<{ data?: T; error?: unknown; response?: Response }>): Promise<Outcome<T>> {
  let result: { data?: T; error?: unknown; response?: Response };
  try {
    result = await call;
  } catch {
    return { ok: false, problem: networkProblem };
  }
  const { response } = result;
  if (!response) return { ok: false, problem: networkProblem };
  if (response.ok) return { ok: true, data: result.data as T, response };
  const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null;
  if (isErrorEnvelope(result.error)) {
    const { code, message } = result.error.error;
    return { ok: false, problem: { code, message: describe(code, message, retryAfterSeconds), status: response.status, retryAfterSeconds } };
  }
  return {
    ok: false,
    problem: { code: "server_error", message: `The server answered ${response.status}. Try again in a moment.`, status: response.status, retryAfterSeconds },
  };
}

/** Whatever a support session is refused, the same words: what it is, and who can do it instead. */
const supportSessionRefusal =
  "Not possible in a support session: it shows the account as its owner sees it and changes nothing. Only the account's owner can do this.";

function describe(code: string, message: string, retryAfterSeconds: number | null): string {
  if (code === "impersonation_forbidden") return supportSessionRefusal;
  if (code === "rate_limited" && retryAfterSeconds !== null) {
    const wait = retryAfterSeconds < 90 ? `${retryAfterSeconds} seconds` : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
    return `Too many attempts. Try again in ${wait}.`;
  }
  return message;
}
