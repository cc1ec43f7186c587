/**
 * The secret a mailed link carries in its fragment (`#token=hin_…`, `#token=hrt_…`): the fragment
 * never reaches a server or a `Referer`, and the app takes it out of the address bar before it
 * renders.
 */

/** Whether `value` is a token of this prefix: the prefix and 43 characters of base64url. */
export function isLinkToken(value: string, prefix: "hin_" | "hrt_"): boolean {
  return value.length === prefix.length + 43 && value.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}

/** The token of a fragment like `#token=hin_…`, or null when there is none of this prefix. */
export function tokenFromFragment(hash: string, prefix: "hin_" | "hrt_"): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  return token !== null && isLinkToken(token, prefix) ? token : null;
}
