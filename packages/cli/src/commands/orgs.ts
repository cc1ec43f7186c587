/**
 * `harmont orgs` (the account's organizations, the active one marked) and `harmont switch <org>`
 * (the active org of this CLI's session; the browser keeps its own).
 */
import { getOrg, listOrgs, switchOrg, type OrgMembership } from "@harmont/cloud";
import { reportUnreachable, type Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { commandHint } from "../hints.js";
import { describeServerAnswer, outcomeOf } from "../http.js";
import { targetOf, type ActiveOrg, type OrgsJson, type SwitchJson } from "../json-output.js";
import { checkSession, reportSessionProblem } from "./session-check.js";
import { table } from "./table.js";

export function describeOrg(org: { name: string; slug: string | null; role: string }): string {
  return `${org.name}${org.slug ? ` (${org.slug})` : ""} as ${org.role}`;
}

/** The active org of a live session, with its name: `null` when it has none or it cannot be read. */
export async function readActiveOrg(context: Context, token: string, orgId: string | null, role: string | null): Promise<ActiveOrg | null> {
  if (orgId === null || role === null) return null;
  const outcome = await outcomeOf(getOrg({ client: context.client(token), path: { org_id: orgId } }));
  if (outcome.kind !== "ok") return null;
  const { org } = outcome.data;
  return { id: org.id, name: org.name, slug: org.slug, role: outcome.data.role };
}

export async function runOrgs(context: Context): Promise<ExitCodeValue> {
  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const outcome = await outcomeOf(listOrgs({ client: context.client(check.credential.token) }));
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") {
    context.print.error(describeServerAnswer(outcome));
    return ExitCode.failure;
  }
  const { orgs } = outcome.data;
  const activeId = check.current.session.org_id ?? null;
  if (context.json) {
    context.print.json({ ...targetOf(context), active_org_id: activeId, orgs } satisfies OrgsJson);
    return ExitCode.ok;
  }
  if (orgs.length === 0) {
    context.print.note("You are in no organization yet. Create one in the web app, or accept an invitation.");
    return ExitCode.ok;
  }
  const rows = [["", "SLUG", "NAME", "ROLE", "ID"]];
  for (const org of orgs) rows.push([org.id === activeId ? "*" : "", org.slug ?? "", org.name, org.role, org.id]);
  for (const line of table(rows)) context.print.result(line);
  context.print.note(context.print.err.dim(`* this CLI's active org. Switch with ${commandHint(context.target, "switch <slug>")}.`));
  return ExitCode.ok;
}

/** Finds the org a person typed: its slug, its id, or (when it is unique) its name, in any case. */
export function findOrg(orgs: OrgMembership[], typed: string): OrgMembership | null {
  const wanted = typed.trim();
  const exact = orgs.find((org) => org.slug === wanted.toLowerCase() || org.id === wanted);
  if (exact) return exact;
  const byName = orgs.filter((org) => org.name.toLowerCase() === wanted.toLowerCase());
  return byName.length === 1 ? byName[0]! : null;
}

export async function runSwitch(context: Context, typed: string): Promise<ExitCodeValue> {
  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const client = context.client(check.credential.token);
  const listed = await outcomeOf(listOrgs({ client }));
  if (listed.kind === "network") return reportUnreachable(context, listed.error);
  if (listed.kind === "error") {
    context.print.error(describeServerAnswer(listed));
    return ExitCode.failure;
  }
  const org = findOrg(listed.data.orgs, typed);
  if (!org) {
    const known = listed.data.orgs.map((each) => each.slug ?? each.id).join(", ");
    context.print.error(`no organization "${typed}" among yours${known ? ` (${known})` : ""}; see ${commandHint(context.target, "orgs")}`);
    return ExitCode.failure;
  }
  const outcome = await outcomeOf(switchOrg({ client, body: { org_id: org.id } }));
  if (outcome.kind === "network") return reportUnreachable(context, outcome.error);
  if (outcome.kind === "error") {
    context.print.error(
      outcome.code === "organization_not_found"
        ? `you are no longer a member of ${org.name}`
        : describeServerAnswer(outcome),
    );
    return ExitCode.failure;
  }
  const active = outcome.data.active_org!;
  const activeOrg: ActiveOrg = { id: active.id, name: active.name, slug: active.slug, role: active.role };
  if (context.json) {
    context.print.json({ ...targetOf(context), switched: true, org: activeOrg } satisfies SwitchJson);
    return ExitCode.ok;
  }
  context.print.result(`Switched to ${describeOrg(activeOrg)}.`);
  context.print.note(context.print.err.dim("Only this CLI's session: your browser keeps its own active org."));
  return ExitCode.ok;
}
