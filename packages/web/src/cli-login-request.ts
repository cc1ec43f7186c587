/**
 * The parameters of `/cli-login`, the page Harmont's CLI opens:
 * `?nonce=…&port=…&state=…&name=…` for the browser handoff, `?paste=true` for a paste code.
 *
 * The nonce is the one secret that travels in a URL, so it is taken out of the address bar
 * before the app even renders (`history.replaceState`): it then stays out of the history, out of
 * bookmarks and out of screenshots. The page keeps it for this tab only (sessionStorage, which
 * survives the detour through the sign-in page and a reload, but not the tab), and drops it once
 * the login is answered or after the CLI has stopped waiting.
 */

/** A login waiting for an answer in this tab. */
export interface HandoffRequest {
  nonce: string;
  /** The CLI's loopback port (1024–65535), or null when it gave none or an invalid one. */
  port: number | null;
  /** Echoed to the loopback listener; absent from Harmont's `hm` CLI. */
  state: string | null;
  /** The name the CLI will give its session, for display only. */
  name: string | null;
  receivedAt: number;
}

export type CliLoginRequest =
  | { kind: "handoff"; request: HandoffRequest }
  | { kind: "paste" }
  | { kind: "invalid"; reason: "missing" | "malformed" };

const storageKey = "harmont.cli-login";
/** The CLI stops waiting after 5 minutes by default; keep the request a little longer. */
const keepForMs = 10 * 60 * 1000;

export const noncePattern = /^[A-Za-z0-9_-]{22,256}$/;

export function parsePort(raw: string | null): number | null {
  if (raw === null || !/^\d{4,5}$/.test(raw)) return null;
  const port = Number(raw);
  return port >= 1024 && port <= 65535 ? port : null;
}

/** Reads the query of a `/cli-login` URL. */
export function parseCliLoginQuery(search: string, now: number = Date.now()): CliLoginRequest {
  const query = new URLSearchParams(search);
  if (query.get("paste") === "true") return { kind: "paste" };
  const nonce = query.get("nonce");
  if (nonce === null || nonce === "") return { kind: "invalid", reason: "missing" };
  if (!noncePattern.test(nonce)) return { kind: "invalid", reason: "malformed" };
  const state = query.get("state");
  const name = query.get("name")?.trim().slice(0, 100) || null;
  return {
    kind: "handoff",
    request: { nonce, port: parsePort(query.get("port")), state: state === null ? null : state.slice(0, 1024), name, receivedAt: now },
  };
}

/** Where the loopback listener of the CLI is told the login was authorized. */
export function loopbackCallbackUrl(request: Pick<HandoffRequest, "port" | "state">): string | null {
  if (request.port === null) return null;
  return `http://127.0.0.1:${request.port}/callback?state=${encodeURIComponent(request.state ?? "")}`;
}

let current: CliLoginRequest | null = null;

function isHandoffRequest(value: unknown): value is HandoffRequest {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.nonce === "string" &&
    noncePattern.test(record.nonce) &&
    (record.port === null || typeof record.port === "number") &&
    (record.state === null || typeof record.state === "string") &&
    (record.name === null || typeof record.name === "string") &&
    typeof record.receivedAt === "number"
  );
}

function store(request: HandoffRequest | null): void {
  try {
    if (request) window.sessionStorage.setItem(storageKey, JSON.stringify(request));
    else window.sessionStorage.removeItem(storageKey);
  } catch {
    // Storage can be disabled; the request then lives in memory for this page only.
  }
}

function restore(now: number): HandoffRequest | null {
  try {
    const raw = window.sessionStorage.getItem(storageKey);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (isHandoffRequest(parsed) && now - parsed.receivedAt < keepForMs) return parsed;
    window.sessionStorage.removeItem(storageKey);
  } catch {
    // Unreadable: as if absent.
  }
  return null;
}

/**
 * Called once at start-up, before the first render: when the address is `/cli-login` with a
 * nonce, keep the request and take the parameters out of the address bar.
 */
export function captureCliLoginRequest(appPath: string, search: string, replaceAddress: (path: string) => void): void {
  if (appPath !== "/cli-login") return;
  const query = new URLSearchParams(search);
  if (query.get("paste") === "true") return;
  if (query.has("nonce") || query.has("port") || query.has("state") || query.has("name")) {
    const parsed = parseCliLoginQuery(search);
    current = parsed;
    store(parsed.kind === "handoff" ? parsed.request : null);
    replaceAddress("/cli-login");
  }
}

/** The login this tab is answering: the one captured from the URL, else the one kept for the tab. */
export function currentCliLoginRequest(now: number = Date.now()): CliLoginRequest {
  if (current && current.kind !== "handoff") return current;
  if (current?.kind === "handoff" && now - current.request.receivedAt < keepForMs) return current;
  const kept = restore(now);
  current = kept ? { kind: "handoff", request: kept } : { kind: "invalid", reason: "missing" };
  return current;
}

/** Forgets the request once it has been answered. */
export function finishCliLoginRequest(): void {
  current = null;
  store(null);
}
