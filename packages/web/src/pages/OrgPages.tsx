/**
 * Organizations in the web app: creating one, its page (members with their roles, invitations,
 * leaving, deleting), and accepting an invitation from its link.
 */
import {
  acceptOrgInvitation,
  changeOrgMemberRole,
  createOrg,
  createOrgInvitation,
  deleteOrg,
  getOrg,
  listOrgInvitations,
  listOrgMembers,
  removeOrgMember,
  revokeOrgInvitation,
  type Org,
  type OrgInvitation,
  type OrgMember,
  type OrgRole,
} from "@harmont/cloud";
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { Button, Card, Field, Loading, Notice, Page } from "../components/ui";
import { formatAbsolute, formatRelative } from "../format";
import { currentInvitationToken, finishInvitation } from "../invitation-token";
import { signInPath } from "../return-path";
import { Link, Navigate, navigate } from "../router";
import { useSession } from "../session";

const roleNames: Record<OrgRole, string> = { owner: "Owner", admin: "Admin", member: "Member" };

function RoleSelect({ value, label, roles, disabled, onChange }: { value: OrgRole; label: string; roles: OrgRole[]; disabled?: boolean; onChange: (role: OrgRole) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <select id={id} className="field__input" value={value} disabled={disabled} onChange={(event) => onChange(event.target.value as OrgRole)}>
        {roles.map((role) => (
          <option key={role} value={role}>
            {roleNames[role]}
          </option>
        ))}
      </select>
    </div>
  );
}

export function CreateOrgPage() {
  const { state, refresh } = useSession();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  if (state.status === "signed-out") return <Navigate to={signInPath("/orgs/new")} />;
  if (state.status !== "signed-in") return <Loading />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const outcome = await run(createOrg({ client: harmont, body: { name: name.trim(), ...(slug.trim() ? { slug: slug.trim() } : {}) } }));
    setBusy(false);
    if (!outcome.ok) {
      setProblem(outcome.problem);
      return;
    }
    await refresh();
    navigate(`/orgs/${outcome.data.id}`, { replace: true });
  };

  return (
    <Page title="New organization" heading="Create an organization" lead="A team to share with: you become its owner and can invite others.">
      <Card>
        {state.user.email_verified ? null : (
          <Notice tone="info">
            Verify your email address first (on <Link to="/account">your account</Link>): organizations need a confirmed address.
          </Notice>
        )}
        {problem ? <Notice tone="error">{problem.message}</Notice> : null}
        <form className="form" onSubmit={(event) => void submit(event)} aria-label="Create an organization">
          <Field label="Name" name="org-name" required maxLength={100} placeholder="Acme" value={name} onChange={(event) => setName(event.target.value)} />
          <Field
            label="Slug (optional)"
            name="org-slug"
            maxLength={40}
            placeholder="acme"
            hint="Lowercase letters, digits and dashes; the CLI switches with it (harmont switch acme)."
            value={slug}
            onChange={(event) => setSlug(event.target.value.toLowerCase())}
          />
          <div className="actions">
            <Button type="submit" busy={busy}>
              Create organization
            </Button>
          </div>
        </form>
      </Card>
    </Page>
  );
}

