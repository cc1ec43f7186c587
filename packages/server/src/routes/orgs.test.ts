/**
 * Organizations through HTTP, on both databases: creating, the active org and switching, the
 * session check's org role, the role matrix, the last owner, removal, invitations, and single
 * use under concurrency.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseTargets, reportSkippedPostgres } from "../test-support/databases.js";
import { createTestServerWithMail, signUp, signUpVerified, type TestServer, errorCode, jsonBody } from "../test-support/harness.js";
import type { TestSmtpServer } from "../test-support/smtp.js";

reportSkippedPostgres();

type Server = TestServer & { smtp: TestSmtpServer };

interface Person {
  token: string;
  email: string;
  password: string;
  user: { id: string };
}

describe.each(databaseTargets)("organizations on $kind", (target) => {
  let server: Server;
  beforeEach(async () => {
    if (target.available) server = await createTestServerWithMail(await target.create(), { HARMONT_LIMIT_SIGNUP_PER_IP: "0" });
  });
  afterEach(async () => {
    if (server) await server.close();
  });

  /** A signed-up person whose address is verified with the code mailed at sign-up. */
  async function verifiedPerson(email = `user-${Math.random().toString(36).slice(2)}@example.com`): Promise<Person> {
    return signUpVerified(server, email);
  }

  async function createOrg(person: Person, name = "Acme", slug?: string) {
    const response = await server.request("/api/v0/orgs", { token: person.token, json: { name, ...(slug ? { slug } : {}) } });
    expect(response.status).toBe(201);
    return jsonBody<{ id: string; name: string; slug: string | null; role: string }>(response);
  }

  /** Invites `email` to the org and returns the token from the mail's link. */
  async function invite(admin: Person, orgId: string, email: string, role = "member") {
    const since = server.smtp.messages.length;
    const response = await server.request(`/api/v0/orgs/${orgId}/invitations`, { token: admin.token, json: { email, role } });
    expect(response.status).toBe(201);
    const mail = await server.smtp.waitForMail(email.toLowerCase(), since);
    const token = /#token=(hin_[A-Za-z0-9_-]{43})/.exec(mail.raw)?.[1];
    expect(token).toBeDefined();
    return { invitation: await jsonBody<{ id: string; email: string }>(response), token: token! };
  }

  async function join(owner: Person, orgId: string, role = "member"): Promise<Person> {
    const person = await verifiedPerson();
    const { token } = await invite(owner, orgId, person.email, role);
    expect((await server.request("/api/v0/org-invitations/accept", { token: person.token, json: { token } })).status).toBe(200);
    return person;
  }

  const session = async (person: Person) =>
    (await jsonBody<{ session: { org_id: string | null; org_role: string | null } }>(await server.request("/api/v0/auth/session", { token: person.token }))).session;

  describe.skipIf(!target.available)("creating and switching", () => {
    it("makes the creator the owner and the org the session's active one; the session check says so", async () => {
      const ada = await verifiedPerson();
      const org = await createOrg(ada, "  Acme\u202e Labs ", "acme");
      expect(org).toMatchObject({ id: expect.stringMatching(/^org_/), name: "Acme Labs", slug: "acme", role: "owner" });
      expect(await session(ada)).toMatchObject({ org_id: org.id, org_role: "owner" });

      const boot = await jsonBody<Record<string, unknown>>(await server.request("/api/v0/auth/bootstrap", { token: ada.token }));
      expect(boot).toMatchObject({
        active_org: { id: org.id, role: "owner" },
        orgs: [{ id: org.id, name: "Acme Labs", slug: "acme", role: "owner" }],
        orgs_truncated: false,
        second_factor: { enabled: false, backup_codes_remaining: 0 },
        pending_approvals: 0,
        impersonation: null,
      });
    });

    it("needs a verified address, a valid name and slug, and a free slug", async () => {
      const unverified = await signUp(server);
      const refused = await server.request("/api/v0/orgs", { token: unverified.token, json: { name: "Acme" } });
      expect(refused.status).toBe(403);
      expect(await errorCode(refused)).toBe("email_verification_required");

      const ada = await verifiedPerson();
      for (const json of [{ name: "" }, { name: "x".repeat(101) }, { name: "Acme", slug: "Acme" }, { name: "Acme", slug: "-acme" }, { name: "Acme", slug: "a".repeat(41) }, { slug: "acme" }, { name: 7 }]) {
        const response = await server.request("/api/v0/orgs", { token: ada.token, json });
        expect({ json, status: response.status }).toEqual({ json, status: 400 });
      }
      await createOrg(ada, "Acme", "acme");
      const taken = await server.request("/api/v0/orgs", { token: ada.token, json: { name: "Other", slug: "acme" } });
      expect(taken.status).toBe(409);
      expect(await errorCode(taken)).toBe("org_slug_taken");
      expect((await jsonBody<{ orgs: unknown[] }>(await server.request("/api/v0/orgs", { token: ada.token }))).orgs).toHaveLength(1);
    });

    it("switches on the same token; the CLI and the browser keep their own; a stranger's org is 404 like none", async () => {
      const ada = await verifiedPerson();
      const acme = await createOrg(ada, "Acme");
      const globex = await createOrg(ada, "Globex");
      // A second session of the same person (another sign-in) starts in the org used last.
      const other = { ...ada, token: (await jsonBody<{ token: string }>(await server.request("/api/v0/auth/login", { json: { email: ada.email, password: ada.password } }))).token };

      const switched = await server.request("/api/v0/auth/session/org", { token: ada.token, json: { org_id: globex.id } });
      expect(switched.status).toBe(200);
      expect(await jsonBody(switched)).toMatchObject({ session: { org_id: globex.id, org_role: "owner" }, active_org: { id: globex.id, name: "Globex" } });
      expect(await session(ada)).toMatchObject({ org_id: globex.id });
      expect(await session(other)).toMatchObject({ org_id: acme.id });

      const bob = await verifiedPerson();
      const bobs = await createOrg(bob, "Bob's");
      for (const orgId of [bobs.id, "org_doesnotexist", "x"]) {
        const response = await server.request("/api/v0/auth/session/org", { token: ada.token, json: { org_id: orgId } });
        expect(response.status).toBe(404);
        expect(await errorCode(response)).toBe("organization_not_found");
        const read = await server.request(`/api/v0/orgs/${orgId}`, { token: ada.token });
        expect(read.status).toBe(404);
        expect(await errorCode(read)).toBe("organization_not_found");
      }
      expect(await session(ada)).toMatchObject({ org_id: globex.id });
      const cleared = await server.request("/api/v0/auth/session/org", { token: ada.token, json: { org_id: null } });
      expect(await jsonBody(cleared)).toMatchObject({ session: { org_id: null, org_role: null }, active_org: null });

      // A new sign-in starts where the person switched last.
      server.clock.advance(1000);
      await server.request("/api/v0/auth/session/org", { token: ada.token, json: { org_id: globex.id } });
      const fresh = (await jsonBody<{ token: string }>(await server.request("/api/v0/auth/login", { json: { email: ada.email, password: ada.password } }))).token;
      expect(await session({ ...ada, token: fresh })).toMatchObject({ org_id: globex.id, org_role: "owner" });
    });
  });

  describe.skipIf(!target.available)("roles", () => {
    it("members read; admins rename and manage members but not owners; owners do anything", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const admin = await join(owner, org.id, "admin");
      const member = await join(owner, org.id, "member");
      const other = await join(owner, org.id, "member");

      const members = await jsonBody<{ members: Array<{ user: { email: string }; role: string }> }>(await server.request(`/api/v0/orgs/${org.id}/members`, { token: member.token }));
      expect(members.members.map((entry) => [entry.user.email, entry.role]).sort()).toEqual([
        [owner.email, "owner"],
        [admin.email, "admin"],
        [member.email, "member"],
        [other.email, "member"],
      ].sort());

      const rename = (person: Person) => server.request(`/api/v0/orgs/${org.id}`, { method: "PATCH", token: person.token, json: { name: "Acme Inc" } });
      const memberRename = await rename(member);
      expect(memberRename.status).toBe(403);
      expect(await errorCode(memberRename)).toBe("insufficient_org_role");
      expect((await rename(admin)).status).toBe(200);

      const setRole = (person: Person, userId: string, role: string) =>
        server.request(`/api/v0/orgs/${org.id}/members/${userId}`, { method: "PATCH", token: person.token, json: { role } });
      expect((await setRole(member, other.user.id, "admin")).status).toBe(403);
      expect((await setRole(admin, other.user.id, "admin")).status).toBe(200);
      expect((await setRole(admin, other.user.id, "owner")).status).toBe(403);
      expect((await setRole(admin, owner.user.id, "member")).status).toBe(403);
      expect((await server.request(`/api/v0/orgs/${org.id}/members/${owner.user.id}`, { method: "DELETE", token: admin.token })).status).toBe(403);
      expect(await errorCode(await setRole(admin, "usr_nobody", "member"))).toBe("member_not_found");
      const invalid = await setRole(owner, other.user.id, "superuser");
      expect(invalid.status).toBe(400);

      // The change is seen at the member's next request.
      expect((await setRole(owner, member.user.id, "admin")).status).toBe(200);
      await server.request("/api/v0/auth/session/org", { token: member.token, json: { org_id: org.id } });
      expect(await session(member)).toMatchObject({ org_role: "admin" });

      const ownerDelete = await server.request(`/api/v0/orgs/${org.id}`, { method: "DELETE", token: admin.token });
      expect(ownerDelete.status).toBe(403);
    });

    it("never loses its last owner: demote, remove and leave answer last_owner", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const demote = await server.request(`/api/v0/orgs/${org.id}/members/${owner.user.id}`, { method: "PATCH", token: owner.token, json: { role: "member" } });
      expect(demote.status).toBe(409);
      expect(await errorCode(demote)).toBe("last_owner");
      const leave = await server.request(`/api/v0/orgs/${org.id}/members/${owner.user.id}`, { method: "DELETE", token: owner.token });
      expect(await errorCode(leave)).toBe("last_owner");

      // With a second owner, one may leave.
      const second = await join(owner, org.id, "owner");
      expect((await server.request(`/api/v0/orgs/${org.id}/members/${owner.user.id}`, { method: "DELETE", token: owner.token })).status).toBe(204);
      expect(await session(owner)).toMatchObject({ org_id: null, org_role: null });
      const last = await server.request(`/api/v0/orgs/${org.id}/members/${second.user.id}`, { method: "PATCH", token: second.token, json: { role: "admin" } });
      expect(await errorCode(last)).toBe("last_owner");
    });

    it("two owners demoting each other at once: one wins, and the org keeps an owner", async () => {
      const first = await verifiedPerson();
      const org = await createOrg(first);
      const second = await join(first, org.id, "owner");
      for (let round = 0; round < 5; round++) {
        const [a, b] = await Promise.all([
          server.request(`/api/v0/orgs/${org.id}/members/${second.user.id}`, { method: "PATCH", token: first.token, json: { role: "member" } }),
          server.request(`/api/v0/orgs/${org.id}/members/${first.user.id}`, { method: "PATCH", token: second.token, json: { role: "member" } }),
        ]);
        const statuses = [a.status, b.status].sort();
        const members = await jsonBody<{ members: Array<{ role: string }> }>(await server.request(`/api/v0/orgs/${org.id}/members`, { token: first.token }));
        expect(members.members.filter((entry) => entry.role === "owner")).toHaveLength(1);
        // The loser is refused: either it saw the last owner (409), or it was demoted first and lost the right (403).
        expect(statuses[0]).toBe(200);
        expect([403, 409]).toContain(statuses[1]);
        // Make both owners again for the next round.
        const winner = members.members.length;
        expect(winner).toBe(2);
        const ownerToken = a.status === 200 ? first.token : second.token;
        const demotedId = a.status === 200 ? second.user.id : first.user.id;
        expect((await server.request(`/api/v0/orgs/${org.id}/members/${demotedId}`, { method: "PATCH", token: ownerToken, json: { role: "owner" } })).status).toBe(200);
      }
    });

    it("a removed member's next request already sees no org", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const member = await join(owner, org.id);
      await server.request("/api/v0/auth/session/org", { token: member.token, json: { org_id: org.id } });
      expect(await session(member)).toMatchObject({ org_id: org.id, org_role: "member" });
      expect((await server.request(`/api/v0/orgs/${org.id}/members/${member.user.id}`, { method: "DELETE", token: owner.token })).status).toBe(204);
      expect(await session(member)).toMatchObject({ org_id: null, org_role: null });
      expect((await server.request(`/api/v0/orgs/${org.id}/members`, { token: member.token })).status).toBe(404);
      // The sessions list says the same.
      const listed = await jsonBody<{ sessions: Array<{ org_id: string | null }> }>(await server.request("/api/v0/auth/sessions", { token: member.token }));
      expect(listed.sessions.every((entry) => entry.org_id === null)).toBe(true);
    });

    it("deleting the org takes its memberships and clears it from every session", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const member = await join(owner, org.id);
      await server.request("/api/v0/auth/session/org", { token: member.token, json: { org_id: org.id } });
      expect((await server.request(`/api/v0/orgs/${org.id}`, { method: "DELETE", token: owner.token })).status).toBe(204);
      expect(await session(owner)).toMatchObject({ org_id: null });
      expect(await session(member)).toMatchObject({ org_id: null });
      expect((await jsonBody<{ orgs: unknown[] }>(await server.request("/api/v0/orgs", { token: member.token }))).orgs).toEqual([]);
    });
  });

  describe.skipIf(!target.available)("invitations", () => {
    it("mails a link with the token in its fragment, lists and revokes it without the token, and works once", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner, "Acme");
      const grace = await verifiedPerson("grace@example.com");
      const { invitation, token } = await invite(owner, org.id, "Grace@Example.com", "admin");
      expect(invitation).toMatchObject({ id: expect.stringMatching(/^inv_/), email: "grace@example.com", role: "admin" });
      expect(JSON.stringify(invitation)).not.toContain(token);
      const listed = await server.request(`/api/v0/orgs/${org.id}/invitations`, { token: owner.token });
      expect(JSON.stringify(await jsonBody(listed))).not.toContain(token);
      expect(server.logs.text).not.toContain(token);

      const accepted = await server.request("/api/v0/org-invitations/accept", { token: grace.token, json: { token } });
      expect(accepted.status).toBe(200);
      expect(await jsonBody(accepted)).toMatchObject({ org: { id: org.id, name: "Acme" }, role: "admin" });
      // Grace had no active org: now she has this one.
      expect(await session(grace)).toMatchObject({ org_id: org.id, org_role: "admin" });
      const again = await server.request("/api/v0/org-invitations/accept", { token: grace.token, json: { token } });
      expect(again.status).toBe(400);
      expect(await errorCode(again)).toBe("invite_invalid");
      const exists = await server.request(`/api/v0/orgs/${org.id}/invitations`, { token: owner.token, json: { email: grace.email, role: "member" } });
      expect(await errorCode(exists)).toBe("org_member_exists");
    });

    it("a signed-in user of another address is told, and uses nothing up", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const { token } = await invite(owner, org.id, "grace@example.com");
      const mallory = await verifiedPerson("mallory@example.com");
      const mismatch = await server.request("/api/v0/org-invitations/accept", { token: mallory.token, json: { token } });
      expect(mismatch.status).toBe(403);
      const envelope = await jsonBody<{ error: { code: string; message: string } }>(mismatch);
      expect(envelope.error.code).toBe("invite_email_mismatch");
      expect(envelope.error.message).toContain("g***@example.com");
      const grace = await verifiedPerson("grace@example.com");
      expect((await server.request("/api/v0/org-invitations/accept", { token: grace.token, json: { token } })).status).toBe(200);
    });

    it("a new invitation replaces the old one's link; a revoked one stops working; members cannot invite", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const first = await invite(owner, org.id, "grace@example.com");
      const second = await invite(owner, org.id, "grace@example.com");
      const grace = await verifiedPerson("grace@example.com");
      expect(await errorCode(await server.request("/api/v0/org-invitations/accept", { token: grace.token, json: { token: first.token } }))).toBe("invite_invalid");

      const revoked = await server.request(`/api/v0/orgs/${org.id}/invitations/${second.invitation.id}`, { method: "DELETE", token: owner.token });
      expect(revoked.status).toBe(204);
      expect(await errorCode(await server.request("/api/v0/org-invitations/accept", { token: grace.token, json: { token: second.token } }))).toBe("invite_invalid");
      expect(await errorCode(await server.request(`/api/v0/orgs/${org.id}/invitations/${second.invitation.id}`, { method: "DELETE", token: owner.token }))).toBe("invite_not_found");

      const member = await join(owner, org.id);
      const refused = await server.request(`/api/v0/orgs/${org.id}/invitations`, { token: member.token, json: { email: "x@example.com", role: "member" } });
      expect(await errorCode(refused)).toBe("insufficient_org_role");
      const admin = await join(owner, org.id, "admin");
      const ownerInvite = await server.request(`/api/v0/orgs/${org.id}/invitations`, { token: admin.token, json: { email: "y@example.com", role: "owner" } });
      expect(await errorCode(ownerInvite)).toBe("insufficient_org_role");
      for (const json of [{ email: "not-an-address", role: "member" }, { email: "z@example.com", role: "root" }, { email: "z@example.com" }]) {
        const response = await server.request(`/api/v0/orgs/${org.id}/invitations`, { token: admin.token, json });
        expect({ json, status: response.status }).toEqual({ json, status: 400 });
      }
      for (const token of ["", "hin_short", `hmt_${"A".repeat(43)}`, `hin_${"A".repeat(43)}`]) {
        expect(await errorCode(await server.request("/api/v0/org-invitations/accept", { token: grace.token, json: { token } }))).toBe("invite_invalid");
      }
    });

    it("expires after 7 days", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const { token } = await invite(owner, org.id, "grace@example.com");
      server.clock.advance(7 * 24 * 60 * 60 * 1000);
      const grace = await verifiedPerson("grace@example.com");
      expect(await errorCode(await server.request("/api/v0/org-invitations/accept", { token: grace.token, json: { token } }))).toBe("invite_invalid");
    });

    it("of 20 concurrent accepts of one invitation, exactly one succeeds", async () => {
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const { token } = await invite(owner, org.id, "grace@example.com");
      const grace = await verifiedPerson("grace@example.com");
      const sessions = [grace.token];
      for (let index = 1; index < 20; index++) {
        sessions.push((await jsonBody<{ token: string }>(await server.request("/api/v0/auth/login", { json: { email: grace.email, password: grace.password } }))).token);
      }
      const answers = await Promise.all(sessions.map((each) => server.request("/api/v0/org-invitations/accept", { token: each, json: { token } })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, ...Array<number>(19).fill(400)]);
    });

    it("rate-limits invitations per org and per inviter", async () => {
      await server.close();
      server = await createTestServerWithMail(await target.create(), {
        HARMONT_LIMIT_INVITATIONS_PER_ORG: "2",
        HARMONT_LIMIT_INVITATIONS_PER_INVITER: "4",
        HARMONT_LIMIT_SIGNUP_PER_IP: "0",
      });
      const owner = await verifiedPerson();
      const org = await createOrg(owner);
      const send = (orgId: string, email: string) => server.request(`/api/v0/orgs/${orgId}/invitations`, { token: owner.token, json: { email, role: "member" } });
      expect((await send(org.id, "a@example.com")).status).toBe(201);
      expect((await send(org.id, "b@example.com")).status).toBe(201);
      expect((await send(org.id, "c@example.com")).status).toBe(429);
      // Another org of the same inviter has its own budget, but the inviter's runs out.
      const second = await createOrg(owner, "Second");
      expect((await send(second.id, "d@example.com")).status).toBe(201);
      const member = await join(owner, second.id);
      expect((await send(second.id, "e@example.com")).status).toBe(429);
      // A member without the right spends nothing of the org's budget.
      const refused = await server.request(`/api/v0/orgs/${second.id}/invitations`, { token: member.token, json: { email: "f@example.com", role: "member" } });
      expect(refused.status).toBe(403);
    });
  });
});
