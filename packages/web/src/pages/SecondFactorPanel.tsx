/**
 * The account page's two-step verification: whether it is on, turning it on (the password, then
 * a QR code of a new secret drawn in this page, then a code from the app), the ten backup codes
 * shown once, new backup codes, and turning it off.
 *
 * The secret and the backup codes live in this component's state only (never a URL, never
 * storage) and are dropped as soon as they leave the screen.
 */
import {
  confirmTotpEnrollment,
  disableSecondFactor,
  getSecondFactorStatus,
  regenerateBackupCodes,
  startTotpEnrollment,
  type SecondFactorStatus,
  type TotpEnrollment,
} from "@harmont/cloud";
import QRCode from "qrcode";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { CheckIcon, CopyIcon } from "../components/icons";
import { CodeMethodSwitch, SecondFactorCodeField, codeBody, invalidCodeMessage, type CodeMethod } from "../components/second-factor";
import { Button, Card, Loading, Notice } from "../components/ui";
import { formatAbsolute } from "../format";
import { useSession } from "../session";
import { ConfirmPasswordField, passwordBody } from "./AccountSettings";

type Message = { tone: "error" | "success" | "info"; text: string } | null;

/** `reauthentication_required`: an account without a password whose sign-in is older than 15 minutes. */
const signInAgainMessage = "Sign out and sign in again (an emailed code will do), then try again within 15 minutes.";

/** What the panel shows besides the state. */
type View =
  | { step: "status" }
  | { step: "start" }
  | { step: "scan"; enrollment: TotpEnrollment }
  | { step: "codes"; codes: string[] }
  | { step: "prove"; action: "regenerate" | "disable" };

export function SecondFactorPanel() {
  const { refresh } = useSession();
  const [status, setStatus] = useState<SecondFactorStatus | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [view, setView] = useState<View>({ step: "status" });
  const [message, setMessage] = useState<Message>(null);

  const load = useCallback(async () => {
    const outcome = await run(getSecondFactorStatus({ client: harmont }));
    if (!outcome.ok) {
      if (outcome.problem.status === 401) await refresh();
      else setProblem(outcome.problem);
      return;
    }
    setProblem(null);
    setStatus(outcome.data);
  }, [refresh]);

  useEffect(() => {
    void load();
  }, [load]);

  const show = (next: View, nextMessage: Message = null) => {
    setView(next);
    setMessage(nextMessage);
  };

  // This session passed two-step verification on turning it on (so it may approve sign-ins) and
  // other sessions were signed out: the shell asks the server again.
  const changed = async (next: View, nextMessage: Message) => {
    show(next, nextMessage);
    await Promise.all([load(), refresh()]);
  };

  return (
    <Card className="settings second-factor">
      <div className="second-factor__header">
        <div>
          <h2 className="section-title">Two-step verification</h2>
          <p className="muted">
            Ask for a code from an authenticator app after the password or the emailed code, so a stolen password alone cannot sign in.
          </p>
        </div>
        {status ? (
          <span className={`badge ${status.enabled ? "badge--success" : ""}`} data-testid="second-factor-state">
            {status.enabled ? "On" : "Off"}
          </span>
        ) : null}
      </div>
      {problem ? <Notice tone="error">{problem.message}</Notice> : null}
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
      {status === null ? (
        problem ? null : <Loading label="Loading two-step verification…" />
      ) : view.step === "start" ? (
        <StartForm
          onStarted={(enrollment) => show({ step: "scan", enrollment })}
          onCancel={() => show({ step: "status" })}
          onAlreadyOn={() => void changed({ step: "status" }, null)}
        />
      ) : view.step === "scan" ? (
        <ScanForm
          enrollment={view.enrollment}
          onConfirmed={(codes, revoked) =>
            void changed(
              { step: "codes", codes },
              {
                tone: "success",
                text: `Two-step verification is on.${revoked > 0 ? ` ${revoked === 1 ? "Your other session was" : `Your ${revoked} other sessions were`} signed out.` : ""}`,
              },
            )
          }
          onLapsed={(text) => show({ step: "start" }, { tone: "error", text })}
          onCancel={() => show({ step: "status" })}
        />
      ) : view.step === "codes" ? (
        <BackupCodes codes={view.codes} onSaved={() => show({ step: "status" })} />
      ) : view.step === "prove" ? (
        <ProveForm
          action={view.action}
          onDone={(codes) =>
            codes
              ? void changed({ step: "codes", codes }, { tone: "success", text: "New backup codes made: the old ones no longer work." })
              : void changed({ step: "status" }, { tone: "success", text: "Two-step verification is off. Your other sessions were signed out." })
          }
          onCancel={() => show({ step: "status" })}
        />
      ) : status.enabled ? (
        <EnabledSummary status={status} onAction={(action) => show({ step: "prove", action })} />
      ) : (
        <div className="actions">
          <Button onClick={() => show({ step: "start" })}>Turn on two-step verification</Button>
        </div>
      )}
    </Card>
  );
}

