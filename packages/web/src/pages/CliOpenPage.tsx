/**
 * `/cli-open`: the browser half of `harmont open`, which takes the CLI's signed-in account into
 * this browser. The link's code left the address bar before the first render and is held in
 * memory only (cli-open-link.ts).
 *
 * - The page inspects the code (`inspectCliBrowserToken`, which uses nothing up) and asks:
 *   continue as the CLI's account, from that CLI session? Signed in here as another account (or
 *   in a support session), it says plainly that continuing signs that session out. Continue uses
 *   the code up (`consumeCliBrowserToken`, which sets the session cookie) and goes on to the
 *   link's `next`.
 * - Signed in here as the CLI's account already, there is nothing to decide: the code is used up
 *   at once, so the link cannot be opened twice, the session is kept, and the page goes on.
 * - Cancel leaves the code unused (it lapses within a minute). A code that is missing, damaged,
 *   expired or used says to run `harmont open` again.
 */
import { consumeCliBrowserToken, inspectCliBrowserToken, type CliBrowserTokenInspection } from "@harmont/cloud";
import { useEffect, useState } from "react";
import { harmont, run, type Problem } from "../api";
import { captureCliOpenLink, currentCliOpenLink, forgetCliOpenCode } from "../cli-open-link";
import { Caution, Identity } from "../components/consent";
import { BrowserIcon, ClockIcon, CrossIcon } from "../components/icons";
import { Button, Card, Loading, Notice, Page } from "../components/ui";
import { appPathOf, navigate } from "../router";
import { useSession, type SessionState } from "../session";

export function CliOpenPage() {
  // Read once per link: using or declining the code forgets it, and the answer's page must stay.
  const [link, setLink] = useState(currentCliOpenLink);
  const [linksTaken, setLinksTaken] = useState(0);
  useEffect(() => {
    // A link opened in a tab already on this page changes only the fragment, and nothing reloads: take it here.
    const takeNewLink = () => {
      if (window.location.hash === "") return;
      captureCliOpenLink(appPathOf(window.location.pathname), window.location.hash, (path) => navigate(path, { replace: true }));
      setLink(currentCliOpenLink());
      setLinksTaken((count) => count + 1);
    };
    window.addEventListener("hashchange", takeNewLink);
    return () => window.removeEventListener("hashchange", takeNewLink);
  }, []);
  if (link.code === null) return <LinkUnusable />;
  return <CliOpenFlow key={linksTaken} code={link.code} next={link.next} />;
}

type Status =
  | { step: "checking" }
  | { step: "asking"; inspection: CliBrowserTokenInspection; pending: boolean; problem: Problem | null }
  /** Signed in here as the CLI's account already: using the code up without a question. */
  | { step: "opening" }
  | { step: "unusable" }
  | { step: "cancelled" }
  /** The server could not be asked; `retry` when the code is known to be unused. */
  | { step: "failed"; message: string; retry: boolean };

/** Whether this browser's session is the CLI's account as itself: a support session acting as it is not. */
function isOwnSessionOf(state: SessionState, userId: string): boolean {
  return state.status === "signed-in" && state.user.id === userId && !state.session.impersonated;
}

