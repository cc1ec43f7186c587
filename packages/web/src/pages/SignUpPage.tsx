/** Create an account with a password; the session goes into the HttpOnly cookie. */
import { signup } from "@harmont/cloud";
import { useState, type FormEvent } from "react";
import { harmont, run } from "../api";
import { Button, Card, Field, Loading, Notice, Page } from "../components/ui";
import { signInPath } from "../return-path";
import { Link, Navigate, navigate } from "../router";
import { useSession } from "../session";
import { ReturnContext, useReturnPath } from "./SignInPage";

export function SignUpPage() {
  const { state, refresh } = useSession();
  const returnTo = useReturnPath();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [completing, setCompleting] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | null>(null);

  if (state.status === "signed-in" && !completing) return <Navigate to={returnTo ?? "/account"} />;
  if (completing) return <Loading label="Creating your account…" />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const trimmedName = name.trim();
    const outcome = await run(
      signup({ client: harmont, body: { email: email.trim(), password, ...(trimmedName ? { name: trimmedName } : {}), session: "cookie" } }),
    );
    setBusy(false);
    if (!outcome.ok) {
      setError(outcome.problem);
      return;
    }
    setCompleting(true);
    const next = await refresh();
    if (next.status === "signed-in") navigate(returnTo ?? "/account", { replace: true });
    setCompleting(false);
  };

  return (
    <Page title="Create an account" heading="Create your Harmont account" lead="One account for the web and every terminal you work in.">
      <ReturnContext returnTo={returnTo} />
      <Card>
        <form className="form" onSubmit={(event) => void submit(event)} aria-label="Create an account">
          {error ? (
            <Notice tone="error">
              {error.message}
              {error.code === "email_taken" ? (
                <>
                  {" "}
                  <Link to={signInPath(returnTo)}>Sign in instead</Link>
                </>
              ) : null}
            </Notice>
          ) : null}
          <Field label="Name (optional)" name="name" autoComplete="name" value={name} onChange={(event) => setName(event.target.value)} />
          <Field label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
          <Field
            label="Password"
            type="password"
            name="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            hint="At least 8 characters. A passphrase of a few words is easy to remember and hard to guess."
          />
          <Button type="submit" busy={busy} className="button--block">
            Create account
          </Button>
        </form>
      </Card>
      <p className="page__footnote">
        Already have an account? <Link to={signInPath(returnTo)}>Sign in</Link>
      </p>
    </Page>
  );
}
