/**
 * `/device`: the browser half of a device login (RFC 8628 §3.3), for a CLI or another OAuth
 * client that cannot open a browser itself. The device shows a code and this page's address.
 *
 * - A link with the code (`?user_code=…`, the device's `verification_uri_complete`) only fills
 *   the field in: the code leaves the address bar before the first render and waits in this tab
 *   (device-login-request.ts), and nothing is asked of the server until the person presses
 *   Continue. Signed out, the person signs in first and comes back here with the code kept.
 * - Continue looks the login up (`lookUpDeviceLogin`) and shows the consent: who is signed in,
 *   the client as the server's registry names it, the name the client gave itself (its own
 *   words, quoted), where and when it asked, a countdown to the code's expiry, the code to
 *   compare with the terminal, what approving does, and the phishing warning. Approve and Deny
 *   have equal weight and neither has the focus.
 * - The answer (`approveDeviceLogin`, `denyDeviceLogin`) ends on a page that says what happens
 *   next; the kept code is dropped.
 */
import { approveDeviceLogin, denyDeviceLogin, lookUpDeviceLogin, type DeviceLogin } from "@harmont/cloud";
import { useEffect, useLayoutEffect, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { SignedInAs, TerminalWarning } from "../components/consent";
import { CheckIcon, ClockIcon, CrossIcon, TerminalIcon } from "../components/icons";
import { Button, Card, Field, Loading, Notice, Page } from "../components/ui";
import {
  currentDeviceLoginCode,
  finishDeviceLogin,
  formatUserCodeInput,
  keepDeviceLoginCode,
  looksLikeUserCode,
  plainUserCode,
} from "../device-login-request";
import { formatAgo, formatCountdown } from "../format";
import { signInPath } from "../return-path";
import { Link, Navigate } from "../router";
import { useSession } from "../session";

export function DeviceLoginPage() {
  const { state } = useSession();
  if (state.status === "signed-out") return <Navigate to={signInPath("/device")} />;
  if (state.status !== "signed-in") return <Loading />;
  return <DeviceLoginFlow email={state.user.email} />;
}

/** A looked-up login, with its times on this page's `performance.now()` clock, measured from the server's own. */
interface FoundLogin {
  login: DeviceLogin;
  requestedAtTick: number;
  expiresAtTick: number;
}

function foundLogin(login: DeviceLogin, response: Response): FoundLogin {
  const serverNow = Date.parse(response.headers.get("date") ?? "");
  const now = Number.isFinite(serverNow) ? serverNow : Date.now();
  const tick = performance.now();
  return { login, requestedAtTick: tick - (now - Date.parse(login.requested_at)), expiresAtTick: tick + (Date.parse(login.expires_at) - now) };
}

type Status =
  | { step: "enter"; pending: boolean; problem: string | null }
  | { step: "asking"; found: FoundLogin; pending: "approve" | "deny" | null; problem: Problem | null }
  | { step: "approved"; found: FoundLogin }
  | { step: "denied"; found: FoundLogin };

const invalidCode = "That code is not valid: check it, or it may have expired.";
const misshapenCode = "A code is 8 letters, like BCDF-GHJK: check the one your terminal shows.";

/** What a refused code or a failed call says on this page. */
function explain(problem: Problem): string {
  if (problem.code === "user_code_invalid") return invalidCode;
  if (problem.code === "rate_limited") {
    const minutes = Math.max(1, Math.ceil((problem.retryAfterSeconds ?? 60) / 60));
    return `Too many tries: wait ${minutes} ${minutes === 1 ? "minute" : "minutes"}, then try again.`;
  }
  return problem.message;
}

/** Renders every quarter second while `running`: the countdown and the "requested … ago". */
function useTick(running: boolean): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!running) return;
    setNow(performance.now());
    const timer = window.setInterval(() => setNow(performance.now()), 250);
    return () => window.clearInterval(timer);
  }, [running]);
  return now;
}

