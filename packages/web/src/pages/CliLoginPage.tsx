/**
 * `/cli-login`: the browser half of a CLI login.
 *
 * - With a nonce (`harmont login` on a machine with a browser): say who is signed in, show the
 *   verification phrase the terminal also prints, say what will happen, warn, and ask. Authorize
 *   parks a session for the CLI (`cliTransfer`); the tab then stays here and says what happened:
 *   approved and waiting for the terminal, the terminal signed in, or the login no longer waiting
 *   (see cli-handoff-outcome.ts). Deny refuses the login (`cliDeny`).
 * - With `?paste=true` (`harmont login --paste`, over SSH or in a container): the same consent
 *   first, because a page that showed a code on sight would be a phishing tool; then a code to
 *   type into the terminal (`cliCode`).
 */
import { cliDeny, cliTransfer, getMeta, listSessions, verificationPhrase } from "@harmont/cloud";
import { useEffect, useState } from "react";
import { harmont, run, type Problem } from "../api";
import { defaultHandoffLifetimeMs, findClaimedSession, mayNudgeQuietly, nudgeLoopback, sessionIds } from "../cli-handoff-outcome";
import { currentCliLoginRequest, finishCliLoginRequest, loopbackCallbackUrl, type HandoffRequest } from "../cli-login-request";
import { SignedInAs, TerminalWarning } from "../components/consent";
import { CheckIcon, ClockIcon, CrossIcon, TerminalIcon } from "../components/icons";
import { Button, Card, Loading, Notice, Page } from "../components/ui";
import { signInPath } from "../return-path";
import { Link, Navigate, useLocation } from "../router";
import { useSession } from "../session";
import { PasteCodePanel } from "./PasteCodePanel";

export function CliLoginPage() {
  const { search } = useLocation();
  const { state } = useSession();
  const paste = new URLSearchParams(search).get("paste") === "true";
  // Read once per visit: answering the login forgets it, and the answer's page must stay.
  const [request] = useState(() => currentCliLoginRequest());

  if (paste) {
    if (state.status === "signed-out") return <Navigate to={signInPath("/cli-login?paste=true")} />;
    if (state.status !== "signed-in") return <Loading />;
    return <PasteCodePanel user={state.user} />;
  }

  if (request.kind === "invalid") return <InvalidLink reason={request.reason} />;
  if (request.kind === "paste") return null;
  if (state.status === "signed-out") return <Navigate to={signInPath("/cli-login")} />;
  if (state.status !== "signed-in") return <Loading />;
  return <HandoffConsent request={request.request} email={state.user.email} />;
}

function InvalidLink({ reason }: { reason: "missing" | "malformed" }) {
  return (
    <Page
      title="Login link not usable"
      heading={reason === "missing" ? "No login to approve" : "This login link is damaged"}
      lead={
        reason === "missing"
          ? "This page approves a login started in a terminal, and no such login came with it (or it was already answered)."
          : "The code in this link is not in the form Harmont's CLI makes, so nothing was sent to the server."
      }
    >
      <Card>
        <p>
          Run <code>harmont login</code> in your terminal again and open the new link it prints, or copy the whole link if your terminal
          split it over two lines.
        </p>
      </Card>
    </Page>
  );
}

type HandoffStatus =
  | { step: "asking"; pending: "authorize" | "deny" | null; problem: Problem | null }
  /** Parked for the CLI: the page watches for its session until the handoff's lifetime is over. */
  | { step: "approved"; watch: HandoffWatch }
  | { step: "signed-in"; sessionName: string }
  /** The handoff's lifetime passed and no CLI claimed it. */
  | { step: "lapsed" }
  /** The page could no longer check (the server went away, or this browser was signed out). */
  | { step: "unconfirmed" }
  | { step: "denied" }
  | { step: "closed"; problem: Problem };

interface HandoffWatch {
  /** The sessions that existed before Authorize. */
  before: ReadonlySet<string>;
  /** When the server stops holding the handoff, by this page's clock (the server parked it before answering). */
  deadline: number;
  lifetimeSeconds: number;
  /** The CLI's loopback callback, when it gave a port. */
  callback: string | null;
}

/** How often the page looks for the CLI's session: the CLI polls about once a second too. */
const watchIntervalMs = 1000;
/** After the deadline, room for a claim that was still on its way. */
const settleMs = 1500;

function usePhrase(nonce: string): string | null | "unavailable" {
  const [phrase, setPhrase] = useState<string | null | "unavailable">(null);
  useEffect(() => {
    let live = true;
    verificationPhrase(nonce).then(
      (value) => live && setPhrase(value),
      // Web Crypto needs a secure context (HTTPS or localhost).
      () => live && setPhrase("unavailable"),
    );
    return () => {
      live = false;
    };
  }, [nonce]);
  return phrase;
}

