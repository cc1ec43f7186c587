/**
 * The secret a link carries in its fragment (`#token=hin_…` and `#token=hrt_…` from a mail,
 * `#code=hbt_…` from `harmont open`): the fragment never reaches a server or a `Referer`, and the
 * app takes it out of the address bar before it renders.
 */

/** Invitation, password reset, and the CLI → browser code. */
export type LinkTokenPrefix = "hin_" | "hrt_" | "hbt_";

/** Whether `value` is a token of this prefix: the prefix and 43 characters of base64url. */
export function isLinkToken(value: string, prefix: LinkTokenPrefix): boolean {
  return value.length === prefix.length + 43 && value.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}

/** The parameters of a fragment like `#code=…&next=…`, decoded. */
export function fragmentParams(hash: string): URLSearchParams {
  return new URLSearchParams(hash.replace(/^#/, ""));
}

/** The token under `key` of a fragment like `#token=hin_…`, or null when there is none of this prefix. */
export function tokenFromFragment(hash: string, prefix: LinkTokenPrefix, key: "token" | "code" = "token"): string | null {
  const token = fragmentParams(hash).get(key);
  return token !== null && isLinkToken(token, prefix) ? token : null;
}
