/**
 * Re-authentication for what changes how an account signs in (two-step verification today):
 * an account with a password proves it again; one without must have signed in in the last 15
 * minutes (`isFresh`).
 */
import { recordAuditEvent } from "./audit.js";
import type { AuthDeps, Authenticated, RequestMeta } from "./context.js";
import { fail, ok, type Result } from "./result.js";
import { isFresh } from "./sessions.js";

export type ReauthenticationFailure = "invalid_credentials" | "reauthentication_required";

/**
 * `invalid_credentials` for a missing or wrong password (audited with `action`), and
 * `reauthentication_required` for a passwordless account whose session is not fresh. The
 * caller counts a password attempt on the sign-in failure limit, as for a sign-in.
 */
export async function checkReauthentication(
  deps: Pick<AuthDeps, "store" | "clock" | "passwords">,
  caller: Authenticated,
  password: string | undefined,
  meta: RequestMeta,
): Promise<Result<ReauthenticationFailure>> {
  const user = await deps.store.users.findById(caller.user.id);
  if (!user) return fail("invalid_credentials");
  if (user.passwordHash !== null) {
    if (password !== undefined && (await deps.passwords.verify(user.passwordHash, password))) return ok(undefined);
    await recordAuditEvent(deps, meta, { action: "auth.reauthentication.failed", target: caller.session.id });
    return fail("invalid_credentials");
  }
  return isFresh(caller.session, deps.clock.now()) ? ok(undefined) : fail("reauthentication_required");
}