function DeviceLoginFlow({ email }: { email: string }) {
  const { refresh } = useSession();
  // Read once per visit: the answer forgets the code, and the answer's page must stay.
  const [kept] = useState(() => currentDeviceLoginCode());
  const [code, setCode] = useState(() => formatUserCodeInput(kept?.code ?? ""));
  const [status, setStatus] = useState<Status>({ step: "enter", pending: false, problem: null });
  const now = useTick(status.step === "asking");
  // The field still holds the code the link brought: say where it came from.
  const fromLink = kept?.fromLink === true && formatUserCodeInput(kept.code) === code;

  /** A failed call: sign in again on 401 (the code is kept), else back to the code with why. */
  const fail = async (problem: Problem, found: FoundLogin | null) => {
    if (problem.status === 401) {
      await refresh();
      return;
    }
    if (found && problem.code !== "user_code_invalid") {
      setStatus({ step: "asking", found, pending: null, problem });
      return;
    }
    // Looked up in vain; or, while asking, expired or answered meanwhile: that code is done for.
    if (found) finishDeviceLogin();
    setStatus({ step: "enter", pending: false, problem: explain(problem) });
  };

  const lookUp = async (event: FormEvent) => {
    event.preventDefault();
    if (!looksLikeUserCode(code)) {
      setStatus({ step: "enter", pending: false, problem: misshapenCode });
      return;
    }
    // Kept for a detour through sign-in, should the session end before the answer.
    keepDeviceLoginCode(code, fromLink);
    setStatus({ step: "enter", pending: true, problem: null });
    const outcome = await run(lookUpDeviceLogin({ client: harmont, body: { user_code: code } }));
    if (!outcome.ok) return fail(outcome.problem, null);
    const found = foundLogin(outcome.data, outcome.response);
    if (outcome.data.status === "approved") {
      // Approved from this account already (in another tab, or the code typed again after Approve).
      finishDeviceLogin();
      setStatus({ step: "approved", found });
      return;
    }
    setStatus({ step: "asking", found, pending: null, problem: null });
  };

  const answer = async (found: FoundLogin, choice: "approve" | "deny") => {
    setStatus({ step: "asking", found, pending: choice, problem: null });
    const body = { user_code: found.login.user_code };
    const outcome = choice === "approve" ? await run(approveDeviceLogin({ client: harmont, body })) : await run(denyDeviceLogin({ client: harmont, body }));
    if (!outcome.ok) return fail(outcome.problem, found);
    finishDeviceLogin();
    setStatus({ step: choice === "approve" ? "approved" : "denied", found });
  };

  const startOver = () => {
    finishDeviceLogin();
    setCode("");
    setStatus({ step: "enter", pending: false, problem: null });
  };

  // Each step is its own page (the key), so focus moves to its heading and it is announced.
  if (status.step === "approved") {
    const { login } = status.found;
    return (
      <Page key="approved" title="Device login approved" heading="Go back to your terminal">
        <Card className="result result--success">
          <span className="result__icon">
            <CheckIcon />
          </span>
          <div className="result__body">
            <p>
              Approved. <strong>{login.client_name}</strong> picks up its session for <strong>{email}</strong> at its next check, within a few
              seconds, and your terminal says when it is signed in. You can close this tab.
            </p>
            <p className="result__hint">
              Its session, <bdi>“{login.session_name}”</bdi>, is listed on <Link to="/account">your account page</Link>, where you can revoke it.
            </p>
          </div>
        </Card>
      </Page>
    );
  }
  if (status.step === "denied") {
    const { login } = status.found;
    return (
      <Page key="denied" title="Device login denied" heading="Login denied">
        <Card className="result result--denied">
          <span className="result__icon">
            <CrossIcon />
          </span>
          <p>
            Nothing was shared. <strong>{login.client_name}</strong> is told the login was denied, and the code no longer works. If you did not
            start it, review the sessions on <Link to="/account">your account page</Link>. You can close this tab.
          </p>
        </Card>
      </Page>
    );
  }
  if (status.step === "asking") {
    return <Consent key="asking" email={email} found={status.found} now={now} pending={status.pending} problem={status.problem} onAnswer={(choice) => void answer(status.found, choice)} onStartOver={startOver} />;
  }

  return (
    <Page key="enter" title="Device login" heading="Enter the code from your device" lead="The code your terminal or device shows, to sign it in to your account.">
      <Card>
        {fromLink ? (
          <Notice tone="info">The code came with the link you opened. Check that it is the one your terminal shows, then press Continue.</Notice>
        ) : null}
        {status.problem ? <Notice tone="error">{status.problem}</Notice> : null}
        <form className="form" onSubmit={(event) => void lookUp(event)} aria-label="Enter the code from your device">
          <CodeField code={code} onChange={setCode} invalid={status.problem !== null} />
          <Button type="submit" className="button--block" busy={status.pending}>
            Continue
          </Button>
        </form>
      </Card>
    </Page>
  );
}

