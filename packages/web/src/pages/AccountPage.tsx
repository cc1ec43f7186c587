/**
 * The account page: who you are, every session (browsers and CLIs) with a way to revoke each,
 * sign out, sign out everywhere, API tokens, the profile and password, two-step verification, and
 * deleting the account.
 */
import { listSessions, logoutAll, resendVerificationEmail, revokeSession, verifyEmail, type Session, type User } from "@harmont/cloud";
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { BrowserIcon, TerminalIcon } from "../components/icons";
import { Button, Card, Field, Loading, Notice, Page } from "../components/ui";
import { formatAbsolute, formatRelative } from "../format";
import { signInPath } from "../return-path";
import { DeleteAccount, PasswordSettings, ProfileSettings } from "./AccountSettings";
import { ApiTokensPanel } from "./ApiTokensPanel";
import { SecondFactorPanel } from "./SecondFactorPanel";
import { Navigate } from "../router";
import { useSession } from "../session";

type ListedSession = Session & { current: boolean };

export function AccountPage() {
  const { state } = useSession();
  if (state.status === "signed-out") return <Navigate to={signInPath("/account")} />;
  if (state.status !== "signed-in") return <Loading />;
  // Keyed by the session: starting or ending a support session swaps whose account this is, and
  // nothing read for the one (sessions, tokens, a half-typed name) may linger for the other.
  return <Account key={state.session.id} user={state.user} />;
}

function Account({ user }: { user: User }) {
  const { signOut } = useSession();
  const [signingOut, setSigningOut] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  return (
    <Page title="Account" heading="Your account" width="wide">
      <Card className="profile">
        <span className="avatar avatar--large" aria-hidden="true">
          {(user.name ?? user.email).slice(0, 1).toUpperCase()}
        </span>
        <div className="profile__text">
          {user.name ? <strong className="profile__name">{user.name}</strong> : null}
          <span className="profile__email">{user.email}</span>
          <span className={`badge ${user.email_verified ? "badge--success" : "badge--warning"}`}>
            {user.email_verified ? "Email verified" : "Email not verified"}
          </span>
        </div>
        <Button
          variant="secondary"
          busy={signingOut}
          onClick={async () => {
            setSigningOut(true);
            setProblem(await signOut());
            setSigningOut(false);
          }}
        >
          Sign out
        </Button>
      </Card>
      {problem ? <Notice tone="error">{problem.message}</Notice> : null}
      {user.email_verified ? null : <VerifyEmail email={user.email} />}
      <Sessions />
      <ApiTokensPanel />
      <ProfileSettings user={user} />
      <PasswordSettings />
      <SecondFactorPanel />
      <DeleteAccount />
    </Page>
  );
}

function VerifyEmail({ email }: { email: string }) {
  const { refresh } = useSession();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState<"verify" | "resend" | null>(null);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy("verify");
    setMessage(null);
    const outcome = await run(verifyEmail({ client: harmont, body: { code: code.replace(/\D/g, "") } }));
    setBusy(null);
    if (!outcome.ok) {
      setMessage({ tone: "error", text: outcome.problem.message });
      return;
    }
    await refresh();
  };

  const resend = async () => {
    setBusy("resend");
    setMessage(null);
    const outcome = await run(resendVerificationEmail({ client: harmont }));
    setBusy(null);
    setMessage(outcome.ok ? { tone: "success", text: `A new code is on its way to ${email}.` } : { tone: "error", text: outcome.problem.message });
  };

  return (
    <Card className="verify">
      <h2 className="section-title">Confirm your email address</h2>
      <p className="muted">We sent an 8-digit code to {email} when you signed up. Confirming it proves the address is yours.</p>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      <form className="inline-form" onSubmit={(event) => void submit(event)} aria-label="Confirm your email address">
        <Field
          label="Confirmation code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={9}
          required
          className="field__input field__input--code"
          value={code}
          onChange={(event) => setCode(event.target.value)}
        />
        <Button type="submit" busy={busy === "verify"} disabled={busy !== null}>
          Confirm
        </Button>
        <Button variant="quiet" busy={busy === "resend"} disabled={busy !== null} onClick={() => void resend()}>
          Send a new code
        </Button>
      </form>
    </Card>
  );
}

/**
 * How a session came to be when a device login made it (and for which OAuth client), the device
 * (unless the name already says it) and the address it was last used from.
 */
