/**
 * What happens after Authorize, so the page can tell the person the truth: the tab stays on
 * Harmont, and
 *
 * - the CLI's loopback listener gets a background request (the "nudge") that makes it claim at
 *   once instead of at its next poll. It may fail for any reason (the CLI is gone, the browser is
 *   on another device, a firewall) and nothing depends on it: the CLI polls the claim anyway;
 * - the page watches the person's own session list for the CLI session this approval creates
 *   (kind `cli`, made by this browser's session, not there before): once it appears, the terminal
 *   is signed in. When the handoff's lifetime has passed without one, the login is no longer
 *   waiting.
 */
import type { SessionList } from "@harmont/cloud";

/** The server's default handoff lifetime, for a server that does not say (`cli_handoff_lifetime_seconds`). */
export const defaultHandoffLifetimeMs = 60_000;
/** The loopback listener holds its answer until the CLI has claimed; give it that long and a little more. */
export const nudgeTimeoutMs = 12_000;

type ListedSession = SessionList["sessions"][number];

/** The ids of the sessions listed before the approval: a CLI session among them was not made by it. */
export function sessionIds(list: SessionList): Set<string> {
  return new Set(list.sessions.map((session) => session.id));
}

/**
 * The CLI session this approval created: made by the caller's current session, and not in the
 * list taken before Authorize. `null` while the CLI has not claimed.
 */
export function findClaimedSession(list: SessionList, before: ReadonlySet<string>): ListedSession | null {
  const current = list.sessions.find((session) => session.current);
  if (!current) return null;
  return list.sessions.find((session) => session.kind === "cli" && session.parent_session_id === current.id && !before.has(session.id)) ?? null;
}

const loopbackHostnames = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The names Chromium has given the permission that gates requests to 127.0.0.1 (since 145, and 142–144). */
const loopbackPermissionNames = ["loopback-network", "local-network-access"];

/**
 * Whether the nudge can go out without the browser asking the person anything. Chromium's Local
 * Network Access gates a public page's requests to 127.0.0.1 behind a permission prompt; a prompt
 * for a speed-up of a second, on a page that has just asked for consent, is worse than no nudge.
 * So the nudge goes out when the page itself is on this machine (nothing is gated), when the
 * permission is already granted, or when the browser has no such permission; not when the answer
 * would be a prompt or a refusal.
 *
 * @see https://wicg.github.io/local-network-access/
 */
export async function mayNudgeQuietly(hostname: string, permissions: Pick<Permissions, "query"> | undefined): Promise<boolean> {
  if (loopbackHostnames.has(hostname) || hostname.endsWith(".localhost")) return true;
  if (!permissions) return true;
  for (const name of loopbackPermissionNames) {
    try {
      const status = await permissions.query({ name } as unknown as PermissionDescriptor);
      return status.state === "granted";
    } catch {
      // Not a permission this browser knows: try the older name, else there is nothing to ask.
    }
  }
  return true;
}

/**
 * Sends the nudge: a plain GET to the loopback callback, no cookies, no Referer. Resolves `true`
 * when the CLI answered (it does once it has claimed), `false` on any failure. Never rejects.
 */
export async function nudgeLoopback(url: string, timeoutMs: number = nudgeTimeoutMs): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    await fetch(url, { mode: "cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer", redirect: "error", signal: controller.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