function EnabledSummary({ status, onAction }: { status: SecondFactorStatus; onAction(action: "regenerate" | "disable"): void }) {
  const left = status.backup_codes_remaining ?? 0;
  return (
    <>
      <p className="second-factor__facts">
        {status.enabled_at ? (
          <>
            On since <time dateTime={status.enabled_at}>{formatAbsolute(status.enabled_at)}</time>
            <span aria-hidden="true"> · </span>
          </>
        ) : null}
        <span data-testid="backup-codes-left">{left === 1 ? "1 backup code left" : `${left} backup codes left`}</span>
      </p>
      {left <= 3 ? (
        <div className="warning" role="note">
          <p>{left === 0 ? "No backup codes left" : "Few backup codes left"}: make new ones so you can still sign in without your phone.</p>
        </div>
      ) : null}
      <div className="actions">
        <Button variant="secondary" onClick={() => onAction("regenerate")}>
          New backup codes
        </Button>
        <Button variant="danger" onClick={() => onAction("disable")}>
          Turn off
        </Button>
      </div>
    </>
  );
}

/** Step 1 of turning it on: prove it is you, and get a new secret. */
function StartForm({ onStarted, onCancel, onAlreadyOn }: { onStarted(enrollment: TotpEnrollment): void; onCancel(): void; onAlreadyOn(): void }) {
  const { refresh } = useSession();
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const outcome = await run(startTotpEnrollment({ client: harmont, body: passwordBody(password) }));
    setBusy(false);
    if (!outcome.ok) {
      const { code, status, message } = outcome.problem;
      if (status === 401 && code === "unauthorized") await refresh();
      else if (code === "second_factor_already_enabled") onAlreadyOn();
      else if (code === "reauthentication_required") setError(signInAgainMessage);
      else setError(message);
      return;
    }
    onStarted(outcome.data);
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-label="Turn on two-step verification">
      <p>You need an authenticator app on your phone, such as 1Password, Google Authenticator or Aegis.</p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <ConfirmPasswordField value={password} onChange={setPassword} />
      <div className="actions">
        <Button type="submit" busy={busy}>
          Continue
        </Button>
        <Button variant="quiet" disabled={busy} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** `JBSWY3DPEHPK3PXP…` in groups of four, for typing into an app. */
function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(" ") ?? secret;
}

/**
 * The QR code of the `otpauth://` URI, drawn here by the qrcode library: the secret is never
 * sent anywhere to be drawn. An SVG in a data: URL, which the Content-Security-Policy allows for
 * images (and no inline style).
 */
function QrCode({ uri }: { uri: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    void QRCode.toString(uri, { type: "svg", margin: 2, errorCorrectionLevel: "M" }).then((svg) => {
      if (current) setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
    });
    return () => {
      current = false;
    };
  }, [uri]);
  return (
    <div className="qr">
      {src ? <img className="qr__image" src={src} width={184} height={184} alt="QR code of the new key, to scan with your authenticator app" /> : null}
    </div>
  );
}

