/**
 * Above every page of a support session: whose account this is, which operator is looking, when
 * it ends, why, and the way out. It is a landmark of its own ("Support session"), so assistive
 * technology can find it, and it stays at the top of the window while the page scrolls, so the
 * operator cannot lose sight of whose account they are in.
 *
 * Ending it asks the server, which puts the operator's own session back into the cookie when it
 * is still live. The shell then reads the session again and the account page shows whoever is
 * signed in now: the operator, or the sign-in page when their session had ended meanwhile.
 */
import { stopImpersonation } from "@harmont/cloud";
import { useState } from "react";
import { harmont, run, type Problem } from "../api";
import { formatAbsolute, formatRelative } from "../format";
import { navigate } from "../router";
import { useSession } from "../session";
import { Button } from "./ui";

export function SupportSessionBanner() {
  const { state, refresh } = useSession();
  const [ending, setEnding] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  if (state.status !== "signed-in" || !state.session.impersonated) return null;
  const { user, impersonation } = state;

  const end = async () => {
    setEnding(true);
    setProblem(null);
    const outcome = await run(stopImpersonation({ client: harmont }));
    // 401 or 404: it had ended already (its time was up, or it was revoked). Either way, see who is signed in now.
    if (!outcome.ok && outcome.problem.status !== 401 && outcome.problem.status !== 404) {
      setEnding(false);
      setProblem(outcome.problem);
      return;
    }
    await refresh();
    setEnding(false);
    // Replace: the page left behind showed someone else's account, which this browser can no longer see.
    navigate("/account", { replace: true });
  };

  return (
    <section className="support-banner" aria-label="Support session">
      <div className="support-banner__inner">
        <p className="support-banner__text">
          <strong>Viewing as {user.email}</strong>
          {impersonation ? (
            <>
              {" "}
              — support session by {impersonation.impersonator.email}, ends{" "}
              <time dateTime={impersonation.expires_at} title={formatRelative(impersonation.expires_at)}>
                {formatAbsolute(impersonation.expires_at)}
              </time>
              . <span className="support-banner__reason">Reason: {impersonation.reason}</span>
            </>
          ) : (
            " — support session."
          )}
          <span className="support-banner__note">Read-only: the account can be looked at, not changed.</span>
        </p>
        <Button variant="neutral" busy={ending} onClick={() => void end()}>
          End support session
        </Button>
        {problem ? (
          <p className="support-banner__problem" role="alert">
            {problem.message}
          </p>
        ) : null}
      </div>
    </section>
  );
}
