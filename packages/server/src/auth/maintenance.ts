/** Periodic clean-up: expired sessions, grants and email codes are deleted. */
import type { AuthStore, Clock } from "./types.js";

export async function purgeExpiredRecords(deps: { store: AuthStore; clock: Clock }): Promise<{ sessions: number; grants: number; emailCodes: number }> {
  const now = deps.clock.now();
  return {
    sessions: await deps.store.sessions.deleteExpired(now),
    grants: await deps.store.grants.deleteExpired(now),
    emailCodes: await deps.store.emailCodes.deleteExpired(now),
  };
}