export function OrgPage({ orgId }: { orgId: string }) {
  const { state, refresh } = useSession();
  const [org, setOrg] = useState<{ org: Org; role: OrgRole } | null>(null);
  const [members, setMembers] = useState<OrgMember[] | null>(null);
  const [invitations, setInvitations] = useState<OrgInvitation[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [missing, setMissing] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [inviteEmail, setInviteEmail] = useState("");
  const [inviteRole, setInviteRole] = useState<OrgRole>("member");
  const [confirmDelete, setConfirmDelete] = useState(false);
  const signedIn = state.status === "signed-in" ? state : null;

  const load = useCallback(async () => {
    const read = await run(getOrg({ client: harmont, path: { org_id: orgId } }));
    if (!read.ok) {
      if (read.problem.status === 404) setMissing(true);
      else setProblem(read.problem);
      return;
    }
    setOrg(read.data);
    const listed = await run(listOrgMembers({ client: harmont, path: { org_id: orgId } }));
    if (listed.ok) setMembers(listed.data.members);
    if (read.data.role !== "member") {
      const pending = await run(listOrgInvitations({ client: harmont, path: { org_id: orgId } }));
      if (pending.ok) setInvitations(pending.data.invitations);
    }
  }, [orgId]);

  useEffect(() => {
    if (signedIn) void load();
  }, [load, signedIn !== null]); // eslint-disable-line react-hooks/exhaustive-deps

  if (state.status === "signed-out") return <Navigate to={signInPath(`/orgs/${orgId}`)} />;
  if (!signedIn) return <Loading />;
  if (missing) {
    return (
      <Page title="Organization" heading="No such organization">
        <Card>
          <p>It does not exist, or you are not a member of it.</p>
          <div className="actions">
            <Link to="/account">Back to your account</Link>
          </div>
        </Card>
      </Page>
    );
  }
  if (!org) return problem ? <Notice tone="error">{problem.message}</Notice> : <Loading />;

  const myRole = org.role;
  const canManage = myRole !== "member";
  const act = async (key: string, work: () => Promise<{ ok: boolean; problem?: Problem }>, done?: string) => {
    setBusy(key);
    setProblem(null);
    setMessage(null);
    const outcome = await work();
    setBusy(null);
    if (!outcome.ok) {
      setProblem(outcome.problem ?? null);
      return false;
    }
    if (done) setMessage(done);
    return true;
  };
  const rolesFor = (member: OrgMember): OrgRole[] => (myRole === "owner" ? ["owner", "admin", "member"] : member.role === "owner" ? ["owner"] : ["admin", "member"]);

  const invite = async (event: FormEvent) => {
    event.preventDefault();
    const sent = await act("invite", () => run(createOrgInvitation({ client: harmont, path: { org_id: orgId }, body: { email: inviteEmail.trim(), role: inviteRole } })), `Invitation sent to ${inviteEmail.trim()}.`);
    if (sent) {
      setInviteEmail("");
      await load();
    }
  };

  return (
    <Page title={org.org.name} heading={org.org.name} lead={`${org.org.slug ? `${org.org.slug} · ` : ""}you are ${myRole === "member" ? "a member" : `an ${myRole}`}`} width="wide">
      {problem ? <Notice tone="error">{problem.message}</Notice> : null}
      {message ? <Notice tone="success">{message}</Notice> : null}
      <Card className="sessions">
        <h2 className="section-title">Members</h2>
        {members === null ? (
          <Loading label="Loading members…" />
        ) : (
          <ul className="session-list" aria-label="Members">
            {members.map((member) => {
              const self = member.user.id === signedIn.user.id;
              const mayChange = canManage && !self && (myRole === "owner" || member.role !== "owner");
              return (
                <li key={member.user.id} className="session">
                  <span className="avatar" aria-hidden="true">
                    {(member.user.name ?? member.user.email).slice(0, 1).toUpperCase()}
                  </span>
                  <div className="session__text">
                    <div className="session__title">
                      <span className="session__name">{member.user.name ?? member.user.email}</span>
                      {self ? <span className="badge badge--accent">You</span> : null}
                    </div>
                    <p className="session__times">
                      {member.user.name ? `${member.user.email} · ` : ""}joined{" "}
                      <time dateTime={member.joined_at} title={formatAbsolute(member.joined_at)}>
                        {formatRelative(member.joined_at)}
                      </time>
                    </p>
                  </div>
                  {mayChange ? (
                    <RoleSelect
                      label={`Role of ${member.user.email}`}
                      value={member.role}
                      roles={rolesFor(member)}
                      disabled={busy !== null}
                      onChange={(role) =>
                        void act(`role-${member.user.id}`, () => run(changeOrgMemberRole({ client: harmont, path: { org_id: orgId, user_id: member.user.id }, body: { role } })), `${member.user.email} is now ${roleNames[role].toLowerCase()}.`).then(() => load())
                      }
                    />
                  ) : (
                    <span className="badge">{roleNames[member.role]}</span>
                  )}
                  {mayChange ? (
                    <Button
                      variant="secondary"
                      className="session__action"
                      disabled={busy !== null}
                      aria-label={`Remove ${member.user.email}`}
                      onClick={() => void act(`remove-${member.user.id}`, () => run(removeOrgMember({ client: harmont, path: { org_id: orgId, user_id: member.user.id } })), `Removed ${member.user.email}.`).then(() => load())}
                    >
                      Remove
                    </Button>
                  ) : null}
                </li>
              );
            })}
          </ul>
        )}
      </Card>
      {canManage ? (
        <Card className="sessions">
          <h2 className="section-title">Invitations</h2>
          <p className="muted">An invitation works once, for that address only, for 7 days. The link is in the mail; nobody else sees it.</p>
          <form className="inline-form" onSubmit={(event) => void invite(event)} aria-label="Invite someone">
            <Field label="Email address" name="invite-email" type="email" required value={inviteEmail} onChange={(event) => setInviteEmail(event.target.value)} />
            <RoleSelect label="Role" value={inviteRole} roles={myRole === "owner" ? ["member", "admin", "owner"] : ["member", "admin"]} onChange={setInviteRole} />
            <Button type="submit" busy={busy === "invite"} disabled={busy !== null}>
              Send invitation
            </Button>
          </form>
          {invitations && invitations.length > 0 ? (
            <ul className="session-list" aria-label="Pending invitations">
              {invitations.map((invitation) => (
                <li key={invitation.id} className="session">
                  <div className="session__text">
                    <div className="session__title">
                      <span className="session__name">{invitation.email}</span>
                      <span className="badge">{roleNames[invitation.role]}</span>
                    </div>
                    <p className="session__times">
                      expires{" "}
                      <time dateTime={invitation.expires_at} title={formatAbsolute(invitation.expires_at)}>
                        {formatRelative(invitation.expires_at)}
                      </time>
                    </p>
                  </div>
                  <Button
                    variant="secondary"
                    className="session__action"
                    disabled={busy !== null}
                    aria-label={`Revoke the invitation of ${invitation.email}`}
                    onClick={() => void act(`revoke-${invitation.id}`, () => run(revokeOrgInvitation({ client: harmont, path: { org_id: orgId, invitation_id: invitation.id } })), `Revoked the invitation of ${invitation.email}.`).then(() => load())}
                  >
                    Revoke
                  </Button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No pending invitations.</p>
          )}
        </Card>
      ) : null}
      <Card className="settings danger-card">
        <h2 className="section-title">Leave or delete</h2>
        <div className="actions">
          <Button
            variant="secondary"
            disabled={busy !== null}
            onClick={() =>
              void act("leave", () => run(removeOrgMember({ client: harmont, path: { org_id: orgId, user_id: signedIn.user.id } }))).then(async (left) => {
                if (!left) return;
                await refresh();
                navigate("/account", { replace: true });
              })
            }
          >
            Leave {org.org.name}
          </Button>
          {myRole === "owner" ? (
            confirmDelete ? (
              <Button
                variant="danger"
                busy={busy === "delete"}
                onClick={() =>
                  void act("delete", () => run(deleteOrg({ client: harmont, path: { org_id: orgId } }))).then(async (deleted) => {
                    if (!deleted) return;
                    await refresh();
                    navigate("/account", { replace: true });
                  })
                }
              >
                Yes, delete {org.org.name} for everyone
              </Button>
            ) : (
              <Button variant="danger" onClick={() => setConfirmDelete(true)}>
                Delete organization…
              </Button>
            )
          ) : null}
        </div>
      </Card>
    </Page>
  );
}

/** `/invitations`: the link from the mail. Sign in or sign up first, then accept. */
export function InvitationPage() {
  const { state, refresh, signOut } = useSession();
  const [token] = useState(currentInvitationToken);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ joined: { org: Org; role: OrgRole } } | { problem: Problem } | null>(null);

  if (!token && !outcome) {
    return (
      <Page title="Invitation" heading="No invitation here">
        <Card>
          <p>Open the link from the invitation mail again: it carries the invitation.</p>
        </Card>
      </Page>
    );
  }
  if (state.status === "loading") return <Loading />;
  if (state.status !== "signed-in") {
    return (
      <Page title="Invitation" heading="You were invited to join an organization" lead="Sign in, or create an account, with the address the invitation was sent to; then accept it here.">
        <Card>
          <div className="actions">
            <Link to={signInPath("/invitations")} className="button button--primary">
              Sign in
            </Link>
            <Link to={signInPath("/invitations", "/sign-up")} className="button button--secondary">
              Create an account
            </Link>
          </div>
        </Card>
      </Page>
    );
  }

  const accept = async () => {
    setBusy(true);
    const answer = await run(acceptOrgInvitation({ client: harmont, body: { token: token! } }));
    setBusy(false);
    if (answer.ok) {
      finishInvitation();
      setOutcome({ joined: answer.data });
      await refresh();
      return;
    }
    // A mismatch keeps the token: the invited person can still accept it in this tab.
    if (answer.problem.code !== "invite_email_mismatch" && answer.problem.code !== "email_verification_required") finishInvitation();
    setOutcome({ problem: answer.problem });
  };

  if (outcome && "joined" in outcome) {
    return (
      <Page title="Invitation accepted" heading={`You joined ${outcome.joined.org.name}`} lead={`as ${roleNames[outcome.joined.role].toLowerCase()}`}>
        <Card>
          <div className="actions">
            <Link to={`/orgs/${outcome.joined.org.id}`} className="button button--primary">
              Open {outcome.joined.org.name}
            </Link>
          </div>
        </Card>
      </Page>
    );
  }

  const problem = outcome && "problem" in outcome ? outcome.problem : null;
  return (
    <Page title="Invitation" heading="You were invited to join an organization" lead={`Signed in as ${state.user.email}.`}>
      <Card>
        {problem ? (
          <Notice tone="error">
            {problem.code === "invite_email_mismatch" ? `${problem.message} You are signed in as ${state.user.email}.` : problem.message}
          </Notice>
        ) : null}
        <div className="actions">
          {problem?.code === "invite_email_mismatch" ? (
            <Button variant="secondary" onClick={() => void signOut()}>
              Sign out, then sign in with that address
            </Button>
          ) : problem?.code === "email_verification_required" ? (
            <Link to="/account" className="button button--secondary">
              Verify your email address
            </Link>
          ) : problem ? null : (
            <Button busy={busy} onClick={() => void accept()}>
              Accept invitation
            </Button>
          )}
        </div>
      </Card>
    </Page>
  );
}
