/**
 * `/cli-login`: the browser half of a CLI login.
 *
 * - With a nonce (`harmont login` on a machine with a browser): say who is signed in, show the
 *   verification phrase the terminal also prints, say what will happen, warn, and ask. Authorize
 *   parks a session for the CLI (`cliTransfer`) and sends the browser to the CLI's loopback
 *   listener when it gave a port; Deny refuses the login (`cliDeny`).
 * - With `?paste=true` (`harmont login --paste`, over SSH or in a container): the same consent
 *   first, because a page that showed a code on sight would be a phishing tool; then a code to
 *   type into the terminal (`cliCode`).
 */
import { cliDeny, cliTransfer, verificationPhrase } from "@harmont/cloud";
import { useEffect, useState } from "react";
import { harmont, run, type Problem } from "../api";
import { currentCliLoginRequest, finishCliLoginRequest, loopbackCallbackUrl, type HandoffRequest } from "../cli-login-request";
import { SignedInAs, TerminalWarning } from "../components/consent";
import { CheckIcon, CrossIcon, TerminalIcon } from "../components/icons";
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
  | { step: "returning" }
  | { step: "authorized" }
  | { step: "denied" }
  | { step: "closed"; problem: Problem };

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

function HandoffConsent({ request, email }: { request: HandoffRequest; email: string }) {
  const { refresh } = useSession();
  const phrase = usePhrase(request.nonce);
  const [status, setStatus] = useState<HandoffStatus>({ step: "asking", pending: null, problem: null });

  const answer = async (choice: "authorize" | "deny") => {
    setStatus({ step: "asking", pending: choice, problem: null });
    const body = { nonce: request.nonce };
    const outcome = await run(choice === "authorize" ? cliTransfer({ client: harmont, body }) : cliDeny({ client: harmont, body }));
    if (!outcome.ok) {
      const { problem } = outcome;
      if (problem.status === 401) {
        // The session ended meanwhile: sign in again, then come back (the request is kept).
        await refresh();
        return;
      }
      if (problem.code === "cli_nonce_in_use" || problem.code === "invalid_nonce") {
        finishCliLoginRequest();
        setStatus({ step: "closed", problem });
        return;
      }
      setStatus({ step: "asking", pending: null, problem });
      return;
    }
    finishCliLoginRequest();
    if (choice === "deny") {
      setStatus({ step: "denied" });
      return;
    }
    const callback = loopbackCallbackUrl(request);
    if (callback) {
      setStatus({ step: "returning" });
      // A top-level navigation, not a fetch: the page's CSP allows no connection to 127.0.0.1,
      // and the CLI answers it with its own page. The CLI also polls, so this only speeds it up.
      window.location.assign(callback);
      return;
    }
    setStatus({ step: "authorized" });
  };

  if (status.step === "authorized" || status.step === "returning") {
    return (
      <Page title="CLI authorized" heading="Your terminal is signed in" lead={status.step === "returning" ? "Handing over to your terminal…" : undefined}>
        <Card className="result result--success">
          <span className="result__icon">
            <CheckIcon />
          </span>
          <p>
            The CLI login was approved for <strong>{email}</strong>. Go back to your terminal: it finishes on its own. You can close this
            tab.
          </p>
        </Card>
      </Page>
    );
  }
  if (status.step === "denied") {
    return (
      <Page title="CLI login denied" heading="Login denied">
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
      <Page title="Login already answered" heading="This login can no longer be answered">
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
          <Button variant="primary" busy={status.pending === "authorize"} disabled={busy} onClick={() => void answer("authorize")}>
            Authorize
          </Button>
          <Button variant="neutral" busy={status.pending === "deny"} disabled={busy} onClick={() => void answer("deny")}>
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
