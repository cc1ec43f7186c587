/**
 * The one table of error codes. Nothing outside this table may produce an error body: the
 * envelope renderer, the OpenAPI document and the generated error pages all read it.
 */

export const errorCodes = {
  invalid_request: {
    status: 400,
    type: "invalid_request",
    message: "The request is invalid.",
    meaning: "A field is missing, has the wrong type, or is out of range. The message names the field.",
    remedy: "Fix the named field and send the request again.",
  },
  invalid_json: {
    status: 400,
    type: "invalid_request",
    message: "The request body is not valid JSON.",
    meaning: "The body could not be parsed as JSON (truncated, or not JSON at all).",
    remedy: "Send a complete JSON document with `Content-Type: application/json`.",
  },
  invalid_nonce: {
    status: 400,
    type: "invalid_request",
    message: "The nonce must be 22 to 256 characters of A-Z, a-z, 0-9, '-' and '_'.",
    meaning: "The nonce sent to transfer or deny is too short, too long, or has characters outside base64url.",
    remedy: "Generate at least 128 bits with a CSPRNG and encode them as base64url (the CLI does this for you).",
  },
  cli_code_invalid: {
    status: 400,
    type: "invalid_request",
    message: "The code or nonce is not valid (unknown, expired or already used).",
    meaning:
      "No pending handoff or paste code matches. The same answer is given for one that never existed, is not parked yet, has expired or was already used.",
    remedy: "A polling CLI keeps polling on this code; otherwise start `harmont login` again.",
  },
  cli_browser_token_invalid: {
    status: 400,
    type: "invalid_request",
    message: "This link expired or was already used.",
    meaning:
      "No live CLI → browser code matches: it is older than 60 seconds, was used, or its CLI session was signed out. The same answer is given for one that never existed.",
    remedy: "Run `harmont open` again.",
  },
  payload_too_large: {
    status: 413,
    type: "invalid_request",
    message: "The request body is larger than 64 KiB.",
    meaning: "The body exceeds the server's limit and was not read.",
    remedy: "Send a smaller body.",
  },
  unsupported_media_type: {
    status: 415,
    type: "invalid_request",
    message: "The request body must be application/json.",
    meaning: "A body was sent with a Content-Type other than application/json.",
    remedy: "Send JSON with `Content-Type: application/json`.",
  },
  method_not_allowed: {
    status: 405,
    type: "invalid_request",
    message: "This method is not allowed on this path.",
    meaning: "The path exists but does not accept this HTTP method.",
    remedy: "See the API reference for the methods this path takes.",
  },
  unauthorized: {
    status: 401,
    type: "unauthorized",
    message: "A valid session is required.",
    meaning: "No `Authorization: Bearer` header (or session cookie) was sent, it is malformed, or the session has expired or been revoked.",
    remedy: "Sign in again (for the CLI: `harmont login`).",
  },
  invalid_credentials: {
    status: 401,
    type: "unauthorized",
    message: "The email or password is incorrect.",
    meaning: "The email and password do not match an account. The answer does not say which one was wrong.",
    remedy: "Check both, or sign in with an email code instead.",
  },
  cli_handoff_denied: {
    status: 403,
    type: "forbidden",
    message: "The sign-in was denied in the browser.",
    meaning: "The person at the browser pressed Deny for this CLI login.",
    remedy: "If that was a mistake, run `harmont login` again.",
  },
  forbidden: {
    status: 403,
    type: "forbidden",
    message: "This request is not allowed.",
    meaning: "The session may not do this, or a cookie-authenticated request came from an origin that is not allowed.",
    remedy: "Use a session that has the right, or send the request from the web app.",
  },
  not_found: {
    status: 404,
    type: "not_found",
    message: "Not found.",
    meaning: "There is no such route, or the resource does not exist or is not yours.",
    remedy: "Check the path and the id.",
  },
  cli_nonce_in_use: {
    status: 409,
    type: "conflict",
    message: "This login has already been answered.",
    meaning: "A handoff for this nonce was already parked or denied. The first answer stands, so nobody can swap in another account.",
    remedy: "Start a new login in the terminal (`harmont login`).",
  },
  email_taken: {
    status: 409,
    type: "conflict",
    message: "An account with this email already exists.",
    meaning: "Sign-up was asked for an address that already has an account. (Sign-up reveals this; it is rate-limited per IP.)",
    remedy: "Sign in instead, or sign in with an email code if you do not know the password.",
  },
  api_token_expiry_required: {
    status: 400,
    type: "invalid_request",
    message: "An API token must have an expiry on this server.",
    meaning: "`expires_in_days` was `null` (no expiry), and the operator has not allowed tokens that never expire (`HARMONT_API_TOKEN_NO_EXPIRY`).",
    remedy: "Give the token a number of days (`expires_in_days`, at most the server's maximum).",
  },
  api_token_expiry_too_long: {
    status: 400,
    type: "invalid_request",
    message: "That expiry is longer than this server allows for an API token.",
    meaning: "`expires_in_days` is beyond the operator's maximum (`HARMONT_API_TOKEN_MAX`, 365 days by default).",
    remedy: "Choose fewer days; `GET /api/v0/meta` gives the maximum as `api_token_max_days`.",
  },
  api_token_limit_reached: {
    status: 409,
    type: "conflict",
    message: "This account already has 50 API tokens.",
    meaning: "An account may hold at most 50 live API tokens.",
    remedy: "Revoke tokens that are no longer used, then make the new one.",
  },
  password_reset_invalid: {
    status: 400,
    type: "invalid_request",
    message: "This password reset link has expired or was already used.",
    meaning: "No live reset token matches: it expired (30 minutes by default), was used, was replaced by a newer request, or ran out of attempts.",
    remedy: "Ask for a new link (`requestPasswordReset`); only the newest one works.",
  },
  user_code_invalid: {
    status: 400,
    type: "invalid_request",
    message: "The code is not valid (mistyped, expired or already answered).",
    meaning: "No device login waiting for an answer has this user code: it was mistyped, expired (5 minutes by default), or answered already (by someone else, or picked up).",
    remedy: "Check the code your terminal shows; if it expired, run the login again there.",
  },
  login_challenge_invalid: {
    status: 400,
    type: "invalid_request",
    message: "This sign-in step has expired or is not valid.",
    meaning:
      "The login challenge token is unknown, expired (5 minutes by default), already used, or ended by 5 wrong codes: one answer for each, so it tells a guesser nothing.",
    remedy: "Sign in again from the start (password or email code).",
  },
  second_factor_invalid: {
    status: 400,
    type: "invalid_request",
    message: "The code is not valid.",
    meaning: "A wrong, already used or malformed two-step code: a TOTP code is accepted once, and a backup code once.",
    remedy: "Wait for the next code in your authenticator app, or use a backup code.",
  },
  second_factor_required: {
    status: 400,
    type: "invalid_request",
    message: "A code from your authenticator app is required.",
    meaning: "The account has two-step verification, so resetting its password needs a code as well as the mailed link.",
    remedy: "Send `second_factor` with a code from your app or a backup code.",
  },
  second_factor_already_enabled: {
    status: 409,
    type: "conflict",
    message: "Two-step verification is already on.",
    meaning: "The account has a confirmed authenticator app.",
    remedy: "Turn it off first to enrol another device (`disableSecondFactor`).",
  },
  second_factor_not_enabled: {
    status: 409,
    type: "conflict",
    message: "Two-step verification is not on.",
    meaning: "There is nothing to turn off or to make new backup codes for.",
    remedy: "Turn it on with `startTotpEnrollment`.",
  },
  second_factor_enrollment_missing: {
    status: 409,
    type: "conflict",
    message: "There is no enrolment to confirm.",
    meaning: "None was started, it expired (10 minutes), or 5 wrong codes ended it.",
    remedy: "Start again with `startTotpEnrollment` and scan the new code.",
  },
  approval_number_mismatch: {
    status: 400,
    type: "invalid_request",
    message: "The number does not match, so the sign-in was refused.",
    meaning: "The number typed is not the one the signing-in screen shows; the sign-in is refused at once, so a guess gets one try.",
    remedy: "If you did not start that sign-in, change your password. If you did, sign in again there.",
  },
  login_approval_rejected: {
    status: 403,
    type: "forbidden",
    message: "The sign-in was refused on another device.",
    meaning: "Someone refused the approval on a signed-in device of the account (or typed the wrong number).",
    remedy: "Sign in again, or use your authenticator app.",
  },
  login_approval_unavailable: {
    status: 409,
    type: "conflict",
    message: "This sign-in cannot be approved from another device now.",
    meaning: "No signed-in device of the account passed two-step verification, 3 approvals already wait, or a refused one was reported in the last hour.",
    remedy: "Use a code from your authenticator app or a backup code.",
  },
  login_approval_already_decided: {
    status: 409,
    type: "conflict",
    message: "This sign-in was already approved or refused.",
    meaning: "Another device decided first; the first answer stands.",
    remedy: "Nothing to do.",
  },
  reauthentication_required: {
    status: 403,
    type: "forbidden",
    message: "Sign in again to do this.",
    meaning: "The action needs your password, or, for an account without one, a sign-in in the last 15 minutes.",
    remedy: "Give the password, or sign in again (for example with an email code) and retry.",
  },
  impersonation_forbidden: {
    status: 403,
    type: "forbidden",
    message: "This is not allowed in a support session.",
    meaning: "The session is a support session, which may read but not change how the account signs in.",
    remedy: "The account's owner must do it.",
  },
  email_verification_required: {
    status: 403,
    type: "forbidden",
    message: "Verify your email address first.",
    meaning: "Creating or joining an organization needs an address proven by a code sent to it.",
    remedy: "Verify the address with the code sent at sign-up (the account page can send a new one).",
  },
  organization_not_found: {
    status: 404,
    type: "not_found",
    message: "No such organization.",
    meaning: "It does not exist, or you are not a member of it: the answer is the same for both, so org ids cannot be probed.",
    remedy: "Check the id, or ask an owner or admin of the org for an invitation.",
  },
  insufficient_org_role: {
    status: 403,
    type: "forbidden",
    message: "Your role in this organization does not allow this.",
    meaning: "You are a member, but the change needs an admin or an owner (making or demoting owners needs an owner).",
    remedy: "Ask an owner or admin of the org to do it.",
  },
  member_not_found: {
    status: 404,
    type: "not_found",
    message: "No such member.",
    meaning: "The user is not a member of this organization.",
    remedy: "List the members and check the user id.",
  },
  last_owner: {
    status: 409,
    type: "conflict",
    message: "An organization needs at least one owner.",
    meaning: "The change would leave the org without an owner (demoting, removing or leaving the last one).",
    remedy: "Make someone else an owner first, or delete the org.",
  },
  org_slug_taken: {
    status: 409,
    type: "conflict",
    message: "This slug is taken.",
    meaning: "Another organization has this slug; slugs are unique across the server.",
    remedy: "Choose another slug, or leave it out.",
  },
  org_member_exists: {
    status: 409,
    type: "conflict",
    message: "This person is already a member.",
    meaning: "The invited address belongs to a member of the org.",
    remedy: "Change their role instead.",
  },
  invite_invalid: {
    status: 400,
    type: "invalid_request",
    message: "The invitation has expired or was already used.",
    meaning: "No live invitation has this token: it expired, was used, was revoked, or was replaced by a newer invitation to the same address.",
    remedy: "Ask an owner or admin of the org for a new invitation.",
  },
  invite_not_found: {
    status: 404,
    type: "not_found",
    message: "No such invitation.",
    meaning: "The org has no live invitation with this id.",
    remedy: "List the org's invitations and check the id.",
  },
  invite_email_mismatch: {
    status: 403,
    type: "forbidden",
    message: "This invitation is for another email address.",
    meaning: "The invitation was sent to another address than the one you are signed in with. Nothing was used up: the invited person can still accept it.",
    remedy: "Sign in with the invited address (the message shows it, masked), or ask for an invitation to yours.",
  },
  password_rejected: {
    status: 400,
    type: "invalid_request",
    message: "The password is not acceptable.",
    meaning: "The password is shorter than 8 characters, longer than 256, one of the most common passwords (or one character repeated), or holds control characters. The message says which.",
    remedy: "Choose a longer, less common password; a passphrase of several words works well.",
  },
  email_code_invalid: {
    status: 400,
    type: "invalid_request",
    message: "The email code is not valid.",
    meaning: "The code is wrong, was already used, has expired, or was killed after too many wrong tries. The same answer is given for each.",
    remedy: "Request a new code and use the latest one.",
  },
  email_unconfigured: {
    status: 503,
    type: "service_unavailable",
    message: "Email is not configured on this server.",
    meaning: "The server runs in production without SMTP, so it cannot send codes.",
    remedy: "The operator must set HARMONT_SMTP_URL.",
  },
  rate_limited: {
    status: 429,
    type: "rate_limited",
    message: "Too many requests; try again later.",
    meaning: "A rate limit was reached. The `Retry-After` header says how many seconds to wait.",
    remedy: "Wait the number of seconds in `Retry-After`, then try again.",
  },
  server_error: {
    status: 500,
    type: "server_error",
    message: "Something went wrong on our side.",
    meaning: "An unexpected error. It was logged with the request id.",
    remedy: "Try again; if it persists, report the request id to the operator.",
  },
  service_unavailable: {
    status: 503,
    type: "service_unavailable",
    message: "The service is temporarily unavailable.",
    meaning: "A dependency (usually the database) is unreachable, or the server is at capacity for password checks. The `Retry-After` header says how many seconds to wait.",
    remedy: "Wait the number of seconds in `Retry-After`, then try again.",
  },
} as const satisfies Record<string, ErrorDefinition>;

export interface ErrorDefinition {
  status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503;
  type: string;
  message: string;
  meaning: string;
  remedy: string;
}

export type ErrorCode = keyof typeof errorCodes;

/** An error a handler may throw; the envelope renderer turns it into the response. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly code: ErrorCode;
  readonly status: ErrorDefinition["status"];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, headers: Record<string, string> = {}) {
    // An expected answer to a client, not a fault: its stack would never be read, and capturing
    // one costs more than the rest of a rejected claim.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message ?? errorCodes[code].message);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.status = errorCodes[code].status;
    this.headers = headers;
  }
}
