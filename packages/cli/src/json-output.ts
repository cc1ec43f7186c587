/**
 * What `--json` prints, command by command, in one vocabulary: the same thing has the same field
 * name and the same values wherever it appears, and every field of a command is present in every
 * outcome (`null` when it does not apply), so a script can read them without guessing.
 *
 * - `api_url`, `profile`: in every output, the server and profile the command used.
 * - `token_source` (`"env"`, `"keychain"` or `"file"`) and `token_location` (the variable's name,
 *   the keychain service, or the file's path): where the token came from or was put.
 * - `user`, `session`: the server's own objects (`session.id`, `session.expires_at` as ISO 8601…).
 * - `reason`: why a command did not do all it was asked, in `snake_case`; `null` when it did.
 *
 * The README's "JSON output" section documents these shapes; keep the two together.
 */
import type { ApiToken, CurrentSession, OrgMembership, SessionList } from "@harmont/cloud";
import type { TokenSource } from "./storage/credential-store.js";

/** The fields every `--json` output starts with. */
export interface Target {
  api_url: string;
  profile: string;
}

/** Where the token came from (`status`, `token`), was stored (`login`), or was deleted from (`logout`). */
export interface TokenOrigin {
  token_source: TokenSource | null;
  token_location: string | null;
}

/** Why `status` found no live session. */
export type StatusReason = "not_logged_in" | "expired" | "revoked" | "rejected" | "unreachable" | "unreadable" | "server_error";

/** Why `logout` did less than revoke a session and delete its token. */
export type LogoutReason = "not_logged_in" | "already_invalid" | "unreachable" | "unreadable" | "server_error";

/** `harmont login --json`, once logged in (`user` and `session` are `null` when the account could not be read). */
export interface LoginJson extends Target, TokenOrigin {
  logged_in: true;
  user: CurrentSession["user"] | null;
  session: CurrentSession["session"] | null;
}

/**
 * `harmont login --device --json`: the first line on stdout, printed as soon as the server gives
 * the code (compact, on one line), so that a script or an agent can relay it; `LoginJson` follows.
 * `expires_at` is when the code stops working for this login (the earlier of the server's expiry
 * and `--timeout`).
 */
export interface DeviceCodeJson {
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string | null;
  expires_at: string;
}

/** The active org of a session, with its name (`status`, `switch`). */
export interface ActiveOrg {
  id: string;
  name: string;
  slug: string | null;
  role: OrgMembership["role"];
}

/** `harmont status --json`. */
export interface StatusJson extends Target, TokenOrigin {
  logged_in: boolean;
  user: CurrentSession["user"] | null;
  session: CurrentSession["session"] | null;
  /** The session's active org; `null` for none (or when not logged in). */
  org: ActiveOrg | null;
  reason: StatusReason | null;
}

/** `harmont token --json`. */
export interface TokenJson extends Target, TokenOrigin {
  token: string;
}

/** `harmont sessions --json`. */
export interface SessionsJson extends Target {
  sessions: SessionList["sessions"];
}

/** `harmont sessions revoke <id> --json`. */
export interface RevokeJson extends Target {
  revoked: true;
  session_id: string;
  /** Whether it was this CLI's own session (whose token is then deleted here). */
  current: boolean;
  deleted_locally: boolean;
}

/** `harmont orgs --json`. */
export interface OrgsJson extends Target {
  active_org_id: string | null;
  orgs: OrgMembership[];
}

/** `harmont switch <org> --json`. */
export interface SwitchJson extends Target {
  switched: true;
  org: ActiveOrg;
}

/** `harmont tokens --json`. */
export interface ApiTokensJson extends Target {
  tokens: ApiToken[];
}

/** `harmont tokens create <name> --json`: the only time the token is shown. */
export interface ApiTokenCreatedJson extends Target {
  token: string;
  api_token: ApiToken;
}

/** `harmont tokens revoke <id> --json`. */
export interface ApiTokenRevokeJson extends Target {
  revoked: true;
  token_id: string;
}

/** `harmont logout --json`. */
export interface LogoutJson extends Target, TokenOrigin {
  /** `false` only when there was nothing to log out of. */
  logged_out: boolean;
  revoked_on_server: boolean;
  deleted_locally: boolean;
  reason: LogoutReason | null;
}

/**
 * `harmont open --json`. `web_url` is the page without any code; `url` is the one-time URL, only
 * with `--print-url`. `reason`: `no_browser` (nothing was minted) or `open_failed`.
 */
export interface OpenJson extends Target {
  opened: boolean;
  web_url: string;
  url: string | null;
  expires_at: string | null;
  reason: "no_browser" | "open_failed" | null;
}

/** The `api_url` and `profile` of this command. */
export function targetOf(context: { apiUrl: string; profile: string }): Target {
  return { api_url: context.apiUrl, profile: context.profile };
}
