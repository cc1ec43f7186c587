/**
 * `harmont token`: the token alone on stdout, for `harmont token | …`. Every explanation goes to
 * stderr, so a pipe never receives anything but the token.
 */
import type { Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { targetOf, type TokenJson } from "../json-output.js";
import { loadCredential, loginHint } from "./session-check.js";

export async function runToken(context: Context): Promise<ExitCodeValue> {
  const credential = await loadCredential(context);
  if (credential === null) {
    context.print.error(`not logged in to ${context.apiUrl}: run ${loginHint(context)}`);
    return ExitCode.failure;
  }
  if ("unreadable" in credential) {
    context.print.error(credential.unreadable);
    return ExitCode.failure;
  }
  if (context.json) {
    context.print.json({
      token: credential.token,
      ...targetOf(context),
      token_source: credential.source,
      token_location: credential.location,
    } satisfies TokenJson);
  }
  else context.print.result(credential.token);
  return ExitCode.ok;
}
