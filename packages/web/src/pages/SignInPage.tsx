/**
 * Sign in with a password or with a code sent by mail. Both ask the server for a cookie session
 * (`session: "cookie"`), so no token ever reaches this page. Afterwards the person goes back to
 * where they came from (`?return=`, same-origin paths only), for example a CLI login waiting for
 * approval.
 *
 * An account with two-step verification gets no session from the first step: the server answers
 * 202 with a challenge, and the page asks for the second step (SecondFactorStep.tsx) before going
 * anywhere.
 */
import { login, requestEmailCode, verifyEmailCode, type LoginResponse, type SecondFactorRequired } from "@harmont/cloud";
import { useState, type FormEvent } from "react";
import { harmont, run } from "../api";
import { MailIcon } from "../components/icons";
import { Button, Card, Field, Loading, Notice, Page } from "../components/ui";
import { safeReturnPath, signInPath } from "../return-path";
import { Link, Navigate, navigate, useLocation } from "../router";
import { useSession } from "../session";
import { SecondFactorStep } from "./SecondFactorStep";

export function useReturnPath(): string | null {
  const { search } = useLocation();
  return safeReturnPath(new URLSearchParams(search).get("return"));
}

/** What the person is about to do, when they arrived from a CLI login or a device login. */
export function ReturnContext({ returnTo }: { returnTo: string | null }) {
  if (returnTo === "/device") {
    return <Notice tone="info">Sign in to approve the login of your terminal or device. You will come back to its code afterwards.</Notice>;
  }
  if (!returnTo?.startsWith("/cli-login")) return null;
  return (
    <Notice tone="info">
      Sign in to continue the login you started in your terminal. You will come back to the approval page afterwards.
    </Notice>
  );
}

type Method = "password" | "code";

/** The 202 answer of a first step, told apart from a 200 `SignedIn`. */
function secondFactorOf(answer: LoginResponse): SecondFactorRequired | null {
  return "second_factor_required" in answer && answer.second_factor_required ? answer : null;
}

export function SignInPage() {
  const { state, refresh } = useSession();
  const returnTo = useReturnPath();
  const [method, setMethod] = useState<Method>("password");
  const [email, setEmail] = useState("");
  const [completing, setCompleting] = useState(false);
  // The challenge of a sign-in waiting for its second step: in memory only, gone with this page.
  const [challenge, setChallenge] = useState<SecondFactorRequired | null>(null);
  // Why the person is back at the first step after a second step that did not finish.
  const [restartNotice, setRestartNotice] = useState<string | null>(null);

  if (state.status === "signed-in" && !completing) return <Navigate to={returnTo ?? "/account"} />;

  const finish = async () => {
    setCompleting(true);
    const next = await refresh();
    if (next.status === "signed-in") navigate(returnTo ?? "/account", { replace: true });
    setCompleting(false);
  };

  if (completing) return <Loading label="Signing in…" />;

  const onSecondFactor = (next: SecondFactorRequired) => {
    setRestartNotice(null);
    setChallenge(next);
  };

  const chooseMethod = (next: Method) => {
    setRestartNotice(null);
    setMethod(next);
  };

  if (challenge) {
    return (
      <Page title="Two-step verification" heading="Sign in to Harmont" lead={`One more step to sign in as ${email.trim()}.`}>
        <ReturnContext returnTo={returnTo} />
        <Card>
          <SecondFactorStep
            challenge={challenge}
            onSignedIn={finish}
            onRestart={(message) => {
              setChallenge(null);
              setRestartNotice(message);
            }}
          />
        </Card>
      </Page>
    );
  }

  return (
    <Page title="Sign in" heading="Sign in to Harmont" lead="Welcome back. Use your password or get a one-time code by email.">
      <ReturnContext returnTo={returnTo} />
      <Card>
        <div className="segmented" role="group" aria-label="Sign-in method">
          <button type="button" className="segmented__option" aria-pressed={method === "password"} onClick={() => chooseMethod("password")}>
            Password
          </button>
          <button type="button" className="segmented__option" aria-pressed={method === "code"} onClick={() => chooseMethod("code")}>
            Email code
          </button>
        </div>
        {method === "password" ? (
          <PasswordForm email={email} onEmailChange={setEmail} onSignedIn={finish} onSecondFactor={onSecondFactor} initialError={restartNotice} />
        ) : (
          <EmailCodeForm email={email} onEmailChange={setEmail} onSignedIn={finish} onSecondFactor={onSecondFactor} initialError={restartNotice} />
        )}
      </Card>
      <p className="page__footnote">
        New to Harmont? <Link to={signInPath(returnTo, "/sign-up")}>Create an account</Link>
      </p>
    </Page>
  );
}

