import {
  acceptOrgInvitation,
  createHarmontClient,
  createOrg,
  createOrgInvitation,
  getBootstrap,
  listOrgs,
  switchOrg,
} from "@harmont/cloud";

/** An owner makes a team and invites a colleague, who gets a link by mail. */
export async function startTeam(baseUrl: string, ownerToken: string, team: { name: string; slug: string; invite: string }) {
  const harmont = createHarmontClient({ baseUrl, token: ownerToken, throwOnError: true });
  const { data: org } = await createOrg({ client: harmont, body: { name: team.name, slug: team.slug }, throwOnError: true });
  // The answer never holds the invitation's token: only the mail does.
  const { data: invitation } = await createOrgInvitation({
    client: harmont,
    path: { org_id: org.id },
    body: { email: team.invite, role: "member" },
    throwOnError: true,
  });
  return { org, invitation };
}

/** The colleague's side: the link's fragment holds the token; accepting needs their own session. */
export async function acceptFromLink(baseUrl: string, token: string, link: string) {
  const invitationToken = new URLSearchParams(new URL(link).hash.slice(1)).get("token");
  if (!invitationToken) throw new Error("not an invitation link");
  const harmont = createHarmontClient({ baseUrl, token });
  const { data, error } = await acceptOrgInvitation({ client: harmont, body: { token: invitationToken } });
  if (error) return { joined: false as const, code: error.error.code, message: error.error.message };
  return { joined: true as const, org: data.org.name, role: data.role };
}

/** Works in one org by its slug: this session only; the same token, and other sessions keep theirs. */
export async function workIn(baseUrl: string, token: string, slug: string) {
  const harmont = createHarmontClient({ baseUrl, token, throwOnError: true });
  const { data } = await listOrgs({ client: harmont, throwOnError: true });
  const org = data.orgs.find((each) => each.slug === slug);
  if (!org) throw new Error(`not a member of ${slug}`);
  await switchOrg({ client: harmont, body: { org_id: org.id }, throwOnError: true });
  // Everything a first paint needs, in one call.
  const { data: state } = await getBootstrap({ client: harmont, throwOnError: true });
  return { active: state.active_org?.slug ?? null, role: state.session.org_role, orgs: state.orgs.length };
}
