/**
 * The account page's settings: the display name, the password, the notice of new CLI sessions,
 * and deleting the account.
 */
import { changePassword, deleteAccount, getUserSettings, updateUser, type AccountSettings, type User } from "@harmont/cloud";
import { useEffect, useId, useState, type FormEvent } from "react";
import { harmont, run } from "../api";
import { Button, Card, Field, Notice } from "../components/ui";
import { navigate } from "../router";
import { useSession } from "../session";

type Message = { tone: "error" | "success"; text: string } | null;

/**
 * The password asked again before deleting the account or changing how it signs in. The page
 * cannot tell whether the account has a password (nothing it reads says so), so, as with the
 * current password in "Change password", the field is always there and may be left empty: the
 * server then accepts a sign-in made in the last 15 minutes instead, and says so when it is older.
 */
export function ConfirmPasswordField({ value, onChange }: { value: string; onChange(value: string): void }) {
  return (
    <Field
      label="Your password"
      name="password"
      type="password"
      autoComplete="current-password"
      hint="No password (you sign in with email codes)? Leave it empty; you must have signed in within the last 15 minutes."
      value={value}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

/** The request's `password`: left out when the field was left empty. */
export function passwordBody(password: string): { password?: string } {
  return password === "" ? {} : { password };
}

export function ProfileSettings({ user }: { user: User }) {
  const { refresh } = useSession();
  const noticeId = useId();
  const [name, setName] = useState(user.name ?? "");
  const [busy, setBusy] = useState<"name" | "notice" | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const [settings, setSettings] = useState<AccountSettings | null>(null);

  useEffect(() => {
    void run(getUserSettings({ client: harmont })).then((outcome) => {
      if (outcome.ok) setSettings(outcome.data);
    });
  }, []);

  const saveName = async (event: FormEvent) => {
    event.preventDefault();
    setBusy("name");
    setMessage(null);
    const outcome = await run(updateUser({ client: harmont, body: { name: name.trim() === "" ? null : name } }));
    setBusy(null);
    if (!outcome.ok) {
      setMessage({ tone: "error", text: outcome.problem.message });
      return;
    }
    setName(outcome.data.user.name ?? "");
    setMessage({ tone: "success", text: outcome.data.user.name ? `Your name is now “${outcome.data.user.name}”.` : "Your name was removed." });
    await refresh();
  };

  const setNotice = async (on: boolean) => {
    if (!settings) return;
    const before = settings;
    // The box follows the click at once; a refusal puts it back and says why.
    setSettings({ ...settings, notify_new_cli_sessions: on });
    setBusy("notice");
    setMessage(null);
    const outcome = await run(updateUser({ client: harmont, body: { notify_new_cli_sessions: on } }));
    setBusy(null);
    if (!outcome.ok) {
      setSettings(before);
      setMessage({ tone: "error", text: outcome.problem.message });
      return;
    }
    setSettings(outcome.data.settings);
  };

  return (
    <Card className="settings">
      <h2 className="section-title">Profile</h2>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      <form className="inline-form" onSubmit={(event) => void saveName(event)} aria-label="Display name">
        <Field label="Display name" name="name" autoComplete="name" maxLength={100} value={name} onChange={(event) => setName(event.target.value)} />
        <Button type="submit" variant="secondary" busy={busy === "name"} disabled={busy !== null}>
          Save name
        </Button>
      </form>
      <label className="checkbox" htmlFor={noticeId}>
        <input
          id={noticeId}
          type="checkbox"
          checked={settings?.notify_new_cli_sessions ?? true}
          disabled={settings === null || busy === "name"}
          onChange={(event) => void setNotice(event.target.checked)}
        />
        <span>Email me when a new CLI session is created for my account</span>
      </label>
    </Card>
  );
}

export function PasswordSettings() {
  const { refresh } = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    const outcome = await run(
      changePassword({ client: harmont, body: { ...(current === "" ? {} : { current_password: current }), new_password: next } }),
    );
    setBusy(false);
    if (!outcome.ok) {
      if (outcome.problem.status === 401 && outcome.problem.code === "unauthorized") await refresh();
      setMessage({ tone: "error", text: outcome.problem.message });
      return;
    }
    setCurrent("");
    setNext("");
    setMessage({ tone: "success", text: "Password changed. Your other sessions were signed out; API tokens keep working." });
  };

  return (
    <Card className="settings">
      <h2 className="section-title">Password</h2>
      <p className="muted">Changing it signs out every other browser and CLI. Signed up with an email code? Leave the current password empty to set one.</p>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      <form className="form" onSubmit={(event) => void submit(event)} aria-label="Change password">
        <Field label="Current password" name="current-password" type="password" autoComplete="current-password" value={current} onChange={(event) => setCurrent(event.target.value)} />
        <Field
          label="New password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
          hint="At least 8 characters; a few words work well."
          value={next}
          onChange={(event) => setNext(event.target.value)}
        />
        <div className="actions">
          <Button type="submit" variant="secondary" busy={busy}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}

export function DeleteAccount() {
  const { refresh } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    const outcome = await run(deleteAccount({ client: harmont, body: passwordBody(password) }));
    setBusy(false);
    if (!outcome.ok) {
      setMessage({ tone: "error", text: outcome.problem.message });
      return;
    }
    const due = outcome.data.due_at;
    navigate(due ? `/account/deleted?due=${encodeURIComponent(due)}` : "/account/deleted", { replace: true });
    await refresh();
  };

  return (
    <Card className="settings danger-card">
      <h2 className="section-title">Delete account</h2>
      {confirming ? (
        <form className="form" onSubmit={(event) => void submit(event)} aria-label="Confirm deleting your account">
          <p>
            Every browser, CLI and API token is signed out at once. The account is deleted after a grace period; signing in before then keeps
            it.
          </p>
          {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
          <ConfirmPasswordField value={password} onChange={setPassword} />
          <div className="actions">
            <Button type="submit" variant="danger" busy={busy}>
              Delete my account
            </Button>
            <Button variant="quiet" disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className="danger-zone danger-zone--plain">
          <p className="muted">Your sessions, API tokens and the account itself are deleted.</p>
          <Button variant="danger" onClick={() => setConfirming(true)}>
            Delete account…
          </Button>
        </div>
      )}
    </Card>
  );
}
