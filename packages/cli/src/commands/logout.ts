/**
 * `harmont logout`: revokes the stored token on the server first, then deletes it here. When the
 * server cannot be reached the token is deleted anyway, with a warning that it may still work
 * until it expires. A token in HARMONT_TOKEN is neither revoked nor forgotten: that is said too.
 */
import { logout } from "@harmont/cloud";
import type { Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { commandHint } from "../hints.js";
import { describeNetworkError, outcomeOf } from "../http.js";
import { targetOf, type LogoutJson, type LogoutReason } from "../json-output.js";
import { CredentialStoreError, type LoadedCredential } from "../storage/credential-store.js";

export async function runLogout(context: Context): Promise<ExitCodeValue> {
  const { print, store, key } = context;
  const environmentToken = store.environmentToken();
  const warnAboutEnvironment = () => {
    if (environmentToken) {
      print.warn(
        `${environmentToken.location} is still set: harmont keeps using that token (it was not revoked); unset it to stop`,
      );
    }
  };

  let stored: LoadedCredential | null;
  let unreadable: string | null = null;
  try {
    stored = await store.loadStored(key);
  } catch (error) {
    if (!(error instanceof CredentialStoreError)) throw error;
    stored = null;
    unreadable = error.message;
  }
  if (!stored && !unreadable) {
    if (context.json) {
      print.json({
        logged_out: false,
        ...targetOf(context),
        revoked_on_server: false,
        deleted_locally: false,
        token_source: null,
        token_location: null,
        reason: "not_logged_in",
      } satisfies LogoutJson);
    }
    else print.note(`Not logged in to ${context.apiUrl}: nothing to do.`);
    warnAboutEnvironment();
    return ExitCode.ok;
  }

  let revoked: "revoked" | "already_invalid" | "unreachable" | "failed" = "failed";
  let detail = "";
  if (stored) {
    const outcome = await outcomeOf(logout({ client: context.client(stored.token) }));
    if (outcome.kind === "ok") revoked = "revoked";
    else if (outcome.kind === "network") {
      revoked = "unreachable";
      detail = describeNetworkError(outcome.error);
    } else if (outcome.status === 401) revoked = "already_invalid";
    else detail = `${outcome.status} ${outcome.code}`;
  } else {
    detail = unreadable ?? "";
  }

  const removed = await store.remove(key).catch((error: Error) => ({ removed: false, keychainError: error.message }));
  if (removed.keychainError) print.warn(`could not delete the token from the keychain: ${removed.keychainError}`);

  const serverSide = revoked === "revoked" || revoked === "already_invalid";
  if (!serverSide) {
    const why = revoked === "unreachable" ? `could not reach ${context.apiUrl} (${detail})` : `could not revoke the session (${detail})`;
    print.warn(
      `${why}: the token was deleted here but may still be valid on the server until it expires. ` +
        `Revoke it from the web app's session list, or with ${commandHint(context.target, "sessions revoke <id>")} once the server is back.`,
    );
  }
  if (context.json) {
    const reasons: Record<typeof revoked, LogoutReason | null> = {
      revoked: null,
      already_invalid: "already_invalid",
      unreachable: "unreachable",
      failed: stored ? "server_error" : "unreadable",
    };
    print.json({
      logged_out: true,
      ...targetOf(context),
      revoked_on_server: serverSide,
      deleted_locally: removed.removed,
      token_source: stored?.source ?? null,
      token_location: stored?.location ?? null,
      reason: reasons[revoked],
    } satisfies LogoutJson);
  } else {
    print.result(`Logged out of ${context.apiUrl}${serverSide ? "; the session is revoked on the server" : ""}.`);
  }
  warnAboutEnvironment();
  return serverSide ? ExitCode.ok : revoked === "unreachable" ? ExitCode.unreachable : ExitCode.failure;
}