/** Step 2: scan (or type) the secret, and prove the app has it with its first code. */
function ScanForm({
  enrollment,
  onConfirmed,
  onLapsed,
  onCancel,
}: {
  enrollment: TotpEnrollment;
  onConfirmed(codes: string[], otherSessionsRevoked: number): void;
  onLapsed(message: string): void;
  onCancel(): void;
}) {
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const outcome = await run(confirmTotpEnrollment({ client: harmont, body: { code: codeBody("totp", code) } }));
    setBusy(false);
    if (!outcome.ok) {
      const { code: failure, message } = outcome.problem;
      // Ten minutes passed, or five wrong codes ended it: this secret is dead, start again.
      if (failure === "second_factor_enrollment_missing") onLapsed("That setup expired or had too many wrong codes. Start again: you will get a new key to scan.");
      else {
        setCode("");
        setError(failure === "second_factor_invalid" ? `${message} Check that the phone's clock is right, and type the code the app shows now.` : message);
      }
      return;
    }
    onConfirmed(outcome.data.backup_codes, outcome.data.other_sessions_revoked ?? 0);
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-label="Confirm your authenticator app">
      <div className="scan">
        <QrCode uri={enrollment.otpauth_uri} />
        <div className="scan__text">
          <p>
            <strong>1.</strong> In your authenticator app, add an account and scan this QR code.
          </p>
          <p className="muted">Cannot scan it? Type this key instead (spaces do not matter):</p>
          <p className="scan__secret" data-testid="totp-secret">
            {groupSecret(enrollment.secret)}
          </p>
          <p>
            <strong>2.</strong> Type the 6-digit code the app shows for Harmont.
          </p>
        </div>
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <SecondFactorCodeField method="totp" value={code} onChange={setCode} />
      <p className="muted">Turning it on signs out your other browsers and CLIs; they sign in again with a code.</p>
      <div className="actions">
        <Button type="submit" busy={busy}>
          Turn on
        </Button>
        <Button variant="quiet" disabled={busy} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** The ten backup codes, this once. */
function BackupCodes({ codes, onSaved }: { codes: string[]; onSaved(): void }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const listRef = useRef<HTMLOListElement>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      setCopied("yes");
    } catch {
      // No clipboard access (plain http, or refused): select the codes so Ctrl+C works.
      const selection = window.getSelection();
      if (selection && listRef.current) selection.selectAllChildren(listRef.current);
      setCopied("failed");
    }
  };

  return (
    <div className="backup-codes" role="group" aria-label="Your backup codes">
      <p>
        <strong>Save these backup codes now: they are shown this once.</strong> Each signs in once when you do not have your phone. Keep them
        in a password manager or on paper, not next to your phone.
      </p>
      <ol className="backup-codes__list" ref={listRef} data-testid="backup-codes">
        {codes.map((code) => (
          <li key={code} className="backup-codes__code">
            {code}
          </li>
        ))}
      </ol>
      {copied === "failed" ? <p className="muted">Copying is not allowed here: the codes are selected, press Ctrl+C (⌘C on a Mac).</p> : null}
      <div className="actions">
        <Button variant="secondary" onClick={() => void copy()}>
          {copied === "yes" ? <CheckIcon /> : <CopyIcon />}
          {copied === "yes" ? "Copied" : "Copy codes"}
        </Button>
        <Button onClick={onSaved}>I have saved them</Button>
      </div>
    </div>
  );
}

/** New backup codes, or turning it off: both ask for a code (from the app, or a backup code) and the password. */
function ProveForm({ action, onDone, onCancel }: { action: "regenerate" | "disable"; onDone(codes: string[] | null): void; onCancel(): void }) {
  const { refresh } = useSession();
  const [method, setMethod] = useState<CodeMethod>("totp");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refused = async (problem: Problem) => {
    const { code: failure, status, message } = problem;
    if (status === 401 && failure === "unauthorized") {
      await refresh();
      return;
    }
    if (failure === "second_factor_invalid") setCode("");
    setError(
      failure === "second_factor_invalid"
        ? invalidCodeMessage(method, message)
        : failure === "reauthentication_required"
          ? signInAgainMessage
          : message,
    );
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body = { method, code: codeBody(method, code), ...passwordBody(password) };
    if (action === "regenerate") {
      const outcome = await run(regenerateBackupCodes({ client: harmont, body }));
      setBusy(false);
      if (outcome.ok) onDone(outcome.data.backup_codes);
      else await refused(outcome.problem);
      return;
    }
    const outcome = await run(disableSecondFactor({ client: harmont, body }));
    setBusy(false);
    if (outcome.ok) onDone(null);
    else await refused(outcome.problem);
  };

  const label = action === "regenerate" ? "Make new backup codes" : "Turn off two-step verification";
  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-label={label}>
      <p>
        {action === "regenerate"
          ? "Ten new backup codes replace the old ones, used or not."
          : "Signing in will need only the password or an emailed code again. Your other browsers and CLIs are signed out."}
      </p>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <SecondFactorCodeField method={method} value={code} onChange={setCode} autoFocus />
      <div className="form__links">
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
      <ConfirmPasswordField value={password} onChange={setPassword} />
      <div className="actions">
        <Button type="submit" variant={action === "disable" ? "danger" : "primary"} busy={busy}>
          {label}
        </Button>
        <Button variant="quiet" disabled={busy} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
