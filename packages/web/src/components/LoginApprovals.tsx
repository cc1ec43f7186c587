/**
 * Sign-ins of this account waiting for an approval, on every page of a session that passed
 * two-step verification (only such a session may approve). Each shows when, from which device
 * and address, and after which first factor; approving needs the number the signing-in device
 * shows, so a sign-in nobody is looking at cannot be waved through. Reject, with "This wasn't
 * me", also stops approvals being asked for an hour and mails the account.
 *
 * The list is asked for every 10 seconds while the tab is visible, and at once when the tab comes
 * back into view or gets the focus (a person who just started a sign-in elsewhere comes back here).
 */
import { approveLogin, listLoginApprovals, rejectLogin, type PendingLoginApproval } from "@harmont/cloud";
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { harmont, run, type Problem } from "../api";
import { formatAbsolute, formatRelative } from "../format";
import { useSession } from "../session";
import { Button, Field, Notice } from "./ui";

const POLL_MS = 10_000;

type Decision = "approved" | "refused" | "reported" | "mismatch" | "already_decided" | "gone";

interface Decided {
  approval: PendingLoginApproval;
  decision: Decision;
}

export function LoginApprovals() {
  const { state } = useSession();
  if (state.status !== "signed-in" || !state.session.second_factor_verified) return null;
  // A new session (another sign-in in this tab) starts with nothing decided.
  return <ApprovalPrompts key={state.session.id} />;
}

function usePendingApprovals(): PendingLoginApproval[] {
  const { refresh } = useSession();
  const [approvals, setApprovals] = useState<PendingLoginApproval[]>([]);

  const load = useCallback(async () => {
    const outcome = await run(listLoginApprovals({ client: harmont }));
    if (!outcome.ok) {
      // Signed out elsewhere: the shell catches up. Anything else: try again at the next tick.
      if (outcome.problem.status === 401) await refresh();
      return;
    }
    setApprovals(outcome.data.approvals);
  }, [refresh]);

  useEffect(() => {
    void load();
    const visible = () => document.visibilityState === "visible";
    // A hidden tab asks nothing; it catches up when it is looked at again.
    const timer = window.setInterval(() => {
      if (visible()) void load();
    }, POLL_MS);
    const onLook = () => {
      if (visible()) void load();
    };
    document.addEventListener("visibilitychange", onLook);
    window.addEventListener("focus", onLook);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", onLook);
      window.removeEventListener("focus", onLook);
    };
  }, [load]);

  return approvals;
}

function ApprovalPrompts() {
  const pending = usePendingApprovals();
  const [decided, setDecided] = useState<Decided[]>([]);
  // A decided sign-in may still be listed until the next poll: it is shown by its outcome only.
  const waiting = pending.filter((approval) => !decided.some((entry) => entry.approval.id === approval.id));

  if (waiting.length === 0 && decided.length === 0) return null;
  return (
    <div className="approvals">
      {waiting.map((approval) => (
        <ApprovalPrompt key={approval.id} approval={approval} onDecided={(decision) => setDecided((all) => [...all, { approval, decision }])} />
      ))}
      {decided.map((entry) => (
        <DecidedApproval
          key={entry.approval.id}
          entry={entry}
          onDismiss={() => setDecided((all) => all.filter((other) => other.approval.id !== entry.approval.id))}
        />
      ))}
    </div>
  );
}

const firstFactorText: Record<PendingLoginApproval["first_factor"], string> = {
  password: "Password",
  email_code: "Emailed code",
};

function ApprovalFacts({ approval }: { approval: PendingLoginApproval }) {
  return (
    <dl className="approval__facts">
      <div>
        <dt>When</dt>
        <dd>
          <time dateTime={approval.requested_at} title={formatAbsolute(approval.requested_at)}>
            {formatRelative(approval.requested_at)}
          </time>
        </dd>
      </div>
      <div>
        <dt>Device</dt>
        <dd>{approval.device ?? "Unknown device"}</dd>
      </div>
      <div>
        <dt>From</dt>
        <dd>{approval.ip ?? "Unknown address"}</dd>
      </div>
      <div>
        <dt>Signed in with</dt>
        <dd>{firstFactorText[approval.first_factor]}</dd>
      </div>
    </dl>
  );
}

/** The decision a failed call still amounts to, when it does. */
function decisionOf(problem: Problem): Decision | null {
  if (problem.code === "approval_number_mismatch") return "mismatch";
  if (problem.code === "login_approval_already_decided") return "already_decided";
  if (problem.status === 404) return "gone";
  return null;
}

