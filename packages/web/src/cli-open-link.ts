/**
 * The link `harmont open` opens: `/cli-open#code=hbt_…&next=%2Faccount`. The code signs this
 * browser in as the CLI's account, once, within a minute. It travels in the fragment, so no
 * server and no `Referer` sees it; the app takes it out of the address bar before it renders and
 * keeps it in memory only, never in storage: a reload, another tab or a page script finds
 * nothing, and the page forgets it as soon as it is used, declined or refused.
 */
import { fragmentParams, tokenFromFragment } from "./fragment-token";
import { safeReturnPath } from "./return-path";

export interface CliOpenLink {
  /** Null when the link had none, or one not in the form the server makes (nothing is asked of the server then). */
  code: string | null;
  /** Where to go once signed in: a path on this origin. */
  next: string;
}

/** Where a link without a usable `next` goes. */
export const defaultNext = "/account";

/**
 * Reads the fragment of a `/cli-open` link. `next` must stay on this origin (as a sign-in's
 * return path must) and must not be this page again, which would only say the code was used.
 */
export function parseCliOpenFragment(hash: string, origin?: string): CliOpenLink {
  const next = safeReturnPath(fragmentParams(hash).get("next"), origin);
  return {
    code: tokenFromFragment(hash, "hbt_", "code"),
    next: next !== null && !/^\/cli-open\/*(?:[?#]|$)/.test(next) ? next : defaultNext,
  };
}

let captured: CliOpenLink | null = null;

/** Called before the app renders: on `/cli-open`, moves the link's fragment into memory and out of the address bar. */
export function captureCliOpenLink(appPath: string, hash: string, replaceAddress: (path: string) => void): void {
  if (appPath !== "/cli-open" || hash === "") return;
  captured = parseCliOpenFragment(hash);
  replaceAddress("/cli-open");
}

/** The link this page load brought; opened without one, or reloaded, there is no code. */
export function currentCliOpenLink(): CliOpenLink {
  return captured ?? { code: null, next: defaultNext };
}

/** Drops the code once it is used, declined or refused: it can do nothing more here. */
export function forgetCliOpenCode(): void {
  if (captured) captured = { ...captured, code: null };
}