function SessionWhere({ session }: { session: ListedSession }) {
  const device = session.device && !session.name.includes(session.device) ? session.device : null;
  const parts = [session.client_id ? `via device login (${session.client_id})` : null, device, session.ip ? `from ${session.ip}` : null].filter(Boolean);
  return parts.length > 0 ? <p className="session__where">{parts.join(" · ")}</p> : null;
}

function Sessions() {
  const { refresh } = useSession();
  const [sessions, setSessions] = useState<ListedSession[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [confirmingAll, setConfirmingAll] = useState(false);
  const [signingOutAll, setSigningOutAll] = useState(false);

  const load = useCallback(async () => {
    const outcome = await run(listSessions({ client: harmont }));
    if (!outcome.ok) {
      if (outcome.problem.status === 401) await refresh();
      else setProblem(outcome.problem);
      return;
    }
    setProblem(null);
    setSessions(outcome.data.sessions);
  }, [refresh]);

  useEffect(() => {
    void load();
    // Come back to the tab after logging in a terminal: the new session is listed.
    const onVisible = () => {
      if (document.visibilityState === "visible") void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [load]);

  const revoke = async (session: ListedSession) => {
    setRevoking(session.id);
    const outcome = await run(revokeSession({ client: harmont, path: { id: session.id } }));
    setRevoking(null);
    if (!outcome.ok && outcome.problem.status !== 404) {
      if (outcome.problem.status === 401) await refresh();
      else setProblem(outcome.problem);
      return;
    }
    setAnnouncement(`Revoked “${session.name}”.`);
    await load();
  };

  const signOutEverywhere = async () => {
    setSigningOutAll(true);
    const outcome = await run(logoutAll({ client: harmont }));
    setSigningOutAll(false);
    if (!outcome.ok && outcome.problem.status !== 401) {
      setProblem(outcome.problem);
      return;
    }
    await refresh();
  };

  return (
    <Card className="sessions">
      <div className="sessions__header">
        <div>
          <h2 className="section-title">Sessions</h2>
          <p className="muted">Browsers and terminals signed in to your account. Revoke any you do not recognise.</p>
        </div>
      </div>
      {problem ? <Notice tone="error">{problem.message}</Notice> : null}
      <p className="sr-only" role="status">
        {announcement}
      </p>
      {sessions === null ? (
        problem ? null : <Loading label="Loading sessions…" />
      ) : (
        <ul className="session-list" aria-label="Sessions">
          {sessions.map((session) => (
            <li key={session.id} className="session" data-session-kind={session.kind}>
              <span className="session__icon">{session.kind === "cli" ? <TerminalIcon /> : <BrowserIcon />}</span>
              <div className="session__text">
                <div className="session__title">
                  <span className="session__name">{session.name}</span>
                  <span className="badge">{session.kind === "cli" ? "CLI" : "Web"}</span>
                  {session.current ? <span className="badge badge--accent">This browser</span> : null}
                </div>
                <SessionWhere session={session} />
                <p className="session__times">
                  Signed in <time dateTime={session.created_at} title={formatAbsolute(session.created_at)}>{formatRelative(session.created_at)}</time>
                  <span aria-hidden="true"> · </span>
                  last used <time dateTime={session.last_used_at} title={formatAbsolute(session.last_used_at)}>{formatRelative(session.last_used_at)}</time>
                </p>
              </div>
              {session.current ? null : (
                <Button variant="secondary" className="session__action" busy={revoking === session.id} disabled={revoking !== null} aria-label={`Revoke ${session.name}`} onClick={() => void revoke(session)}>
                  Revoke
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="danger-zone">
        {confirmingAll ? (
          <div className="danger-zone__confirm" role="group" aria-label="Confirm signing out everywhere">
            <p>
              This signs out every browser and every CLI, this one included. Terminals will need <code>harmont login</code> again. API tokens
              keep working: revoke them below.
            </p>
            <div className="actions">
              <Button variant="danger" busy={signingOutAll} onClick={() => void signOutEverywhere()}>
                Yes, sign out everywhere
              </Button>
              <Button variant="quiet" disabled={signingOutAll} onClick={() => setConfirmingAll(false)}>
                Cancel
              </Button>
            </div>
          </div>
        ) : (
          <>
            <p className="muted">Lost a laptop, or see a session you do not recognise?</p>
            <Button variant="danger" onClick={() => setConfirmingAll(true)}>
              Sign out everywhere
            </Button>
          </>
        )}
      </div>
    </Card>
  );
}
