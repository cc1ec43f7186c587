/** `harmont sessions` and `harmont sessions revoke <id>`: the account's sessions, as the web app lists them. */
import { listSessions, revokeSession } from "@harmont/cloud";
import { reportUnreachable, type Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { commandHint } from "../hints.js";
import { describeServerAnswer, outcomeOf } from "../http.js";
import { targetOf, type RevokeJson, type SessionsJson } from "../json-output.js";
import { checkSession, reportSessionProblem } from "./session-check.js";
import { describeExpiry } from "./status.js";
import { table } from "./table.js";

export async function runSessionsList(context: Context): Promise<ExitCodeValue> {
  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const outcome = await outcomeOf(listSessions({ client: context.client(check.credential.token) }));
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") {
    context.print.error(describeServerAnswer(outcome));
    return ExitCode.failure;
  }
  const { sessions } = outcome.data;
  if (context.json) {
    context.print.json({ ...targetOf(context), sessions } satisfies SessionsJson);
    return ExitCode.ok;
  }
  const rows = [["", "ID", "KIND", "NAME", "LAST USED", "FROM", "EXPIRES"]];
  for (const session of sessions) {
    rows.push([
      session.current ? "*" : "",
      session.id,
      session.kind,
      session.name,
      session.last_used_at.slice(0, 16).replace("T", " "),
      session.ip ?? "",
      describeExpiry(session.expires_at),
    ]);
  }
  for (const line of table(rows)) context.print.result(line);
  context.print.note(context.print.err.dim(`* this CLI's session. Revoke one with ${commandHint(context.target, "sessions revoke <id>")}.`));
  return ExitCode.ok;
}

export async function runSessionsRevoke(context: Context, id: string): Promise<ExitCodeValue> {
  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const outcome = await outcomeOf(revokeSession({ client: context.client(check.credential.token), path: { id } }));
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") {
    if (outcome.status === 404) context.print.error(`no session ${id} among yours (already revoked, expired, or mistyped)`);
    else context.print.error(describeServerAnswer(outcome));
    return ExitCode.failure;
  }
  const current = check.current.session.id === id;
  const deletedLocally = current && check.credential.source !== "env" && (await context.store.remove(context.key)).removed;
  if (context.json) context.print.json({ revoked: true, ...targetOf(context), session_id: id, current, deleted_locally: deletedLocally } satisfies RevokeJson);
  else context.print.result(`Revoked session ${id}${current ? " (this CLI's own: you are now logged out)" : ""}.`);
  return ExitCode.ok;
}
