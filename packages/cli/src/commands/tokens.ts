/**
 * `harmont tokens` (list), `harmont tokens create <name> [--expires 90d|never]` and
 * `harmont tokens revoke <id>`: API tokens for CI and scripts. They are made from a signed-in
 * CLI session; an API token itself cannot make, list or revoke tokens (the server refuses).
 */
import { createApiToken, listApiTokens, revokeApiToken } from "@harmont/cloud";
import { reportUnreachable, type Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { commandHint } from "../hints.js";
import { describeServerAnswer, outcomeOf, type CallOutcome } from "../http.js";
import { targetOf, type ApiTokenCreatedJson, type ApiTokenRevokeJson, type ApiTokensJson } from "../json-output.js";
import { checkSession, reportSessionProblem } from "./session-check.js";
import { table } from "./table.js";

/** The expiry a new token gets when `--expires` is not given. */
export const DEFAULT_TOKEN_EXPIRY_DAYS = 90;

/** `90d`, `90` (days) or `never` (`null`); `undefined` when the text is none of them. */
export function parseTokenExpiry(text: string): number | null | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "never") return null;
  const match = /^(\d{1,5})d?$/.exec(trimmed);
  if (!match) return undefined;
  const days = Number(match[1]);
  return days >= 1 ? days : undefined;
}

/** What the server said, for an answer that is not the one a command wants. */
function reportServerError(context: Context, outcome: Extract<CallOutcome<unknown>, { kind: "error" }>): ExitCodeValue {
  if (outcome.status === 403 && outcome.code === "forbidden") {
    context.print.error(`${outcome.message}`);
    context.print.note(`An API token (HARMONT_TOKEN) cannot manage tokens; log in first: ${commandHint(context.target, "login")}.`);
  } else {
    context.print.error(describeServerAnswer(outcome));
  }
  return ExitCode.failure;
}

function describeTokenExpiry(expiresAt: string | null): string {
  return expiresAt === null ? "never" : expiresAt.slice(0, 10);
}

export async function runTokensList(context: Context): Promise<ExitCodeValue> {
  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const outcome = await outcomeOf(listApiTokens({ client: context.client(check.credential.token) }));
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") return reportServerError(context, outcome);
  const { tokens } = outcome.data;
  if (context.json) {
    context.print.json({ ...targetOf(context), tokens } satisfies ApiTokensJson);
    return ExitCode.ok;
  }
  if (tokens.length === 0) {
    context.print.note(`No API tokens. Make one for CI with ${commandHint(context.target, "tokens create <name>")}.`);
    return ExitCode.ok;
  }
  const rows = [["ID", "NAME", "LAST USED", "EXPIRES"]];
  for (const token of tokens) {
    rows.push([token.id, token.name, token.last_used_at.slice(0, 16).replace("T", " "), describeTokenExpiry(token.expires_at)]);
  }
  for (const line of table(rows)) context.print.result(line);
  context.print.note(context.print.err.dim(`Revoke one with ${commandHint(context.target, "tokens revoke <id>")}.`));
  return ExitCode.ok;
}

export async function runTokensCreate(context: Context, name: string, expiresInDays: number | null): Promise<ExitCodeValue> {
  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const outcome = await outcomeOf(
    createApiToken({ client: context.client(check.credential.token), body: { name, expires_in_days: expiresInDays } }),
  );
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") return reportServerError(context, outcome);
  const { token, api_token: apiToken } = outcome.data;
  if (context.json) {
    context.print.json({ ...targetOf(context), token, api_token: apiToken } satisfies ApiTokenCreatedJson);
    return ExitCode.ok;
  }
  // The token alone on stdout, so `harmont tokens create ci > token.txt` keeps just it.
  context.print.result(token);
  context.print.note(
    `Made API token "${apiToken.name}" (${apiToken.id}), ${apiToken.expires_at === null ? "with no expiry" : `valid until ${describeTokenExpiry(apiToken.expires_at)}`}.\n` +
      "It is shown this once: store it in your CI's secrets as HARMONT_TOKEN.",
  );
  return ExitCode.ok;
}

export async function runTokensRevoke(context: Context, id: string): Promise<ExitCodeValue> {
  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const outcome = await outcomeOf(revokeApiToken({ client: context.client(check.credential.token), path: { id } }));
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") {
    if (outcome.status === 404) {
      context.print.error(`no API token ${id} among yours (already revoked, expired, or mistyped)`);
      return ExitCode.failure;
    }
    return reportServerError(context, outcome);
  }
  if (context.json) context.print.json({ ...targetOf(context), revoked: true, token_id: id } satisfies ApiTokenRevokeJson);
  else context.print.result(`Revoked API token ${id}.`);
  return ExitCode.ok;
}
