/** Finding the token a command should use and asking the server whether it is still alive. */
import { getSession, type CurrentSession } from "@harmont/cloud";
import { reportUnreachable, type Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { commandHint } from "../hints.js";
import { outcomeOf } from "../http.js";
import { CredentialStoreError, type LoadedCredential } from "../storage/credential-store.js";

export type SessionCheck =
  | { kind: "live"; credential: LoadedCredential; current: CurrentSession }
  | { kind: "not_logged_in" }
  | { kind: "expired"; credential: LoadedCredential }
  | { kind: "unreachable"; credential: LoadedCredential; error: Error }
  | { kind: "unreadable"; message: string }
  | { kind: "error"; credential: LoadedCredential; status: number; code: string; message: string };

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
  if (outcome.kind === "ok") return { kind: "live", credential, current: outcome.data };
  if (outcome.kind === "network") return { kind: "unreachable", credential, error: outcome.error };
  if (outcome.status === 401) return { kind: "expired", credential };
  return { kind: "error", credential, status: outcome.status, code: outcome.code, message: outcome.message };
}

/** Prints what is wrong with a session that is not live, and returns the exit code. */
export function reportSessionProblem(context: Context, check: Exclude<SessionCheck, { kind: "live" }>): ExitCodeValue {
  switch (check.kind) {
    case "not_logged_in":
      context.print.error(`not logged in to ${context.apiUrl}: run ${loginHint(context)}`);
      return ExitCode.failure;
    case "expired":
      if (check.credential.source === "env") {
        context.print.error(
          `session expired: the token in ${check.credential.location} was revoked or has expired; set a new one, or unset it and run ${loginHint(context)}`,
        );
      } else {
        context.print.error(`session expired: run ${loginHint(context)}`);
      }
      return ExitCode.failure;
    case "unreachable":
      return reportUnreachable(context, check.error);
    case "unreadable":
      context.print.error(check.message);
      return ExitCode.failure;
    case "error":
      context.print.error(`the server answered ${check.status} ${check.code}: ${check.message}`);
      return ExitCode.failure;
  }
}
