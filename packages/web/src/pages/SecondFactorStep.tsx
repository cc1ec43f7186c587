/**
 * The second step of a sign-in, for an account with two-step verification: after the password
 * or the emailed code the server answered 202 with a challenge token instead of a session. This
 * step finishes it with a code from the authenticator app, a backup code, or, when the account
 * has a signed-in device that passed two-step verification itself, an approval from that device.
 *
 * The challenge token is the sign-in page's React state and nothing else: it goes in request
 * bodies only (never a URL, never storage), and is dropped when the step ends either way.
 */
import { getLoginApprovalStatus, requestLoginApproval, verifySecondFactor, type SecondFactorRequired } from "@harmont/cloud";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { CodeMethodSwitch, SecondFactorCodeField, codeBody, invalidCodeMessage, type CodeMethod } from "../components/second-factor";
import { Button, Loading, Notice, Spinner } from "../components/ui";

/** Why the person is back at the start of signing in. */
const challengeExpiredMessage = "This sign-in step expired; sign in again.";
const approvalRejectedMessage = "The sign-in was refused on your other device. Sign in again, or use a code from your authenticator app.";

interface StepProps {
  challenge: SecondFactorRequired;
  /** Signed in: the cookie is set; finish as after a one-step sign-in. */
  onSignedIn(): Promise<void>;
  /** The challenge is over (expired, used up, refused, or given up): back to the first step, saying why. */
  onRestart(message: string | null): void;
}

export function SecondFactorStep({ challenge, onSignedIn, onRestart }: StepProps) {
  const [mode, setMode] = useState<"code" | "approval">("code");
  const [method, setMethod] = useState<CodeMethod>("totp");
  const [problem, setProblem] = useState<string | null>(null);
  const canApprove = challenge.methods.includes("device_approval");

  return (
    <>
      <h2 className="section-title">Two-step verification</h2>
      {mode === "code" ? (
        // Keyed by the method: the other kind of code starts from an empty field and no error.
        <CodeForm key={method} method={method} challenge={challenge} onSignedIn={onSignedIn} onRestart={onRestart} initialError={problem} />
      ) : (
        <ApprovalWait
          challengeToken={challenge.challenge_token}
          onSignedIn={onSignedIn}
          onRestart={onRestart}
          onUnavailable={(unavailable) => {
            setProblem(unavailable.message);
            setMode("code");
          }}
        />
      )}
      <div className="second-step__links">
        {mode === "code" ? (
          <CodeMethodSwitch
            method={method}
            onChange={(next) => {
              setProblem(null);
              setMethod(next);
            }}
          />
        ) : null}
        {mode === "code" && canApprove ? (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setProblem(null);
              setMode("approval");
            }}
          >
            Approve from another device
          </button>
        ) : null}
        {mode === "approval" ? (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setProblem(null);
              setMode("code");
            }}
          >
            Use a code instead
          </button>
        ) : null}
        <button type="button" className="link-button" onClick={() => onRestart(null)}>
          Start over
        </button>
      </div>
    </>
  );
}

function CodeForm({ method, challenge, onSignedIn, onRestart, initialError }: StepProps & { method: CodeMethod; initialError: string | null }) {
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(initialError);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const outcome = await run(
      verifySecondFactor({
        client: harmont,
        body: { challenge_token: challenge.challenge_token, method, code: codeBody(method, code), session: "cookie" },
      }),
    );
    setBusy(false);
    if (!outcome.ok) {
      // Expired, used, or ended by five wrong codes: only a new sign-in helps.
      if (outcome.problem.code === "login_challenge_invalid") {
        onRestart(challengeExpiredMessage);
        return;
      }
      setCode("");
      setError(outcome.problem.code === "second_factor_invalid" ? invalidCodeMessage(method, outcome.problem.message) : outcome.problem.message);
      return;
    }
    await onSignedIn();
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-label="Finish signing in with a two-step code">
      <p className="muted">
        {method === "totp" ? "Open your authenticator app and type the code it shows for Harmont." : "Type one of your saved backup codes."}
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <SecondFactorCodeField method={method} value={code} onChange={setCode} autoFocus />
      <Button type="submit" busy={busy} className="button--block">
        Sign in
      </Button>
    </form>
  );
}

/** Seconds to wait after an answer that said nothing new (a network failure, a 429 without `Retry-After`). */
const RETRY_SECONDS = 5;

/**
 * Asks the account's signed-in devices to approve, shows the number to type there, and polls
 * every `interval` seconds (as the server says) until a device decides or the challenge ends.
 * The polling stops when this leaves the screen.
 */
function ApprovalWait({
  challengeToken,
  onSignedIn,
  onRestart,
  onUnavailable,
}: {
  challengeToken: string;
  onSignedIn(): Promise<void>;
  onRestart(message: string | null): void;
  onUnavailable(problem: Problem): void;
}) {
  const [number, setNumber] = useState<string | null>(null);
  // The latest callbacks, so a re-render of the page does not restart the polling.
  const handlers = useRef({ onSignedIn, onRestart, onUnavailable });
  handlers.current = { onSignedIn, onRestart, onUnavailable };

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const after = (seconds: number, next: () => Promise<void>) => {
      if (!stopped) timer = window.setTimeout(() => void next(), seconds * 1000);
    };

    const poll = async (): Promise<void> => {
      const outcome = await run(getLoginApprovalStatus({ client: harmont, body: { challenge_token: challengeToken, session: "cookie" } }));
      if (stopped) return;
      if (outcome.ok) {
        if (outcome.data.status === "approved") {
          // The answer set the session cookie (it is answered once).
          stopped = true;
          await handlers.current.onSignedIn();
          return;
        }
        after(outcome.data.interval ?? RETRY_SECONDS, poll);
        return;
      }
      const { code, retryAfterSeconds } = outcome.problem;
      if (code === "login_approval_rejected") handlers.current.onRestart(approvalRejectedMessage);
      else if (code === "login_challenge_invalid") handlers.current.onRestart(challengeExpiredMessage);
      // Anything else (offline for a moment, too many polls) may pass: keep asking, slower.
      else after(retryAfterSeconds ?? RETRY_SECONDS, poll);
    };

    const ask = async () => {
      // Asking again answers the same number, so a remount (or StrictMode's double effect) is harmless.
      const outcome = await run(requestLoginApproval({ client: harmont, body: { challenge_token: challengeToken } }));
      if (stopped) return;
      if (!outcome.ok) {
        if (outcome.problem.code === "login_challenge_invalid") handlers.current.onRestart(challengeExpiredMessage);
        else handlers.current.onUnavailable(outcome.problem);
        return;
      }
      setNumber(outcome.data.approval_number);
      after(outcome.data.interval, poll);
    };

    void ask();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [challengeToken]);

  if (number === null) return <Loading label="Asking your other devices…" />;

  return (
    <div className="approval-wait">
      <p className="muted">On a device where you are signed in to Harmont, open Harmont and type this number to approve:</p>
      <p className="approval-wait__number" data-testid="approval-number">
        {number}
      </p>
      <p className="approval-wait__status" role="status">
        <Spinner />
        Waiting for your approval…
      </p>
    </div>
  );
}