/**
 * While the handoff is parked: nudge the CLI's loopback listener in the background (when that
 * needs no permission prompt), and look for the CLI's new session once a second, at once when the
 * listener answers, until it appears or the handoff's lifetime is over.
 */
function useHandoffWatch(status: HandoffStatus, setStatus: (status: HandoffStatus) => void): void {
  const watch = status.step === "approved" ? status.watch : null;
  useEffect(() => {
    if (!watch) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let checking = false;
    let checkAgain = false;

    const check = async (): Promise<void> => {
      if (checking) {
        checkAgain = true;
        return;
      }
      checking = true;
      clearTimeout(timer);
      const listed = await run(listSessions({ client: harmont }));
      checking = false;
      if (!live) return;
      if (listed.ok) {
        const claimed = findClaimedSession(listed.data, watch.before);
        if (claimed) return setStatus({ step: "signed-in", sessionName: claimed.name });
      } else if (listed.problem.status === 401) {
        // Signed out here meanwhile: a handoff dies with its session, but the CLI may have claimed first.
        return setStatus({ step: "unconfirmed" });
      }
      if (Date.now() > watch.deadline + settleMs) return setStatus(listed.ok ? { step: "lapsed" } : { step: "unconfirmed" });
      const untilLastCheck = watch.deadline + settleMs + 1 - Date.now();
      timer = setTimeout(() => void check(), checkAgain ? 0 : Math.min(watchIntervalMs, Math.max(0, untilLastCheck)));
      checkAgain = false;
    };

    timer = setTimeout(() => void check(), watchIntervalMs);
    if (watch.callback) {
      const callback = watch.callback;
      void mayNudgeQuietly(window.location.hostname, navigator.permissions)
        .then((quiet) => (quiet ? nudgeLoopback(callback) : false))
        // The listener answers once its CLI has claimed: look now rather than at the next tick.
        .then((answered) => answered && live && void check());
    }
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [watch, setStatus]);
}

function HandoffConsent({ request, email }: { request: HandoffRequest; email: string }) {
  const { refresh } = useSession();
  const phrase = usePhrase(request.nonce);
  const [status, setStatus] = useState<HandoffStatus>({ step: "asking", pending: null, problem: null });
  useHandoffWatch(status, setStatus);

  /** A failed call: sign in again on 401 (the request is kept), close on an answered login, else show it. */
  const fail = async (problem: Problem) => {
    if (problem.status === 401) {
      await refresh();
      return;
    }
    if (problem.code === "cli_nonce_in_use" || problem.code === "invalid_nonce") {
      finishCliLoginRequest();
      setStatus({ step: "closed", problem });
      return;
    }
    setStatus({ step: "asking", pending: null, problem });
  };

  const deny = async () => {
    setStatus({ step: "asking", pending: "deny", problem: null });
    const outcome = await run(cliDeny({ client: harmont, body: { nonce: request.nonce } }));
    if (!outcome.ok) return fail(outcome.problem);
    finishCliLoginRequest();
    setStatus({ step: "denied" });
  };

  const authorize = async () => {
    setStatus({ step: "asking", pending: "authorize", problem: null });
    // The sessions before the approval, so the CLI's new one can be told apart; and how long the
    // server holds the handoff (an older server does not say: its default).
    const [listed, meta] = await Promise.all([run(listSessions({ client: harmont })), run(getMeta({ client: harmont }))]);
    if (!listed.ok) return fail(listed.problem);
    const lifetimeSeconds = meta.ok && typeof meta.data.cli_handoff_lifetime_seconds === "number" ? meta.data.cli_handoff_lifetime_seconds : null;
    const lifetimeMs = lifetimeSeconds !== null ? lifetimeSeconds * 1000 : defaultHandoffLifetimeMs;
    const outcome = await run(cliTransfer({ client: harmont, body: { nonce: request.nonce } }));
    if (!outcome.ok) return fail(outcome.problem);
    finishCliLoginRequest();
    setStatus({
      step: "approved",
      watch: { before: sessionIds(listed.data), deadline: Date.now() + lifetimeMs, lifetimeSeconds: Math.round(lifetimeMs / 1000), callback: loopbackCallbackUrl(request) },
    });
  };

  // Each outcome is its own page (the key), so focus moves to its heading and it is announced.
  if (status.step === "approved") {
    return (
      <Page key="approved" title="CLI login approved" heading="Approved — your terminal will pick this up">
        <Card className="result result--waiting">
          <span className="result__icon">
            <ClockIcon />
          </span>
          <div className="result__body">
            <p>
              The CLI login was approved for <strong>{email}</strong>. Your terminal finishes on its own, on this computer or another
              one; this page says so once it has.
            </p>
            <p className="result__hint">
              If no terminal picks it up within {status.watch.lifetimeSeconds} seconds, the approval lapses and nothing is signed in.
            </p>
          </div>
        </Card>
        <p className="sr-only" role="status">
          Waiting for your terminal…
        </p>
      </Page>
    );
  }
  if (status.step === "signed-in") {
    return (
      <Page key="signed-in" title="CLI signed in" heading="Your terminal is signed in">
        <Card className="result result--success">
          <span className="result__icon">
            <CheckIcon />
          </span>
          <div className="result__body">
            <p>
              <strong data-testid="cli-session-name">{status.sessionName}</strong> is signed in as <strong>{email}</strong>. You can close
              this tab.
            </p>
            <p className="result__hint">
              It is listed on <Link to="/account">your account page</Link>, where you can revoke it.
            </p>
          </div>
        </Card>
      </Page>
    );
  }
  if (status.step === "lapsed") {
    return (
      <Page key="lapsed" title="CLI login lapsed" heading="That login is no longer waiting">
        <Card className="result result--lapsed">
          <span className="result__icon">
            <ClockIcon />
          </span>
          <div className="result__body">
            <p>No terminal picked up the approval in time, so nothing was signed in. The terminal that asked has stopped waiting, or was closed.</p>
            <p>
              Run <code>harmont login</code> in your terminal again and open the new link it prints.
            </p>
          </div>
        </Card>
      </Page>
    );
  }
  if (status.step === "unconfirmed") {
    return (
      <Page key="unconfirmed" title="CLI login approved" heading="Approved — check your terminal">
        <Card className="result result--waiting">
          <span className="result__icon">
            <TerminalIcon />
          </span>
          <div className="result__body">
            <p>
              This page can no longer check the login (Harmont could not be reached, or this browser was signed out), so your terminal is the
              one to say whether it finished.
            </p>
            <p>
              If it is not signed in, run <code>harmont login</code> again and open the new link.
            </p>
          </div>
        </Card>
      </Page>
    );
  }
  if (status.step === "denied") {
    return (
      <Page key="denied" title="CLI login denied" heading="Login denied">
        <Card className="result result--denied">
          <span className="result__icon">
            <CrossIcon />
          </span>
          <p>
            Nothing was shared. The terminal that asked stops waiting and says the login was denied. If you did not start it, review the
            sessions on <Link to="/account">your account page</Link>. You can close this tab.
          </p>
        </Card>
      </Page>
    );
  }
  if (status.step === "closed") {
    return (
      <Page key="closed" title="Login already answered" heading="This login can no longer be answered">
        <Notice tone="error">{status.problem.message}</Notice>
        <Card>
          <p>
            Run <code>harmont login</code> in your terminal again and open the new link.
          </p>
        </Card>
      </Page>
    );
  }

  const busy = status.pending !== null;
  return (
    <Page title="Authorize the CLI" heading="Authorize the Harmont CLI" lead="A terminal is asking to sign in to your account.">
      <Card className="consent">
        <SignedInAs email={email} />
        <div className="phrase">
          <span className="phrase__label" id="phrase-label">
            Verification phrase
          </span>
          <p className="phrase__value" aria-labelledby="phrase-label" data-testid="verification-phrase">
            {phrase === null ? "…" : phrase === "unavailable" ? "unavailable on this connection (use HTTPS)" : phrase}
          </p>
          <p className="phrase__hint">Check that your terminal shows the same words.</p>
        </div>
        <div className="consent__what">
          <TerminalIcon />
          <p>
            {request.name ? (
              <>
                A new CLI session named <strong>“{request.name}”</strong> will be created.
              </>
            ) : (
              <>A new CLI session will be created.</>
            )}{" "}
            It can act as you until it expires or you revoke it on your account page.
          </p>
        </div>
        <TerminalWarning />
        {status.problem ? <Notice tone="error">{status.problem.message}</Notice> : null}
        <div className="choice">
          <Button variant="primary" busy={status.pending === "authorize"} disabled={busy} onClick={() => void authorize()}>
            Authorize
          </Button>
          <Button variant="neutral" busy={status.pending === "deny"} disabled={busy} onClick={() => void deny()}>
            Deny
          </Button>
        </div>
        <p className="sr-only" role="status">
          {status.pending === "authorize" ? "Authorizing…" : status.pending === "deny" ? "Denying…" : ""}
        </p>
      </Card>
    </Page>
  );
}