function CliOpenFlow({ code, next }: { code: string; next: string }) {
  const { state, refresh } = useSession();
  const [status, setStatus] = useState<Status>({ step: "checking" });
  const [attempt, setAttempt] = useState(0);

  const refused = () => {
    forgetCliOpenCode();
    setStatus({ step: "unusable" });
  };

  /** Uses the code up, then goes on with the session the cookie now holds. */
  const open = async (inspection: CliBrowserTokenInspection | null) => {
    const outcome = await run(consumeCliBrowserToken({ client: harmont, body: { code } }));
    if (!outcome.ok) {
      if (outcome.problem.code === "cli_browser_token_invalid") return refused();
      // Whether a call that never came back used the code up is unknown: only the question can be asked again.
      if (inspection) return setStatus({ step: "asking", inspection, pending: false, problem: outcome.problem });
      return setStatus({ step: "failed", message: outcome.problem.message, retry: false });
    }
    forgetCliOpenCode();
    // The whole app learns who is signed in before the next page renders (an unreachable server is the shell's to show).
    const session = await refresh();
    if (session.status === "signed-out") {
      return setStatus({ step: "failed", message: "The server signed this browser in, but the browser did not keep its session cookie. Allow cookies for this site.", retry: false });
    }
    navigate(next, { replace: true });
  };

  useEffect(() => {
    let live = true;
    void run(inspectCliBrowserToken({ client: harmont, body: { code } })).then((outcome) => {
      if (!live) return;
      if (!outcome.ok) {
        if (outcome.problem.code === "cli_browser_token_invalid") return refused();
        return setStatus({ step: "failed", message: outcome.problem.message, retry: true });
      }
      // The session as it was when this check began: the shell had it before any page rendered.
      if (isOwnSessionOf(state, outcome.data.user.id)) {
        setStatus({ step: "opening" });
        return void open(null);
      }
      setStatus({ step: "asking", inspection: outcome.data, pending: false, problem: null });
    });
    return () => {
      live = false;
    };
    // Checked once per attempt: signing in below changes the session, and must not start it over.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [code, attempt]);

  if (status.step === "checking") return <Loading label="Checking the link…" />;
  if (status.step === "opening") return <Loading label="Opening Harmont…" />;
  if (status.step === "unusable") return <LinkUnusable />;
  if (status.step === "cancelled") {
    return (
      <Page key="cancelled" title="Nothing was changed" heading="Nothing was changed">
        <Card className="result result--denied">
          <span className="result__icon">
            <CrossIcon />
          </span>
          <p>
            The link was not used{state.status === "signed-in" ? <>, and this browser is still signed in as {state.user.email}</> : null}. You can
            close this tab.
          </p>
        </Card>
      </Page>
    );
  }
  if (status.step === "failed") {
    return (
      <Page key="failed" title="Could not open Harmont" heading="Could not open Harmont">
        <Notice tone="error">{status.message}</Notice>
        {status.retry ? (
          <div className="actions">
            <Button
              onClick={() => {
                setStatus({ step: "checking" });
                setAttempt((count) => count + 1);
              }}
            >
              Try again
            </Button>
          </div>
        ) : (
          <Card>
            <p>
              Run <code>harmont open</code> in your terminal again.
            </p>
          </Card>
        )}
      </Page>
    );
  }

  const { inspection, pending, problem } = status;
  const { email } = inspection.user;
  const here = state.status === "signed-in" && !isOwnSessionOf(state, inspection.user.id) ? state : null;
  return (
    <Page title="Continue from the CLI" heading="Continue from your terminal" lead="Your terminal asked to open Harmont in this browser.">
      <Card className="consent">
        <Identity label="Your terminal is signed in as" email={email} />
        <div className="consent__what">
          <BrowserIcon />
          <p data-testid="cli-open-question">
            Continue as <strong>{email}</strong> from <strong>“{inspection.cli_session.name}”</strong>? This browser is then signed in until you sign
            out here or that CLI session ends.
          </p>
        </div>
        {here ? (
          <Caution>
            {here.user.id === inspection.user.id ? (
              <>This browser is in a support session as {here.user.email}; continuing ends it.</>
            ) : (
              <>
                You are signed in as <strong>{here.user.email}</strong>; continuing signs you out of that account.
              </>
            )}
          </Caution>
        ) : null}
        <Caution>
          Only continue if you just ran <code>harmont open</code>. If someone sent you this link or asked you to open it, stop here.
        </Caution>
        {problem ? <Notice tone="error">{problem.message}</Notice> : null}
        <div className="choice">
          <Button
            variant="primary"
            busy={pending}
            onClick={() => {
              setStatus({ ...status, pending: true, problem: null });
              void open(inspection);
            }}
          >
            Continue
          </Button>
          <Button
            variant="neutral"
            disabled={pending}
            onClick={() => {
              // Nothing to tell the server: the unused code lapses on its own within a minute.
              forgetCliOpenCode();
              setStatus({ step: "cancelled" });
            }}
          >
            Cancel
          </Button>
        </div>
        <p className="sr-only" role="status">
          {pending ? "Opening Harmont…" : ""}
        </p>
      </Card>
    </Page>
  );
}

function LinkUnusable() {
  return (
    <Page title="Link expired" heading="This link expired or was already used">
      <Card className="result result--lapsed">
        <span className="result__icon">
          <ClockIcon />
        </span>
        <div className="result__body">
          <p>
            A link from <code>harmont open</code> works once, within a minute of being made. Run <code>harmont open</code> again.
          </p>
          <p className="result__hint">Nothing was changed in this browser.</p>
        </div>
      </Card>
    </Page>
  );
}
