/**
 * The one table of rate limits: every limiter the server has, what spends a point and what a
 * key is, its window and budget (and the settings they come from), and what it does when its
 * store fails. `createRateLimiters` builds the `RateLimiters` the routes are given from it;
 * the routes only spend them.
 */
import type pg from "pg";
import type { RateLimiters } from "../app-deps.js";
import type { Config, SettingName } from "../config.js";
import { createRateLimiter, type RateLimitRule } from "./rate-limit.js";

/**
 * What a limiter is keyed by: the client IP (`X-Forwarded-For` only as far as
 * `HARMONT_TRUST_PROXY` allows), an account (its normalised email, whether or not the
 * password is right), an email address, whether or not it has an account, a signed-in user (their
 * id), an org (its id), or one key for everyone (a global ceiling).
 */
export type RateLimitKey = "ip" | "account" | "address" | "user" | "org" | "global";

export interface RateLimitDefinition {
  /**
   * The limiter's name in its store (the key prefix, and on PostgreSQL the rows of the
   * `rate_limits` table): renaming one starts its counts again.
   */
  name: string;
  keyedBy: RateLimitKey;
  /** What spends a point. */
  counts: string;
  /**
   * Points one key may spend in a window, and the setting they come from (0 disables the
   * limiter), or a fixed number for a limit that is part of a rule rather than a setting.
   */
  budget: { setting: SettingName; points: (config: Config) => number } | { fixed: number };
  /** The window: a fixed number of seconds, or one that comes from a setting. */
  window: { seconds: number } | { setting: SettingName; seconds: (config: Config) => number };
  /**
   * When the store fails: let the request through (a flood ceiling, where refusing would turn a
   * database hiccup into an outage) or refuse it (anything that slows guessing).
   */
  failOpen: boolean;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/** Every limiter, under its field of `RateLimiters`. */
export const rateLimitRules = {
  cliPerIp: {
    name: "cli_ip",
    keyedBy: "ip",
    counts: "a request to a CLI handoff endpoint (transfer, deny, claim, redeem, code, and the browser code's inspect and consume)",
    budget: { setting: "HARMONT_LIMIT_CLI_PER_IP", points: (config) => config.limits.cliPerIpPerMinute },
    window: { seconds: MINUTE },
    failOpen: true,
  },
  browserTokensPerUser: {
    name: "cli_browser_token_user",
    keyedBy: "user",
    counts: "a one-time code minted by a CLI session to open the web app (`harmont open`)",
    budget: { fixed: 10 },
    window: { seconds: MINUTE },
    failOpen: false,
  },
  oauthPerIp: {
    name: "oauth_ip",
    keyedBy: "ip",
    counts: "a request to an OAuth endpoint (device authorization, token, revocation, introspection)",
    budget: { setting: "HARMONT_LIMIT_OAUTH_PER_IP", points: (config) => config.limits.oauthPerIpPerMinute },
    window: { seconds: MINUTE },
    failOpen: true,
  },
  deviceCodesPerIp: {
    name: "device_code_ip",
    keyedBy: "ip",
    counts: "a device-grant code pair asked for",
    budget: { setting: "HARMONT_LIMIT_DEVICE_CODES_PER_IP", points: (config) => config.limits.deviceCodesPerIpPerHour },
    window: { seconds: HOUR },
    failOpen: false,
  },
  userCodeFailuresPerUser: {
    name: "user_code_user",
    keyedBy: "user",
    counts: "a device-grant user code typed by the signed-in user (look-up, approve, deny), spent before the comparison and given back by a match",
    budget: { setting: "HARMONT_LIMIT_USER_CODE_FAILURES", points: (config) => config.accountLimits.userCodeFailuresPerUser },
    window: { seconds: 15 * MINUTE },
    failOpen: false,
  },
  userCodeFailuresPerIp: {
    name: "user_code_ip",
    keyedBy: "ip",
    counts: "a device-grant user code typed from the IP, as above",
    budget: { setting: "HARMONT_LIMIT_USER_CODE_FAILURES_PER_IP", points: (config) => config.accountLimits.userCodeFailuresPerIp },
    window: { seconds: 15 * MINUTE },
    failOpen: false,
  },
  userCodeFailuresGlobal: {
    name: "user_code_global",
    keyedBy: "global",
    counts: "a device-grant user code typed by anyone, as above: a ceiling on all guessing",
    budget: { setting: "HARMONT_LIMIT_USER_CODE_FAILURES_GLOBAL", points: (config) => config.accountLimits.userCodeFailuresGlobal },
    window: { seconds: 15 * MINUTE },
    failOpen: false,
  },
  signupPerIp: {
    name: "signup_ip",
    keyedBy: "ip",
    counts: "a sign-up request",
    budget: { setting: "HARMONT_LIMIT_SIGNUP_PER_IP", points: (config) => config.limits.signupPerIpPerHour },
    window: { seconds: HOUR },
    failOpen: false,
  },
  loginPerIp: {
    name: "login_ip",
    keyedBy: "ip",
    counts: "a password sign-in request",
    budget: { setting: "HARMONT_LIMIT_LOGIN_PER_IP", points: (config) => config.limits.loginPerIpPerMinute },
    window: { seconds: MINUTE },
    failOpen: false,
  },
  loginFailuresPerAccount: {
    name: "login_account",
    keyedBy: "account",
    counts: "a password check of the account (sign-in, password change or account deletion), spent before the check; a success resets the key",
    budget: { setting: "HARMONT_LIMIT_LOGIN_FAILURES", points: (config) => config.accountLimits.loginFailuresPerAccount },
    window: { setting: "HARMONT_LOGIN_COOLDOWN", seconds: (config) => Math.ceil(config.accountLimits.loginCooldownMs / 1000) },
    failOpen: false,
  },
  emailCodesPerAddress: {
    name: "email_code_address",
    keyedBy: "address",
    counts: "an email code sent to the address (sign-in or verification)",
    budget: { setting: "HARMONT_LIMIT_EMAIL_CODES_PER_ADDRESS", points: (config) => config.accountLimits.emailCodesPerAddress },
    window: { seconds: 15 * MINUTE },
    failOpen: false,
  },
  emailCodesPerIp: {
    name: "email_code_ip",
    keyedBy: "ip",
    counts: "a request for a sign-in code",
    budget: { setting: "HARMONT_LIMIT_EMAIL_CODES_PER_IP", points: (config) => config.accountLimits.emailCodesPerIp },
    window: { seconds: HOUR },
    failOpen: false,
  },
  emailCodeFailuresPerAddress: {
    name: "email_code_failures",
    keyedBy: "address",
    counts: "a check of an email code for the address (sign-in or verification), spent before the check; a success resets the key",
    budget: { setting: "HARMONT_LIMIT_EMAIL_CODE_FAILURES", points: (config) => config.accountLimits.emailCodeFailuresPerAddress },
    window: { seconds: HOUR },
    failOpen: false,
  },
  passwordResetsPerAddress: {
    name: "password_reset_address",
    keyedBy: "address",
    counts: "a password reset requested for the address (with an account or not, so a 429 says nothing about it)",
    budget: { setting: "HARMONT_LIMIT_PASSWORD_RESETS_PER_ADDRESS", points: (config) => config.accountLimits.passwordResetsPerAddressPerHour },
    window: { seconds: HOUR },
    failOpen: false,
  },
  passwordResetsPerIp: {
    name: "password_reset_ip",
    keyedBy: "ip",
    counts: "a password reset request",
    budget: { setting: "HARMONT_LIMIT_PASSWORD_RESETS_PER_IP", points: (config) => config.accountLimits.passwordResetsPerIpPerHour },
    window: { seconds: HOUR },
    failOpen: false,
  },
  secondFactorFailuresPerAccount: {
    name: "second_factor_account",
    keyedBy: "user",
    counts: "a check of a two-step verification code for the account (sign-in, disabling, new backup codes), spent before the check; a success resets the key",
    budget: { setting: "HARMONT_LIMIT_SECOND_FACTOR_FAILURES", points: (config) => config.accountLimits.secondFactorFailuresPerAccountPerHour },
    window: { seconds: HOUR },
    failOpen: false,
  },
  secondFactorFailureNotice: {
    name: "second_factor_notice",
    keyedBy: "user",
    counts: 'the "someone is guessing your codes" mail after a sign-in ran out of tries, so it goes at most once an hour',
    budget: { fixed: 1 },
    window: { seconds: HOUR },
    failOpen: true,
  },
  approvalRequestsPerAccount: {
    name: "approval_account",
    keyedBy: "user",
    counts: "a sign-in approval asked of the account's signed-in devices",
    budget: { setting: "HARMONT_LIMIT_APPROVAL_REQUESTS", points: (config) => config.accountLimits.approvalRequestsPerAccountPerHour },
    window: { seconds: HOUR },
    failOpen: false,
  },
  approvalReportCooldown: {
    name: "approval_report",
    keyedBy: "user",
    counts: 'a "This wasn\'t me" report on a sign-in approval; while spent, no approval can be asked for the account',
    budget: { fixed: 1 },
    window: { seconds: HOUR },
    failOpen: false,
  },
  impersonationsPerOperator: {
    name: "impersonation_operator",
    keyedBy: "user",
    counts: "a support session started by the operator",
    budget: { setting: "HARMONT_LIMIT_IMPERSONATIONS", points: (config) => config.accountLimits.impersonationsPerOperatorPerHour },
    window: { seconds: HOUR },
    failOpen: false,
  },
  orgCreatesPerUser: {
    name: "org_create_user",
    keyedBy: "user",
    counts: "an organization created",
    budget: { setting: "HARMONT_LIMIT_ORG_CREATES", points: (config) => config.accountLimits.orgCreatesPerUserPerDay },
    window: { seconds: 24 * HOUR },
    failOpen: false,
  },
  invitationsPerOrg: {
    name: "invitations_org",
    keyedBy: "org",
    counts: "an invitation sent for the organization",
    budget: { setting: "HARMONT_LIMIT_INVITATIONS_PER_ORG", points: (config) => config.accountLimits.invitationsPerOrgPerDay },
    window: { seconds: 24 * HOUR },
    failOpen: false,
  },
  invitationsPerInviter: {
    name: "invitations_inviter",
    keyedBy: "user",
    counts: "an invitation sent by the user, to any org",
    budget: { setting: "HARMONT_LIMIT_INVITATIONS_PER_INVITER", points: (config) => config.accountLimits.invitationsPerInviterPerDay },
    window: { seconds: 24 * HOUR },
    failOpen: false,
  },
} as const satisfies Record<keyof RateLimiters, RateLimitDefinition>;

export type RateLimiterName = keyof typeof rateLimitRules;

/** A definition with its budget and window read from the configuration: what `createRateLimiter` takes. */
export function resolveRateLimitRule(definition: RateLimitDefinition, config: Config): RateLimitRule {
  const { window } = definition;
  return {
    name: definition.name,
    points: "fixed" in definition.budget ? definition.budget.fixed : definition.budget.points(config),
    durationSeconds: "setting" in window ? window.seconds(config) : window.seconds,
    failOpen: definition.failOpen,
  };
}

/**
 * Every limiter of the table: in this process's memory, or in PostgreSQL when `pool` is given
 * so that a limit holds across processes.
 */
export function createRateLimiters(config: Config, pool: pg.Pool | null): RateLimiters {
  const entries = Object.entries(rateLimitRules).map(([field, definition]) => [
    field,
    createRateLimiter(resolveRateLimitRule(definition, config), pool),
  ]);
  // The table has exactly the fields of RateLimiters (checked where it is declared).
  return Object.fromEntries(entries) as RateLimiters;
}
