/**
 * `/cli-login?paste=true`: consent first, then a code for `harmont login --paste`. The code is
 * shown large, in groups of four, with a copy button and a countdown to its expiry; it works once.
 * While it is shown the page asks now and then what became of it, and once a CLI used it, says so
 * and names the session it made.
 */
import { cliCode, cliCodeStatus, type User } from "@harmont/cloud";
import { useEffect, useRef, useState } from "react";
import { harmont, run, type Problem } from "../api";
import { SignedInAs, TerminalWarning } from "../components/consent";
import { CheckIcon, ClockIcon, CopyIcon, RefreshIcon } from "../components/icons";
import { Button, Card, Notice, Page } from "../components/ui";
import { formatCountdown, groupPasteCode } from "../format";
import { useSession } from "../session";

interface MintedCode {
  /** As the server gave it; sent back (in a body, never a URL) to ask what became of it. */
  raw: string;
  grouped: string;
  /** `performance.now()` when it expires: measured from the server's own clock, so a wrong local clock does not matter. */
  expiresAtTick: number;
}

/** Milliseconds the code lives, from the server's `Date` header when present. */
function lifetimeOf(expiresAt: string, response: Response): number {
  const serverNow = Date.parse(response.headers.get("date") ?? "");
  const expires = Date.parse(expiresAt);
  return expires - (Number.isFinite(serverNow) ? serverNow : Date.now());
}

function useSecondsLeft(code: MintedCode | null): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!code) return;
    setNow(performance.now());
    const timer = window.setInterval(() => setNow(performance.now()), 250);
    return () => window.clearInterval(timer);
  }, [code]);
  return code ? Math.max(0, (code.expiresAtTick - now) / 1000) : 0;
}

const STATUS_POLL_MS = 2_000;

interface CodeUse {
  sessionName: string;
  usedAt: string;
}

/** Asks every two seconds whether the shown code was used, until it was or it expired. */
function useCodeUse(code: MintedCode | null, expired: boolean): CodeUse | null {
  const [use, setUse] = useState<{ raw: string; use: CodeUse } | null>(null);
  const settled = code !== null && use?.raw === code.raw;
  useEffect(() => {
    if (!code || expired || settled) return;
    let stopped = false;
    const ask = async () => {
      const outcome = await run(cliCodeStatus({ client: harmont, body: { code: code.raw } }));
      if (stopped || !outcome.ok || outcome.data.state !== "used") return;
      setUse({ raw: code.raw, use: { sessionName: outcome.data.session_name ?? "a CLI session", usedAt: outcome.data.used_at ?? "" } });
    };
    const timer = window.setInterval(() => void ask(), STATUS_POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [code, expired, settled]);
  return code !== null && use?.raw === code.raw ? use.use : null;
}

export function PasteCodePanel({ user }: { user: User }) {
  const { refresh } = useSession();
  const [code, setCode] = useState<MintedCode | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const codeRef = useRef<HTMLParagraphElement>(null);
  const secondsLeft = useSecondsLeft(code);
  const expired = code !== null && secondsLeft <= 0;
  const used = useCodeUse(code, expired);

  const mint = async () => {
    setBusy(true);
    setProblem(null);
    setCopied(null);
    const outcome = await run(cliCode({ client: harmont }));
    setBusy(false);
    if (!outcome.ok) {
      if (outcome.problem.status === 401) {
        await refresh();
        return;
      }
      setProblem(outcome.problem);
      return;
    }
    const lifetime = lifetimeOf(outcome.data.expires_at, outcome.response);
    setCode({ raw: outcome.data.code, grouped: groupPasteCode(outcome.data.code), expiresAtTick: performance.now() + lifetime });
  };

  const copy = async () => {
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code.grouped);
      setCopied("yes");
    } catch {
      // No clipboard access (plain http, or refused): select the code so Ctrl+C works.
      const selection = window.getSelection();
      if (selection && codeRef.current) {
        selection.selectAllChildren(codeRef.current);
      }
      setCopied("failed");
    }
  };

  if (!code) {
    return (
      <Page title="Get a CLI code" heading="Sign in a terminal with a code" lead="For a terminal that cannot open this browser: over SSH, in a container, on another machine.">
        <Card className="consent">
          <SignedInAs email={user.email} />
          <div className="consent__what">
            <p>
              Authorize to get a one-time code. Typing it into <code>harmont login --paste</code> creates a new CLI session for your account.
              The code works once and only for a few minutes.
            </p>
          </div>
          <TerminalWarning />
          {problem ? <Notice tone="error">{problem.message}</Notice> : null}
          <div className="choice choice--single">
            <Button busy={busy} onClick={() => void mint()}>
              Authorize
            </Button>
          </div>
        </Card>
      </Page>
    );
  }

  if (used) {
    return (
      <Page title="Terminal signed in" heading="Your terminal is signed in" lead="The code was used, so it no longer works. You can close this tab.">
        <Card className="paste">
          <Notice tone="success">
            <CheckIcon /> Used by <strong data-testid="paste-session-name">“{used.sessionName}”</strong>
            {used.usedAt ? <> at {new Date(used.usedAt).toLocaleTimeString()}</> : null}.
          </Notice>
          <p className="paste__hint">Not you? Revoke that session on your account page.</p>
          <div className="choice choice--single">
            <Button variant="secondary" busy={busy} onClick={() => void mint()}>
              <RefreshIcon />
              Get a new code
            </Button>
          </div>
        </Card>
      </Page>
    );
  }

  return (
    <Page title="Your CLI code" heading="Type this code into your terminal" lead={<>Where <code>harmont login --paste</code> is waiting for it.</>}>
      <Card className="paste">
        <p className={`paste__code${expired ? " paste__code--expired" : ""}`} ref={codeRef} data-testid="paste-code">
          {code.grouped.split("-").map((group, index) => (
            <span key={index}>
              {index > 0 ? "-" : null}
              <span className="paste__group">{group}</span>
            </span>
          ))}
        </p>
        <div className="paste__meta">
          <span className="paste__countdown" role={expired ? "alert" : undefined}>
            <ClockIcon />
            {expired ? "This code has expired." : <>Expires in {formatCountdown(secondsLeft)}</>}
          </span>
          <span className="paste__hint">Dashes are optional. Never share it with anyone.</span>
        </div>
        {problem ? <Notice tone="error">{problem.message}</Notice> : null}
        <div className="choice">
          <Button variant="neutral" disabled={expired} onClick={() => void copy()}>
            {copied === "yes" ? <CheckIcon /> : <CopyIcon />}
            {copied === "yes" ? "Copied" : "Copy code"}
          </Button>
          <Button variant="secondary" busy={busy} onClick={() => void mint()}>
            <RefreshIcon />
            Get a new code
          </Button>
        </div>
        {copied === "failed" ? <p className="paste__hint">Copying is not allowed here: the code is selected, press Ctrl+C (⌘C on a Mac).</p> : null}
      </Card>
    </Page>
  );
}