interface FormProps {
  email: string;
  onEmailChange(email: string): void;
  onSignedIn(): Promise<void>;
  /** The account has two-step verification: the first step was right, the second is next. */
  onSecondFactor(challenge: SecondFactorRequired): void;
  /** Shown until the next try: why a second step sent the person back here. */
  initialError: string | null;
}

function PasswordForm({ email, onEmailChange, onSignedIn, onSecondFactor, initialError }: FormProps) {
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(initialError);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const outcome = await run(login({ client: harmont, body: { email: email.trim(), password, session: "cookie" } }));
    setBusy(false);
    if (!outcome.ok) {
      setError(outcome.problem.message);
      return;
    }
    const challenge = secondFactorOf(outcome.data);
    if (challenge) {
      onSecondFactor(challenge);
      return;
    }
    await onSignedIn();
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-label="Sign in with a password">
      {error ? <Notice tone="error">{error}</Notice> : null}
      <Field label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(event) => onEmailChange(event.target.value)} />
      <Field label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
      <Button type="submit" busy={busy} className="button--block">
        Sign in
      </Button>
      <p className="muted form__aside">
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
    </form>
  );
}

function EmailCodeForm({ email, onEmailChange, onSignedIn, onSecondFactor, initialError }: FormProps) {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(initialError);
  const [info, setInfo] = useState<string | null>(null);

  const sendCode = async (address: string) => {
    setBusy(true);
    setError(null);
    setInfo(null);
    const outcome = await run(requestEmailCode({ client: harmont, body: { email: address } }));
    setBusy(false);
    if (!outcome.ok) {
      setError(outcome.problem.message);
      return;
    }
    const minutes = Math.round(outcome.data.expires_in / 60);
    setSentTo(address);
    setCode("");
    setInfo(`We sent an 8-digit code to ${address}. It works for ${minutes} minutes.`);
  };

  const verify = async (event: FormEvent) => {
    event.preventDefault();
    if (!sentTo) return;
    setBusy(true);
    setError(null);
    const outcome = await run(verifyEmailCode({ client: harmont, body: { email: sentTo, code: code.replace(/\D/g, ""), session: "cookie" } }));
    setBusy(false);
    if (!outcome.ok) {
      setError(outcome.problem.message);
      return;
    }
    const challenge = secondFactorOf(outcome.data);
    if (challenge) {
      onSecondFactor(challenge);
      return;
    }
    await onSignedIn();
  };

  if (!sentTo) {
    return (
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          void sendCode(email.trim());
        }}
        aria-label="Get a sign-in code by email"
      >
        {error ? <Notice tone="error">{error}</Notice> : null}
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => onEmailChange(event.target.value)}
          hint="No account yet? Signing in with a code creates one."
        />
        <Button type="submit" busy={busy} className="button--block">
          <MailIcon />
          Email me a code
        </Button>
      </form>
    );
  }

  return (
    <form className="form" onSubmit={(event) => void verify(event)} aria-label="Sign in with the code from your email">
      {info ? <Notice tone="success">{info}</Notice> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <Field
        label="Code from the email"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]{8,9}"
        maxLength={9}
        required
        autoFocus
        className="field__input field__input--code"
        value={code}
        onChange={(event) => setCode(event.target.value)}
      />
      <Button type="submit" busy={busy} className="button--block">
        Sign in
      </Button>
      <div className="form__links">
        <button type="button" className="link-button" disabled={busy} onClick={() => void sendCode(sentTo)}>
          Send a new code
        </button>
        <button
          type="button"
          className="link-button"
          disabled={busy}
          onClick={() => {
            setSentTo(null);
            setError(null);
            setInfo(null);
          }}
        >
          Use a different email
        </button>
      </div>
    </form>
  );
}
