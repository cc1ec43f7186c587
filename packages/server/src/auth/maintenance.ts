/** Periodic clean-up: expired handoffs, paste codes and sessions are deleted. */
import type { AuthStore, Clock } from "./types.js";

export async function purgeExpiredRecords(deps: { store: AuthStore; clock: Clock }): Promise<{ sessions: number; handoffs: number; pasteCodes: number; emailCodes: number }> {
  const now = deps.clock.now();
  return {
    sessions: await deps.store.sessions.deleteExpired(now),
    handoffs: await deps.store.handoffs.deleteExpired(now),
    pasteCodes: await deps.store.pasteCodes.deleteExpired(now),
    emailCodes: await deps.store.emailCodes.deleteExpired(now),
  };
}