/** The code, formatted as it is typed (`XXXX-XXXX`), the caret kept where it was. */
function CodeField({ code, onChange, invalid }: { code: string; onChange: (code: string) => void; invalid: boolean }) {
  const input = useRef<HTMLInputElement | null>(null);
  const caret = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (caret.current === null || !input.current || document.activeElement !== input.current) return;
    input.current.setSelectionRange(caret.current, caret.current);
    caret.current = null;
  }, [code]);

  const change = (event: ChangeEvent<HTMLInputElement>) => {
    const typed = event.target.value;
    const next = formatUserCodeInput(typed);
    // As many code characters before the caret as before the change, and the dash after the fourth.
    const before = Math.min(8, plainUserCode(typed.slice(0, event.target.selectionStart ?? typed.length)).length);
    input.current = event.target;
    caret.current = Math.min(next.length, before > 4 ? before + 1 : before);
    onChange(next);
  };

  return (
    <Field
      label="Code"
      hint="Like BCDF-GHJK. Capitals, spaces and the dash do not matter."
      name="user_code"
      autoComplete="off"
      autoCapitalize="characters"
      autoCorrect="off"
      spellCheck={false}
      required
      aria-invalid={invalid || undefined}
      className="field__input field__input--code"
      value={code}
      onChange={change}
    />
  );
}

function Consent({
  email,
  found,
  now,
  pending,
  problem,
  onAnswer,
  onStartOver,
}: {
  email: string;
  found: FoundLogin;
  now: number;
  pending: "approve" | "deny" | null;
  problem: Problem | null;
  onAnswer: (choice: "approve" | "deny") => void;
  onStartOver: () => void;
}) {
  const { login } = found;
  const secondsLeft = Math.max(0, (found.expiresAtTick - now) / 1000);
  const expired = secondsLeft <= 0;
  const busy = pending !== null;
  const where = [login.device_description, login.requested_from ? `from ${login.requested_from}` : null].filter(Boolean).join(" · ");
  return (
    <Page title="Approve a device login" heading="Approve a device login" lead="A device is asking to sign in to your account.">
      <Card className="consent">
        <SignedInAs email={email} />
        <div className="device-client">
          <p className="device-client__ask">
            <strong data-testid="device-client-name">{login.client_name}</strong> wants to sign in to your account
          </p>
          {login.first_party ? null : <span className="badge badge--warning">registered by this server's operator</span>}
        </div>
        <ul className="device-facts">
          <li>
            It calls itself <bdi className="device-facts__claimed" data-testid="device-session-name">“{login.session_name}”</bdi>{" "}
            <span className="muted">(its own words, not checked)</span>
          </li>
          {where ? <li data-testid="device-where">{where}</li> : null}
          <li>
            Requested {formatAgo((now - found.requestedAtTick) / 1000)}
            <span aria-hidden="true"> · </span>
            <span className="device-facts__countdown" role={expired ? "alert" : undefined} data-testid="device-countdown">
              <ClockIcon />
              {expired ? "The code has expired." : <>Code expires in {formatCountdown(secondsLeft)}</>}
            </span>
          </li>
        </ul>
        <div className="phrase">
          <p className="phrase__hint" id="device-code-label">
            Check that your terminal shows
          </p>
          <p className={`device-code${expired ? " device-code--expired" : ""}`} aria-labelledby="device-code-label" data-testid="device-user-code">
            {login.user_code}
          </p>
        </div>
        <div className="consent__what">
          <TerminalIcon />
          <p>
            A new CLI session will be created. It can act as you until it expires (30 days unused, 90 days at most) or you revoke it on your
            account page.
          </p>
        </div>
        <TerminalWarning />
        <p className="device-deny-hint">If someone sent you this code or link, deny it.</p>
        {problem ? <Notice tone="error">{explain(problem)}</Notice> : null}
        {expired ? (
          <Notice tone="info">
            Start the login again on your device, then{" "}
            <button type="button" className="link-button" onClick={onStartOver}>
              enter the new code
            </button>
            .
          </Notice>
        ) : null}
        <div className="choice">
          <Button variant="secondary" busy={pending === "approve"} disabled={busy || expired} onClick={() => onAnswer("approve")}>
            Approve
          </Button>
          <Button variant="secondary" busy={pending === "deny"} disabled={busy || expired} onClick={() => onAnswer("deny")}>
            Deny
          </Button>
        </div>
        <p className="sr-only" role="status">
          {pending === "approve" ? "Approving…" : pending === "deny" ? "Denying…" : ""}
        </p>
      </Card>
    </Page>
  );
}
