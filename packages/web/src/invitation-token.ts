/**
 * The token of an org invitation link (`/invitations#token=hin_…`). It travels in the fragment,
 * so it never reaches a server or a log; the app takes it out of the address bar before it
 * renders, and keeps it for this tab only (sessionStorage), so it survives the detour through
 * sign-in or sign-up. It is dropped once the invitation is answered.
 */
import { isLinkToken, tokenFromFragment } from "./fragment-token";

const storageKey = "harmont.invitation";

/** The token of a fragment like `#token=hin_…`, or null. */
export function parseInvitationFragment(hash: string): string | null {
  return tokenFromFragment(hash, "hin_");
}

/** On `/invitations`, moves a token from the fragment into this tab's storage and clears the fragment. */
export function captureInvitationToken(appPath: string, hash: string, replaceAddress: (path: string) => void): void {
  if (appPath !== "/invitations" || hash === "") return;
  const token = parseInvitationFragment(hash);
  if (token) sessionStorage.setItem(storageKey, token);
  replaceAddress("/invitations");
}

export function currentInvitationToken(): string | null {
  const token = sessionStorage.getItem(storageKey);
  return token !== null && isLinkToken(token, "hin_") ? token : null;
}

export function finishInvitation(): void {
  sessionStorage.removeItem(storageKey);
}