function ApprovalPrompt({ approval, onDecided }: { approval: PendingLoginApproval; onDecided(decision: Decision): void }) {
  const { refresh } = useSession();
  const reportId = useId();
  const [number, setNumber] = useState("");
  const [report, setReport] = useState(false);
  const [busy, setBusy] = useState<"approve" | "reject" | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const settle = async (outcome: { ok: true } | { ok: false; problem: Problem }, success: Decision) => {
    setBusy(null);
    if (outcome.ok) {
      onDecided(success);
      return;
    }
    const decision = decisionOf(outcome.problem);
    if (decision) onDecided(decision);
    else if (outcome.problem.status === 401) await refresh();
    else setProblem(outcome.problem);
  };

  const approve = async (event: FormEvent) => {
    event.preventDefault();
    if (report) return;
    setBusy("approve");
    setProblem(null);
    await settle(await run(approveLogin({ client: harmont, path: { id: approval.id }, body: { number: number.replace(/\D/g, "") } })), "approved");
  };

  const reject = async () => {
    setBusy("reject");
    setProblem(null);
    await settle(await run(rejectLogin({ client: harmont, path: { id: approval.id }, body: report ? { report: true } : {} })), report ? "reported" : "refused");
  };

  return (
    <section className="card approval" aria-label="A sign-in waiting for your approval">
      <div>
        <h2 className="section-title">Is this you signing in?</h2>
        <p className="muted">Someone got past the first step of signing in to your account and asks this device to approve.</p>
      </div>
      <ApprovalFacts approval={approval} />
      {problem ? <Notice tone="error">{problem.message}</Notice> : null}
      <form className="form" onSubmit={(event) => void approve(event)} aria-label="Approve or reject this sign-in">
        <Field
          label="Type the number shown on the device signing in"
          name="approval-number"
          inputMode="numeric"
          autoComplete="off"
          pattern="[0-9]{1,8}"
          maxLength={8}
          required={!report}
          disabled={report}
          className="field__input field__input--code approval__number"
          value={number}
          onChange={(event) => setNumber(event.target.value)}
          hint="No number on a screen in front of you? Then it is not you: reject it."
        />
        <label className="checkbox" htmlFor={reportId}>
          <input id={reportId} type="checkbox" checked={report} disabled={busy !== null} onChange={(event) => setReport(event.target.checked)} />
          <span>This wasn't me: report it when I reject (no approvals can be asked for an hour, and you get an email)</span>
        </label>
        <div className="choice">
          <Button type="submit" variant="primary" busy={busy === "approve"} disabled={busy !== null || report}>
            Approve
          </Button>
          <Button variant="neutral" busy={busy === "reject"} disabled={busy !== null} onClick={() => void reject()}>
            Reject
          </Button>
        </div>
      </form>
    </section>
  );
}

/** What the person should know afterwards, and do. */
function decisionText(decision: Decision, approval: PendingLoginApproval): { tone: "success" | "info" | "error"; text: string } {
  // Whoever it was got past the first step: that is what to change.
  const secure = approval.first_factor === "password" ? "change your password" : "secure your email account";
  switch (decision) {
    case "approved":
      return { tone: "success", text: "Approved: that device is signed in." };
    case "refused":
      return { tone: "success", text: "Rejected: that sign-in was refused." };
    case "reported":
      return { tone: "info", text: `Rejected and reported: no approvals can be asked for an hour, and we emailed you. If you did not start it, ${secure}.` };
    case "mismatch":
      return { tone: "error", text: `The number did not match, so the sign-in was refused. If it was you, sign in again there; if not, ${secure}.` };
    case "already_decided":
      return { tone: "info", text: "This sign-in was already approved or refused on another device." };
    case "gone":
      return { tone: "info", text: "This sign-in is no longer waiting: it expired or was finished another way." };
  }
}

function DecidedApproval({ entry, onDismiss }: { entry: Decided; onDismiss(): void }) {
  const { tone, text } = decisionText(entry.decision, entry.approval);
  const device = entry.approval.device ?? "an unknown device";
  return (
    <section className="card approval approval--decided" aria-label={`The sign-in on ${device}`}>
      <Notice tone={tone}>{text}</Notice>
      <p className="muted">
        The sign-in on {device}
        {entry.approval.ip ? ` from ${entry.approval.ip}` : ""}.
      </p>
      <div className="actions">
        <Button variant="quiet" onClick={onDismiss}>
          Dismiss
        </Button>
      </div>
    </section>
  );
}
