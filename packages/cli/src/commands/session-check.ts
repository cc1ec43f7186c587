/** Finding the token a command should use and asking the server whether it is still alive. */
import { getSession, type CurrentSession } from "@harmont/cloud";
import { reportUnreachable, type Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { commandHint } from "../hints.js";
import { describeServerAnswer, outcomeOf } from "../http.js";
import { CredentialStoreError, type LoadedCredential } from "../storage/credential-store.js";

/**
 * Why the server refused a token (it does not say): `expired` when the expiry this CLI recorded
 * has passed; `revoked` when it has not, so the session was ended (revoked, signed out, the
 * password changed); `rejected` when nothing was recorded (an environment token, an older login).
 */
export type RefusedReason = "expired" | "revoked" | "rejected";

export type SessionCheck =
  | { kind: "live"; credential: LoadedCredential; current: CurrentSession }
  | { kind: "not_logged_in" }
  | { kind: RefusedReason; credential: LoadedCredential }
  | { kind: "unreachable"; credential: LoadedCredential; error: Error }
  | { kind: "unreadable"; message: string }
  | { kind: "error"; credential: LoadedCredential; status: number; code: string; message: string };

/**
 * How far this machine's clock may be behind the server's: a refusal this close before the
 * recorded expiry is taken for the expiry, not for a revocation.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** Why the server answered 401 for this credential, as far as what was recorded can tell. */
export function judgeRefusal(credential: LoadedCredential, now = Date.now()): RefusedReason {
  if (credential.source === "env" || credential.expiresAt === null) return "rejected";
  const expiresAt = Date.parse(credential.expiresAt);
  if (Number.isNaN(expiresAt)) return "rejected";
  return now + CLOCK_SKEW_MS >= expiresAt ? "expired" : "revoked";
}

/** `harmont login`, with the flags that log in to the same profile and server. */
export function loginHint(context: Context): string {
  return commandHint(context.target, "login");
}

/** The token to use (environment first), or why there is none. */
export async function loadCredential(context: Context): Promise<LoadedCredential | { unreadable: string } | null> {
  try {
    return await context.store.load(context.key);
  } catch (error) {
    if (error instanceof CredentialStoreError) return { unreadable: error.message };
    throw error;
  }
}

export async function checkSession(context: Context): Promise<SessionCheck> {
  const credential = await loadCredential(context);
  if (credential === null) return { kind: "not_logged_in" };
  if ("unreadable" in credential) return { kind: "unreadable", message: credential.unreadable };
  const outcome = await outcomeOf(getSession({ client: context.client(credential.token) }));
  if (outcome.kind === "ok") {
    // Keep the recorded expiry current: use moves it later, and a later refusal is judged by it.
    await context.store.recordExpiry(context.key, credential, outcome.data.session.expires_at).catch(() => {});
    return { kind: "live", credential, current: outcome.data };
  }
  if (outcome.kind === "network") return { kind: "unreachable", credential, error: outcome.error };
  if (outcome.status === 401) return { kind: judgeRefusal(credential), credential };
  return { kind: "error", credential, status: outcome.status, code: outcome.code, message: outcome.message };
}

/** Prints what is wrong with a session that is not live, and returns the exit code. */
export function reportSessionProblem(context: Context, check: Exclude<SessionCheck, { kind: "live" }>): ExitCodeValue {
  switch (check.kind) {
    case "not_logged_in":
      context.print.error(`not logged in to ${context.apiUrl}: run ${loginHint(context)}`);
      return ExitCode.failure;
    case "expired":
      context.print.error(`session expired: run ${loginHint(context)}`);
      return ExitCode.failure;
    case "revoked":
      context.print.error(
        "session no longer valid: it was revoked or signed out (for example from a session list or with `harmont sessions revoke`, " +
          `by a password change, or by signing out everywhere): run ${loginHint(context)}`,
      );
      return ExitCode.failure;
    case "rejected":
      if (check.credential.source === "env") {
        context.print.error(
          `the token in ${check.credential.location} is not valid (mistyped, expired, revoked or signed out): set a new one, or unset it and run ${loginHint(context)}`,
        );
      } else {
        context.print.error(`session no longer valid: it expired, or was revoked or signed out: run ${loginHint(context)}`);
      }
      return ExitCode.failure;
    case "unreachable":
      return reportUnreachable(context, check.error);
    case "unreadable":
      context.print.error(check.message);
      return ExitCode.failure;
    case "error":
      context.print.error(describeServerAnswer(check));
      return ExitCode.failure;
  }
}
