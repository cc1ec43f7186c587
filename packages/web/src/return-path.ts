/**
 * Where to go after signing in. Only paths on this origin are accepted, so a crafted link
 * cannot use the sign-in page to send someone elsewhere.
 */

/** The return path carried by `?return=`, or null when it is absent or leaves this origin. */
export function safeReturnPath(raw: string | null | undefined, origin: string = window.location.origin): string | null {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return null;
  // Control characters (a tab or newline inside "//") are stripped by URL parsers: refuse them.
  if (/[\u0000-\u001f\u007f]/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  // Judge the path as the browser will use it, after dot segments are resolved: "/.//evil" and
  // "/..//evil" become "//evil", which a browser reads as another host.
  if (url.pathname.startsWith("//") || url.pathname.includes("\\")) return null;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Never back to the sign-in pages themselves.
  if (url.pathname === "/sign-in" || url.pathname === "/sign-up") return null;
  return path;
}

/** The sign-in (or sign-up) page that comes back to `returnTo` afterwards. */
export function signInPath(returnTo: string | null, page: "/sign-in" | "/sign-up" = "/sign-in"): string {
  return returnTo && returnTo !== "/" ? `${page}?return=${encodeURIComponent(returnTo)}` : page;
}
