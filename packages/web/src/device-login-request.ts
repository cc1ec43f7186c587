/**
 * The code of a device login (RFC 8628): `/device?user_code=BCDF-GHJK`, the link a device shows
 * beside its code (`verification_uri_complete`).
 *
 * The code is what approves the login, so it is taken out of the address bar before the app even
 * renders (`history.replaceState`), as `/cli-login` does with its nonce: it then stays out of the
 * history, bookmarks and screenshots. The page keeps it for this tab only (sessionStorage, which
 * survives the detour through the sign-in page and a reload, but not the tab), only to fill the
 * code field in: opening the link asks the server nothing, the person still presses Continue. It
 * is dropped once the login is answered.
 */

const storageKey = "harmont.device-login";
/** Codes live 5 minutes by default and 15 at most; keep the code a little longer. */
const keepForMs = 20 * 60 * 1000;
/** A code is 8 letters; room for dashes, spaces and a stray character or two, nothing more. */
const longestKept = 32;

/** What the person typed without its dashes and spaces, upper-cased (fullwidth letters folded, as the server does). */
export function plainUserCode(typed: string): string {
  return typed.normalize("NFKC").replace(/[\s-]/g, "").toUpperCase();
}

/** As the field shows it: `bcdf ghjk` → `BCDF-GHJK`, at most 8 characters, the dash after the fourth. */
export function formatUserCodeInput(typed: string): string {
  const plain = plainUserCode(typed).slice(0, 8);
  return plain.length > 4 ? `${plain.slice(0, 4)}-${plain.slice(4)}` : plain;
}

/** Whether a typed code has the shape of one (8 letters), so a slip is caught before the server counts it. */
export function looksLikeUserCode(typed: string): boolean {
  return /^[A-Z]{8}$/.test(plainUserCode(typed));
}

/** A code kept for this tab. */
export interface KeptCode {
  code: string;
  /** It came with the link (`?user_code=`), rather than typed here before a detour through sign-in. */
  fromLink: boolean;
  receivedAt: number;
}

function isKeptCode(value: unknown): value is KeptCode {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.code === "string" &&
    record.code.length <= longestKept &&
    typeof record.fromLink === "boolean" &&
    typeof record.receivedAt === "number"
  );
}

/** Keeps `code` for this tab (a link's, or one typed before a detour through sign-in). */
export function keepDeviceLoginCode(code: string, fromLink: boolean, now: number = Date.now()): void {
  try {
    sessionStorage.setItem(storageKey, JSON.stringify({ code: code.trim().slice(0, longestKept), fromLink, receivedAt: now } satisfies KeptCode));
  } catch {
    // Storage can be disabled: the person types the code instead.
  }
}

/**
 * Called once at start-up, before the first render: when the address is `/device` with a code,
 * keep the code and take it out of the address bar.
 */
export function captureDeviceLoginCode(appPath: string, search: string, replaceAddress: (path: string) => void): void {
  if (appPath !== "/device") return;
  const query = new URLSearchParams(search);
  if (!query.has("user_code")) return;
  const code = query.get("user_code") ?? "";
  if (code.trim() !== "") keepDeviceLoginCode(code, true);
  replaceAddress("/device");
}

/** The code this tab was given or typed, or null. */
export function currentDeviceLoginCode(now: number = Date.now()): KeptCode | null {
  try {
    const raw = sessionStorage.getItem(storageKey);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (isKeptCode(parsed) && now - parsed.receivedAt < keepForMs) return parsed;
    sessionStorage.removeItem(storageKey);
  } catch {
    // Unreadable: as if absent.
  }
  return null;
}

/** Forgets the code once the login is answered. */
export function finishDeviceLogin(): void {
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // Nothing was kept.
  }
}
