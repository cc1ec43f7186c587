/**
 * Who is signed in, and in which organizations. The page never holds a token: it asks the server
 * (`getBootstrap`, answered from the HttpOnly cookie) and keeps only the answer.
 *
 * A support session (an operator viewing the account as its owner) is signed in too, with
 * `impersonation` saying by whom, why and until when, so the shell can show it on every page.
 */
import { getBootstrap, getSession, logout, type Impersonation, type OrgMembership, type Session, type User } from "@harmont/cloud";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { harmont, run, type Problem } from "./api";

export type SessionState =
  | { status: "loading" }
  | { status: "unreachable"; problem: Problem }
  | { status: "signed-out" }
  | {
      status: "signed-in";
      user: User;
      session: Session;
      orgs: OrgMembership[];
      activeOrg: OrgMembership | null;
      /** For a support session (`session.impersonated`): who is acting as the user; `null` otherwise, or when it could not be read. */
      impersonation: Impersonation | null;
    };

interface SessionContextValue {
  state: SessionState;
  /** Asks the server again (after signing in, after a 401). */
  refresh(): Promise<SessionState>;
  /** Ends this browser's session on the server and clears the cookie. */
  signOut(): Promise<Problem | null>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/**
 * One call for the first paint: the user, the session, and their orgs. The bootstrap does not
 * describe a support session yet, so only then is the session check asked for the operator,
 * the reason and the end (an ordinary session stays one call).
 */
async function fetchSession(): Promise<SessionState> {
  const outcome = await run(getBootstrap({ client: harmont }));
  if (outcome.ok) {
    const { user, session, orgs, active_org: activeOrg } = outcome.data;
    const impersonation = session.impersonated ? await fetchImpersonation() : null;
    return { status: "signed-in", user, session, orgs, activeOrg, impersonation };
  }
  if (outcome.problem.status === 401) return { status: "signed-out" };
  return { status: "unreachable", problem: outcome.problem };
}

/** Who is acting as the user; `null` when the check fails (the banner then says less, but still shows). */
async function fetchImpersonation(): Promise<Impersonation | null> {
  const outcome = await run(getSession({ client: harmont }));
  return outcome.ok ? outcome.data.impersonation : null;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });

  const refresh = useCallback(async () => {
    const next = await fetchSession();
    setState(next);
    return next;
  }, []);

  const signOut = useCallback(async () => {
    const outcome = await run(logout({ client: harmont }));
    // 401: the session had already ended; either way this browser is signed out now.
    if (!outcome.ok && outcome.problem.status !== 401) return outcome.problem;
    setState({ status: "signed-out" });
    return null;
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const value = useMemo(() => ({ state, refresh, signOut }), [state, refresh, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
