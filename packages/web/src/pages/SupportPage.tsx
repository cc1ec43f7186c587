/**
 * Starting a support session, for platform operators (made on the server with `harmont-server
 * users grant-operator`, and with two-step verification on): the account's email, why (shown to
 * the person and kept in the audit log), and a fresh code of the operator's own. With `session:
 * "cookie"` the server moves the operator's session aside, into a cookie only the end call is
 * sent, and makes this browser the support session: the account page then shows the person's
 * account under the banner, and ending it there brings the operator's session back.
 *
 * Nothing the page reads says who is an operator, so anyone signed in may open it; the server
 * decides, and its refusal is shown in words that say what to do.
 */
import { startImpersonation } from "@harmont/cloud";
import { useId, useState, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { CodeMethodSwitch, SecondFactorCodeField, codeBody, invalidCodeMessage, type CodeMethod } from "../components/second-factor";
import { Button, Card, Field, Loading, Notice, Page } from "../components/ui";
import { signInPath } from "../return-path";
import { Navigate, navigate } from "../router";
import { useSession } from "../session";

/** The server's rule for a reason: 10 to 500 characters once its runs of spaces and line breaks are one space. */
const REASON_MIN = 10;
const REASON_MAX = 500;

function reasonLength(reason: string): number {
  return reason.replace(/\s+/g, " ").trim().length;
}

const reasonRule = `Write why, in ${REASON_MIN} to ${REASON_MAX} characters: it may be shown to the person, and it is kept in the audit log.`;

/** Each refusal of the start, with what to do about it. */
function startProblemMessage(problem: Problem, method: CodeMethod, email: string): string {
  switch (problem.code) {
    case "forbidden":
      // Not an operator, or an operator without two-step verification: the server's words say which.
      return `${problem.message} Operators are made on the server's command line (harmont-server users grant-operator), and need two-step verification on.`;
    case "invalid_request":
      return /\breason\b/.test(problem.message) ? reasonRule : problem.message;
    case "second_factor_invalid":
      return invalidCodeMessage(method, problem.message);
    case "second_factor_malformed":
      return problem.message;
    case "not_found":
      return `No account uses ${email} (or it is disabled). Check the address the person signs in with.`;
    case "impersonation_forbidden":
      return "This account cannot be viewed in a support session: it is your own, or another operator's.";
    default:
      // rate_limited included: api.ts already says how long to wait.
      return problem.message;
  }
}

export function SupportPage() {
  const { state } = useSession();
  if (state.status === "signed-out") return <Navigate to={signInPath("/support")} />;
  if (state.status !== "signed-in") return <Loading />;
  if (state.session.impersonated) {
    // The server refuses a support session inside another; say so before anything is typed.
    return (
      <Page title="Support session" heading="Start a support session">
        <Notice tone="info">This browser is in a support session of {state.user.email}. End it (at the top of the page) to start another.</Notice>
      </Page>
    );
  }
  return <StartSupportSession />;
}

function StartSupportSession() {
  const { refresh } = useSession();
  const [email, setEmail] = useState("");
  const [reason, setReason] = useState("");
  const [method, setMethod] = useState<CodeMethod>("totp");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const length = reasonLength(reason);
    if (length < REASON_MIN || length > REASON_MAX) {
      setError(reasonRule);
      return;
    }
    setBusy(true);
    setError(null);
    const target = email.trim();
    const outcome = await run(
      startImpersonation({ client: harmont, body: { email: target, reason, method, code: codeBody(method, code), session: "cookie" } }),
    );
    if (!outcome.ok) {
      setBusy(false);
      // This browser's own session ended meanwhile: the shell sends it to sign in.
      if (outcome.problem.status === 401) {
        await refresh();
        return;
      }
      // A refused code is no use again: the field is emptied for the next one.
      if (outcome.problem.code.startsWith("second_factor_")) setCode("");
      setError(startProblemMessage(outcome.problem, method, target));
      return;
    }
    // The cookie now holds the support session: read it, then show the account as its owner sees it.
    await refresh();
    navigate("/account");
  };

  return (
    <Page
      title="Support session"
      heading="Start a support session"
      lead="See an account as its owner does, to help them. A support session changes nothing, ends by itself, and is kept in the audit log."
    >
      <Card>
        <form className="form" onSubmit={(event) => void submit(event)} aria-label="Start a support session">
          {error ? <Notice tone="error">{error}</Notice> : null}
          <Field
            label="Email of the account"
            name="email"
            type="email"
            autoComplete="off"
            required
            maxLength={320}
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
          <ReasonField value={reason} onChange={setReason} />
          <p className="muted">Your own two-step code: every support session needs a fresh one.</p>
          <SecondFactorCodeField method={method} value={code} onChange={setCode} />
          <div className="form__links">
            <CodeMethodSwitch
              method={method}
              disabled={busy}
              onChange={(next) => {
                setCode("");
                setError(null);
                setMethod(next);
              }}
            />
          </div>
          <Button type="submit" busy={busy} className="button--block">
            Start support session
          </Button>
        </form>
      </Card>
    </Page>
  );
}

/** The reason, with the rule and how much of it is written so far. */
function ReasonField({ value, onChange }: { value: string; onChange(value: string): void }) {
  const id = useId();
  const length = reasonLength(value);
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        Reason
      </label>
      <textarea
        id={id}
        name="reason"
        className="field__input field__textarea"
        rows={3}
        required
        minLength={REASON_MIN}
        maxLength={REASON_MAX}
        aria-describedby={`${id}-hint`}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
      <p className="field__hint" id={`${id}-hint`}>
        {REASON_MIN} to {REASON_MAX} characters, such as a ticket number and what you will look at. It may be shown to the person, and
        it is kept in the audit log. {length} of {REASON_MAX} written.
      </p>
    </div>
  );
}
