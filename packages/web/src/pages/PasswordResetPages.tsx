/**
 * `/forgot-password` (ask for a link: every answer looks the same) and `/reset-password` (the
 * link from the mail: its token leaves the address bar before the first render and is kept in
 * memory only; checking it uses nothing up; the new password signs nobody in). An account with
 * two-step verification also gives a code (from the app, or a backup code): the mailbox alone
 * must not be enough to take it over.
 */
import { checkPasswordReset, completePasswordReset, requestPasswordReset, type PasswordResetState } from "@harmont/cloud";
import { useEffect, useState, type FormEvent } from "react";
import { harmont, run } from "../api";
import { CodeMethodSwitch, SecondFactorCodeField, codeBody, invalidCodeMessage, type CodeMethod } from "../components/second-factor";
import { tokenFromFragment } from "../fragment-token";
import { Button, Card, Field, Loading, Notice, Page } from "../components/ui";
import { Link } from "../router";

export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<{ to: string; minutes: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const outcome = await run(requestPasswordReset({ client: harmont, body: { email: email.trim() } }));
    setBusy(false);
    if (!outcome.ok) {
      setError(outcome.problem.message);
      return;
    }
    setSent({ to: email.trim(), minutes: Math.round(outcome.data.expires_in / 60) });
  };

  return (
    <Page title="Forgot password" heading="Reset your password" lead="We mail you a link to choose a new one.">
      <Card>
        {sent ? (
          <Notice tone="success">
            If an account exists for {sent.to}, we sent it a link. It works once, within {sent.minutes} minutes.
          </Notice>
        ) : (
          <form className="form" onSubmit={(event) => void submit(event)} aria-label="Ask for a reset link">
            {error ? <Notice tone="error">{error}</Notice> : null}
            <Field label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(event) => setEmail(event.target.value)} />
            <Button type="submit" busy={busy} className="button--block">
              Mail me a link
            </Button>
          </form>
        )}
      </Card>
      <p className="page__footnote">
        Remembered it? <Link to="/sign-in">Sign in</Link>. No password at all? Sign in with an email code.
      </p>
    </Page>
  );
}

/** The token of a `#token=hrt_…` fragment, taken once: it is never stored. */
let resetTokenFromLink: string | null = null;

/** Called before the app renders: moves the reset token from the address bar into memory. */
export function captureResetToken(appPath: string, hash: string, replaceAddress: (path: string) => void): void {
  if (appPath !== "/reset-password" || hash === "") return;
  resetTokenFromLink = tokenFromFragment(hash, "hrt_");
  replaceAddress("/reset-password");
}

export function ResetPasswordPage() {
  const [token] = useState(() => resetTokenFromLink);
  const [state, setState] = useState<PasswordResetState | "checking" | "invalid">(token ? "checking" : "invalid");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [method, setMethod] = useState<CodeMethod>("totp");
  const [code, setCode] = useState("");
  // Also when the check said no but two-step verification was turned on since.
  const [codeAsked, setCodeAsked] = useState(false);
  const needsCode = codeAsked || (typeof state === "object" && state.second_factor_required);

  useEffect(() => {
    if (!token) return;
    void run(checkPasswordReset({ client: harmont, body: { token } })).then((outcome) => setState(outcome.ok ? outcome.data : "invalid"));
  }, [token]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const secondFactor = needsCode ? { second_factor: { method, code: codeBody(method, code) } } : {};
    const outcome = await run(completePasswordReset({ client: harmont, body: { token: token!, new_password: password, ...secondFactor } }));
    setBusy(false);
    if (!outcome.ok) {
      const { code: failure, message } = outcome.problem;
      if (failure === "password_reset_invalid") setState("invalid");
      else if (failure === "second_factor_invalid") {
        setCode("");
        setError(invalidCodeMessage(method, message));
      } else {
        if (failure === "second_factor_required") setCodeAsked(true);
        setError(message);
      }
      return;
    }
    resetTokenFromLink = null;
    setDone(true);
  };

  if (done) {
    return (
      <Page title="Password changed" heading="Password changed" lead="Every session and API token of the account was signed out. Sign in with the new password.">
        <Card>
          <div className="actions">
            <Link to="/sign-in" className="button button--primary">
              Sign in
            </Link>
          </div>
        </Card>
      </Page>
    );
  }
  if (state === "checking") return <Loading label="Checking the link…" />;
  if (state === "invalid") {
    return (
      <Page title="Reset link" heading="This link no longer works">
        <Card>
          <p>It has expired, was already used, or a newer link was sent since. Only the newest link works, once, for 30 minutes.</p>
          <div className="actions">
            <Link to="/forgot-password" className="button button--primary">
              Ask for a new link
            </Link>
          </div>
        </Card>
      </Page>
    );
  }
  return (
    <Page title="Choose a new password" heading="Choose a new password" lead={`For ${state.email_hint}.`}>
      <Card>
        <form className="form" onSubmit={(event) => void submit(event)} aria-label="Choose a new password">
          {error ? <Notice tone="error">{error}</Notice> : null}
          {needsCode ? (
            <>
              <p className="muted">The account has two-step verification: give a code as well.</p>
              <SecondFactorCodeField method={method} value={code} onChange={setCode} />
              <div className="second-step__links">
                <CodeMethodSwitch
                  method={method}
                  disabled={busy}
                  onChange={(next) => {
                    setMethod(next);
                    setCode("");
                    setError(null);
                  }}
                />
              </div>
            </>
          ) : null}
          <Field
            label="New password"
            type="password"
            name="new-password"
            autoComplete="new-password"
            minLength={8}
            required
            hint="At least 8 characters; a few words work well. Every session is signed out afterwards."
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <Button type="submit" busy={busy} className="button--block">
            Set the new password
          </Button>
        </form>
      </Card>
    </Page>
  );
}
