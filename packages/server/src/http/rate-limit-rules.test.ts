import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig, settings } from "../config.js";
import { createRateLimiters, rateLimitRules, resolveRateLimitRule, type RateLimitDefinition } from "./rate-limit-rules.js";

const rules = Object.entries(rateLimitRules) as Array<[string, RateLimitDefinition]>;

/** The fields of `RateLimiters` as app-deps.ts declares them (the routes use these names). */
function rateLimiterFields(): string[] {
  const source = readFileSync(new URL("../app-deps.ts", import.meta.url), "utf8");
  const body = /export interface RateLimiters \{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (body === undefined) throw new Error("app-deps.ts declares no RateLimiters interface");
  return [...body.matchAll(/^\s+(\w+): RateLimiter;$/gm)].map((match) => match[1]!);
}

describe("the rate limit rules", () => {
  it("have one rule for every field of RateLimiters, and createRateLimiters builds exactly those", () => {
    const fields = rateLimiterFields();
    expect(fields.length).toBeGreaterThan(0);
    expect(Object.keys(rateLimitRules).sort()).toEqual([...fields].sort());
    expect(Object.keys(createRateLimiters(loadConfig({}), null)).sort()).toEqual([...fields].sort());
  });

  it("take their budgets and windows from settings of the settings table", () => {
    for (const [field, rule] of rules) {
      if ("setting" in rule.budget) {
        expect(Object.keys(settings), `${field}'s budget`).toContain(rule.budget.setting);
        // The named setting is the one that feeds the budget, not just a name.
        expect(rule.budget.points(loadConfig({ [rule.budget.setting]: "7" })), field).toBe(7);
      }
      if ("setting" in rule.window) {
        expect(Object.keys(settings), `${field}'s window`).toContain(rule.window.setting);
        expect(rule.window.seconds(loadConfig({ [rule.window.setting]: "7m" })), field).toBe(420);
      }
    }
  });

  it("give every limiter its own name in the store", () => {
    const names = rules.map(([, rule]) => rule.name);
    expect(new Set(names).size).toBe(names.length);
  });

  // A regression guard: the limits as they were before the table, under the default settings.
  it("keep the default limits", () => {
    const config = loadConfig({});
    const resolved = Object.fromEntries(rules.map(([field, rule]) => [field, { keyedBy: rule.keyedBy, ...resolveRateLimitRule(rule, config) }]));
    expect(resolved).toEqual({
      cliPerIp: { keyedBy: "ip", name: "cli_ip", points: 6000, durationSeconds: 60, failOpen: true },
      browserTokensPerUser: { keyedBy: "user", name: "cli_browser_token_user", points: 10, durationSeconds: 60, failOpen: false },
      oauthPerIp: { keyedBy: "ip", name: "oauth_ip", points: 6000, durationSeconds: 60, failOpen: true },
      deviceCodesPerIp: { keyedBy: "ip", name: "device_code_ip", points: 60, durationSeconds: 3600, failOpen: false },
      userCodeFailuresPerUser: { keyedBy: "user", name: "user_code_user", points: 10, durationSeconds: 900, failOpen: false },
      userCodeFailuresPerIp: { keyedBy: "ip", name: "user_code_ip", points: 20, durationSeconds: 900, failOpen: false },
      userCodeFailuresGlobal: { keyedBy: "global", name: "user_code_global", points: 1000, durationSeconds: 900, failOpen: false },
      signupPerIp: { keyedBy: "ip", name: "signup_ip", points: 30, durationSeconds: 3600, failOpen: false },
      loginPerIp: { keyedBy: "ip", name: "login_ip", points: 60, durationSeconds: 60, failOpen: false },
      loginFailuresPerAccount: { keyedBy: "account", name: "login_account", points: 100, durationSeconds: 900, failOpen: false },
      emailCodesPerAddress: { keyedBy: "address", name: "email_code_address", points: 5, durationSeconds: 900, failOpen: false },
      emailCodesPerIp: { keyedBy: "ip", name: "email_code_ip", points: 30, durationSeconds: 3600, failOpen: false },
      emailCodeFailuresPerAddress: { keyedBy: "address", name: "email_code_failures", points: 20, durationSeconds: 3600, failOpen: false },
      passwordResetsPerAddress: { keyedBy: "address", name: "password_reset_address", points: 3, durationSeconds: 3600, failOpen: false },
      passwordResetsPerIp: { keyedBy: "ip", name: "password_reset_ip", points: 30, durationSeconds: 3600, failOpen: false },
      secondFactorFailuresPerAccount: { keyedBy: "user", name: "second_factor_account", points: 10, durationSeconds: 3600, failOpen: false },
      secondFactorFailureNotice: { keyedBy: "user", name: "second_factor_notice", points: 1, durationSeconds: 3600, failOpen: true },
      approvalRequestsPerAccount: { keyedBy: "user", name: "approval_account", points: 10, durationSeconds: 3600, failOpen: false },
      approvalReportCooldown: { keyedBy: "user", name: "approval_report", points: 1, durationSeconds: 3600, failOpen: false },
      impersonationsPerOperator: { keyedBy: "user", name: "impersonation_operator", points: 20, durationSeconds: 3600, failOpen: false },
      orgCreatesPerUser: { keyedBy: "user", name: "org_create_user", points: 10, durationSeconds: 86400, failOpen: false },
      invitationsPerOrg: { keyedBy: "org", name: "invitations_org", points: 50, durationSeconds: 86400, failOpen: false },
      invitationsPerInviter: { keyedBy: "user", name: "invitations_inviter", points: 50, durationSeconds: 86400, failOpen: false },
    });
  });

  it("round a cool-down that is not whole seconds up", () => {
    const config = loadConfig({ HARMONT_LOGIN_COOLDOWN: "1500ms" });
    expect(resolveRateLimitRule(rateLimitRules.loginFailuresPerAccount, config).durationSeconds).toBe(2);
  });

  it("build limiters that spend the configured budget, and none for a budget of 0", async () => {
    const limiters = createRateLimiters(loadConfig({ HARMONT_LIMIT_SIGNUP_PER_IP: "2", HARMONT_LIMIT_LOGIN_PER_IP: "0" }), null);
    const spent = [];
    for (let attempt = 0; attempt < 3; attempt++) spent.push((await limiters.signupPerIp.consume("192.0.2.1")).allowed);
    expect(spent).toEqual([true, true, false]);
    expect((await limiters.signupPerIp.consume("192.0.2.2")).allowed).toBe(true);
    for (let attempt = 0; attempt < 100; attempt++) expect((await limiters.loginPerIp.consume("192.0.2.1")).allowed).toBe(true);
  });
});
