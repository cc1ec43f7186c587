/** What `createApp` is given. `main.ts` builds it; tests build as many as they like. */
import type { Logger } from "pino";
import type { AuthDeps } from "./auth/context.js";
import type { OAuthClientRegistry } from "./auth/oauth-clients.js";
import type { Config } from "./config.js";
import type { DevInbox } from "./email/dev-inbox.js";
import type { AuthGuardDeps } from "./http/authenticate.js";
import type { RateLimiter } from "./http/rate-limit.js";
import type { SessionCookieSettings } from "./http/session-cookie.js";

/** Built by `createRateLimiters` from the table in http/rate-limit-rules.ts, one rule per field. */
export interface RateLimiters {
  /** Flood ceiling per IP for the CLI handoff endpoints. */
  cliPerIp: RateLimiter;
  /** One-time codes a user's CLI sessions mint to open the web app. */
  browserTokensPerUser: RateLimiter;
  /** Flood ceiling per IP for the OAuth endpoints. */
  oauthPerIp: RateLimiter;
  deviceCodesPerIp: RateLimiter;
  /** Wrong user codes typed on the device page, per user, per IP and for everyone. */
  userCodeFailuresPerUser: RateLimiter;
  userCodeFailuresPerIp: RateLimiter;
  userCodeFailuresGlobal: RateLimiter;
  signupPerIp: RateLimiter;
  loginPerIp: RateLimiter;
  /** Consecutive failed password sign-ins per account (reset by a success). */
  loginFailuresPerAccount: RateLimiter;
  emailCodesPerAddress: RateLimiter;
  emailCodesPerIp: RateLimiter;
  /** Failed email-code checks per address, across codes. */
  emailCodeFailuresPerAddress: RateLimiter;
  passwordResetsPerAddress: RateLimiter;
  passwordResetsPerIp: RateLimiter;
  /** Failed two-step codes per account, across sign-ins (reset by a success). */
  secondFactorFailuresPerAccount: RateLimiter;
  /** At most one "someone is guessing your codes" mail an hour per account. */
  secondFactorFailureNotice: RateLimiter;
  approvalRequestsPerAccount: RateLimiter;
  /** Spent by "This wasn't me": no approval requests for the account while it is. */
  approvalReportCooldown: RateLimiter;
  impersonationsPerOperator: RateLimiter;
  orgCreatesPerUser: RateLimiter;
  invitationsPerOrg: RateLimiter;
  invitationsPerInviter: RateLimiter;
}

export interface AppDeps {
  config: Config;
  auth: AuthDeps;
  /** What the authentication guards need. */
  guard: AuthGuardDeps;
  cookie: SessionCookieSettings;
  logger: Logger;
  rateLimits: RateLimiters;
  /** The OAuth clients of the device grant and of introspection. */
  oauthClients: OAuthClientRegistry;
  /** Resolves when the database answers a trivial query (`GET /api/v0/ready`). */
  pingDatabase: () => Promise<void>;
  /** Whether an error means the database is unreachable (answered 503, not 500). */
  isServiceUnavailable: (error: unknown) => boolean;
  version: string;
  /** Development only: every message sent, for `/dev/mail`; `null` in production. */
  devInbox: DevInbox | null;
}
