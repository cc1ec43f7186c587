/**
 * The addresses a login uses: the API URL a person typed, the web app's pages the CLI sends the
 * browser to, and the readable name the new session gets.
 */
import { hostname } from "node:os";

/** The longest session name the server keeps; longer names are cut to this many characters. */
export const MAX_SESSION_NAME_LENGTH = 100;

/**
 * An API URL in the one form used for storage keys and messages: http(s), no query or fragment,
 * no trailing slash. Returns `null` when the text is not an absolute http(s) URL.
 */
export function normalizeApiUrl(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password) return null;
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/+$/, "");
}

/**
 * Cuts a session name to `max` characters (code points, so an emoji is never split in half), after
 * turning control characters and runs of white space into single spaces.
 */
export function cutSessionName(name: string, max = MAX_SESSION_NAME_LENGTH): string {
  const cleaned = name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, " ").replace(/\s+/g, " ").trim();
  return Array.from(cleaned).slice(0, max).join("").trim();
}

/**
 * The name a CLI session gets, so its owner recognises it in the web app's session list:
 * `"<tool> on <hostname>"`, cut to 100 characters.
 */
export function defaultSessionName(tool = "harmont CLI", host: string = hostname()): string {
  return cutSessionName(`${tool} on ${host || "this computer"}`);
}

function pageUrl(webUrl: string, path: string): URL {
  // Keep a path prefix the web app may live under (https://example.com/app → …/app/cli-login).
  const base = webUrl.replace(/\/+$/, "");
  return new URL(`${base}/${path}`);
}

export interface BrowserLoginUrlParts {
  nonce: string;
  /** The loopback listener's port; left out when there is no listener. */
  port?: number | null;
  /** The random value the loopback callback must carry back. */
  state?: string | null;
  /** The session name, so the page can show which CLI is asking. */
  name?: string | null;
}

/** `<web>/cli-login?nonce=…&port=…&state=…&name=…`: the page where the person approves the login. */
export function buildBrowserLoginUrl(webUrl: string, parts: BrowserLoginUrlParts): string {
  const url = pageUrl(webUrl, "cli-login");
  url.searchParams.set("nonce", parts.nonce);
  if (parts.port != null) url.searchParams.set("port", String(parts.port));
  if (parts.state != null) url.searchParams.set("state", parts.state);
  if (parts.name != null) url.searchParams.set("name", parts.name);
  return url.href;
}

/** `<web>/cli-login?paste=true`: the page that shows a paste code to type into the terminal. */
export function buildPasteUrl(webUrl: string): string {
  const url = pageUrl(webUrl, "cli-login");
  url.searchParams.set("paste", "true");
  return url.href;
}
