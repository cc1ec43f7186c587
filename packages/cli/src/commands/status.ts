/** `harmont status` (alias `whoami`): who this CLI is logged in as, where, until when, and whence the token. */
import type { Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { targetOf, type StatusJson } from "../json-output.js";
import { describeOrg, readActiveOrg } from "./orgs.js";
import { checkSession, reportSessionProblem } from "./session-check.js";

/** `2026-03-01 14:05 UTC (in 29 days)`: readable, and unambiguous across time zones. */
export function describeExpiry(iso: string, now = Date.now()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const stamp = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const seconds = Math.round((at.getTime() - now) / 1000);
  if (seconds <= 0) return `${stamp} (expired)`;
  const [amount, unit] =
    seconds >= 2 * 86_400 ? [Math.round(seconds / 86_400), "days"] : seconds >= 7200 ? [Math.round(seconds / 3600), "hours"] : [Math.max(1, Math.round(seconds / 60)), "minutes"];
  return `${stamp} (in ${amount} ${unit})`;
}

export async function runStatus(context: Context): Promise<ExitCodeValue> {
  const { print } = context;
  const check = await checkSession(context);
  if (check.kind !== "live") {
    if (context.json) {
      const credential = "credential" in check ? check.credential : null;
      print.json({
        logged_in: false,
        ...targetOf(context),
        user: null,
        session: null,
        org: null,
        token_source: credential?.source ?? null,
        token_location: credential?.location ?? null,
        reason: check.kind === "error" ? "server_error" : check.kind,
      } satisfies StatusJson);
    }
    return reportSessionProblem(context, check);
  }
  const { user, session } = check.current;
  const { credential } = check;
  const org = await readActiveOrg(context, credential.token, session.org_id ?? null, session.org_role ?? null);
  if (context.json) {
    print.json({
      logged_in: true,
      ...targetOf(context),
      user,
      session,
      org,
      token_source: credential.source,
      token_location: credential.location,
      reason: null,
    } satisfies StatusJson);
    return ExitCode.ok;
  }
  const s = print.out;
  const from = credential.source === "env" ? `environment (${credential.location})` : credential.source === "keychain" ? `keychain (service "${credential.location}")` : `file ${credential.location}`;
  print.result(`${s.green("✓")} Logged in to ${context.apiUrl} as ${s.bold(user.email)}`);
  print.result(`  API URL:  ${context.apiUrl}`);
  print.result(`  Account:  ${user.email}${user.name ? ` (${user.name})` : ""}${user.email_verified ? "" : s.yellow(" (email not verified)")}`);
  print.result(`  Session:  ${session.name} ${s.dim(`(${session.id}, ${session.kind})`)}`);
  print.result(`  Org:      ${org ? describeOrg(org) : s.dim("none")}`);
  const support = check.current.impersonation;
  if (support) print.result(`  Support:  ${s.yellow(`a support session by ${support.impersonator.email}, until ${describeExpiry(support.expires_at)}. Reason: ${support.reason}`)}`);
  print.result(`  Two-step: ${session.second_factor_verified ? "passed (this session's sign-in passed two-step verification)" : s.dim("not passed")}`);
  print.result(`  Expires:  ${describeExpiry(session.expires_at)}`);
  print.result(`  Token:    ${from}`);
  print.result(`  Profile:  ${context.profile}`);
  return ExitCode.ok;
}
