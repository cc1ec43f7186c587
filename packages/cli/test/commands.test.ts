/**
 * status / whoami, token, sessions, logout and the global flags, end to end: the built binary
 * against a real server, each test with its own HOME.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import { createCredentialStore } from "../src/storage/credential-store.js";
import { cliEnv, cliMain, openerEnv, runHarmont, startTestServer, useTestbed } from "./support/harness.js";

const testbed = useTestbed();
const serverMain = new URL("../../server/dist/main.js", import.meta.url).pathname;

/**
 * A person with a web session, and a HOME where the CLI holds a CLI session of theirs: redeemed
 * through the API and stored with the CLI's own store (the login commands have tests of their own).
 */
async function loggedIn(extra: Record<string, string> = {}) {
  const person = await testbed.server.signup();
  const dir = testbed.home();
  const env = cliEnv(dir.home, testbed.server.url, extra);
  const code = await testbed.server.pasteCode(person.token);
  const redeemed = await testbed.server.api("/api/v0/auth/cli/redeem", { json: { code, name: "harmont CLI on test-host" } });
  const { token: cliToken } = (await redeemed.json()) as { token: string };
  // Saved with the session's expiry, as `harmont login` does.
  const current = (await (await testbed.server.api("/api/v0/auth/session", { token: cliToken })).json()) as { session: { expires_at: string } };
  const store = createCredentialStore({ env, keychain: { skip: "not in these tests" } });
  await store.save({ profile: "default", apiUrl: testbed.server.url }, cliToken, { expiresAt: current.session.expires_at });
  expect(store.filePath).toBe(dir.credentialsFile);
  return { ...person, ...dir, env, cliToken };
}

/** The parts of credentials.json these tests read or change. */
interface CredentialsFile {
  profiles: { default: { api_url: string; tokens: Record<string, { expires_at?: string }> } };
}

const statusOf = async (token: string) => (await testbed.server.api("/api/v0/auth/session", { token })).status;

describe("harmont status", () => {
  it("shows the API URL, account, session, expiry and token source; --json parses; whoami is the same", async () => {
    const person = await loggedIn();
    const run = await runHarmont(["status"], { env: person.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Logged in to ${testbed.server.url} as ${person.email}`);
    expect(run.stdout).toMatch(/API URL: +http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/Session: +harmont CLI on .+ \(ses_[\w-]+, cli\)/);
    expect(run.stdout).toMatch(/Expires: +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 30 days\)/);
    expect(run.stdout).toContain(`Token:    file ${person.credentialsFile}`);
    expect(run.stdout).toMatch(/Two-step: +not passed/);

    const json = await runHarmont(["whoami", "--json"], { env: person.env });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      logged_in: true,
      api_url: testbed.server.url,
      profile: "default",
      user: { email: person.email },
      session: { kind: "cli" },
      token_source: "file",
      token_location: person.credentialsFile,
      reason: null,
    });
  });

  /** A person with a verified address and two-step verification on; `code()` is their app's code of the moment. */
  async function withTwoStep() {
    const person = await testbed.server.signup();
    const api = (path: string, json: unknown) => testbed.server.api(path, { token: person.token, json });
    const inbox = (await (await testbed.server.api("/api/v0/dev/mail")).json()) as { messages: Array<{ to: string; subject: string }> };
    const code = /(\d{8})/.exec(inbox.messages.find((mail) => mail.to === person.email && mail.subject.startsWith("Verify"))!.subject)![1];
    expect((await api("/api/v0/auth/email/verify", { code })).status).toBe(200);
    const { secret } = (await (await api("/api/v0/auth/2fa/totp", { password: "correct horse battery staple" })).json()) as { secret: string };
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    expect((await api("/api/v0/auth/2fa/totp/confirm", { code: totp.generate() })).status).toBe(200);
    // The next time step's code: the server takes one step either side, and only a later step than the one confirmed.
    return { ...person, api, code: () => totp.generate({ timestamp: Date.now() + 30_000 }) };
  }

  it("says the session passed two-step verification when the web session that logged the CLI in did", async () => {
    const person = await withTwoStep();
    // The paste-code login from that (verified) web session, unchanged.
    const dir = testbed.home();
    const env = cliEnv(dir.home, testbed.server.url);
    const pasteCode = await testbed.server.pasteCode(person.token);
    const { token } = (await (await testbed.server.api("/api/v0/auth/cli/redeem", { json: { code: pasteCode, name: "harmont CLI on test-host" } })).json()) as { token: string };
    const run = await runHarmont(["status"], { env: { ...env, HARMONT_TOKEN: token } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Two-step: +passed/);
    expect(run.stdout).not.toContain("Support:");
    const json = JSON.parse((await runHarmont(["status", "--json"], { env: { ...env, HARMONT_TOKEN: token } })).stdout) as { session: { second_factor_verified: boolean } };
    expect(json.session.second_factor_verified).toBe(true);
  });

  it("says when the token is a support session, and whose", async () => {
    const operator = await withTwoStep();
    const ada = await testbed.server.signup();
    const granted = spawnSync(process.execPath, [serverMain, "users", "grant-operator", "--email", operator.email], {
      env: { PATH: process.env.PATH, HARMONT_DATABASE_URL: `sqlite:${join(testbed.server.directory, "h.db")}` },
      encoding: "utf8",
    });
    expect(granted.stdout).toContain("is now a platform operator");
    const reason = "Ticket #7: the CLI shows no orgs";
    const started = await operator.api("/api/v0/admin/impersonations", { email: ada.email, reason, method: "totp", code: operator.code() });
    expect(started.status).toBe(201);
    const { token } = (await started.json()) as { token: string };
    const run = await runHarmont(["status"], { env: { ...cliEnv(testbed.home().home, testbed.server.url), HARMONT_TOKEN: token } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`as ${ada.email}`);
    expect(run.stdout).toMatch(new RegExp(`Support: +a support session by ${operator.email.replace(/[.]/g, "\\.")}, until .*\\. Reason: ${reason}`));
  });

  it("exit code 1 and 'no longer valid: it was revoked or signed out' once the session is revoked before it expires", async () => {
    const person = await loggedIn();
    // Revoke the CLI's session from the web session, as the web app's session list would.
    const sessions = (await (await testbed.server.api("/api/v0/auth/sessions", { token: person.token })).json()) as { sessions: Array<{ id: string; kind: string }> };
    const cli = sessions.sessions.find((session) => session.kind === "cli")!;
    expect((await testbed.server.api(`/api/v0/auth/sessions/${cli.id}`, { method: "DELETE", token: person.token })).status).toBe(204);

    const run = await runHarmont(["status"], { env: person.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: session no longer valid: it was revoked or signed out \(.*password change.*signing out everywhere\): run `harmont login`\n$/);
    expect(run.stderr).not.toContain("expired");
    const json = await runHarmont(["status", "--json"], { env: person.env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ logged_in: false, reason: "revoked", token_source: "file" });
    // Other commands that need the session say the same.
    const list = await runHarmont(["sessions"], { env: person.env });
    expect(list.code).toBe(1);
    expect(list.stderr).toContain("session no longer valid: it was revoked or signed out");
  });

  it("'session expired' when the expiry the CLI recorded has passed; a live check keeps the record current", async () => {
    const person = await loggedIn();
    const recorded = () => (JSON.parse(readFileSync(person.credentialsFile, "utf8")) as CredentialsFile).profiles.default.tokens[testbed.server.url]!;
    const live = JSON.parse((await runHarmont(["status", "--json"], { env: person.env })).stdout) as { session: { expires_at: string } };
    expect(recorded().expires_at).toBe(live.session.expires_at);

    // As if the 30 days had passed: the recorded expiry is behind us, and the server refuses the token.
    const file = JSON.parse(readFileSync(person.credentialsFile, "utf8")) as CredentialsFile;
    file.profiles.default.tokens[testbed.server.url]!.expires_at = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(person.credentialsFile, JSON.stringify(file));
    await testbed.server.api("/api/v0/auth/logout", { method: "POST", token: person.cliToken });

    const run = await runHarmont(["status"], { env: person.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: session expired: run `harmont login`\n");
    expect(JSON.parse((await runHarmont(["status", "--json"], { env: person.env })).stdout)).toMatchObject({ logged_in: false, reason: "expired" });
  });

  it("exit code 1 when not logged in; 5 when the server cannot be reached", async () => {
    const dir = testbed.home();
    const run = await runHarmont(["status", "--json"], { env: cliEnv(dir.home, testbed.server.url) });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ logged_in: false, reason: "not_logged_in" });
    expect(run.stderr).toContain(`not logged in to ${testbed.server.url}: run \`harmont login\``);

    const gone = await startTestServer();
    await gone.stop();
    const unreachable = await runHarmont(["status"], { env: cliEnv(dir.home, gone.url, { HARMONT_TOKEN: "hmt_anything" }) });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).toContain(`cannot reach the Harmont server at ${gone.url}`);
  });

  it("HARMONT_TOKEN wins over the stored token, and status names it as the source", async () => {
    const person = await loggedIn();
    const other = await testbed.server.signup();
    const run = await runHarmont(["status", "--json"], { env: { ...person.env, HARMONT_TOKEN: other.token } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ user: { email: other.email }, token_source: "env", token_location: "HARMONT_TOKEN" });

    await testbed.server.api("/api/v0/auth/logout", { method: "POST", token: other.token });
    const dead = await runHarmont(["status"], { env: { ...person.env, HARMONT_TOKEN: other.token } });
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/the token in HARMONT_TOKEN is not valid \(mistyped, expired, revoked or signed out\): set a new one, or unset it and run `harmont login`/);
    expect(JSON.parse((await runHarmont(["status", "--json"], { env: { ...person.env, HARMONT_TOKEN: other.token } })).stdout)).toMatchObject({ reason: "rejected", token_source: "env" });
  });
});

describe("harmont token", () => {
  it("prints the token and nothing else on stdout; --json parses; exit 1 when not logged in", async () => {
    const person = await loggedIn();
    const run = await runHarmont(["token"], { env: person.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${person.cliToken}\n`);
    expect(run.stderr).toBe("");
    const json = await runHarmont(["token", "--json"], { env: person.env });
    expect(JSON.parse(json.stdout)).toEqual({
      token: person.cliToken,
      api_url: testbed.server.url,
      profile: "default",
      token_source: "file",
      token_location: person.credentialsFile,
    });

    const nobody = testbed.home();
    const none = await runHarmont(["token"], { env: cliEnv(nobody.home, testbed.server.url) });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe("");
  });
});

describe("harmont sessions", () => {
  it("lists the account's sessions with the current one marked, and revokes one by id", async () => {
    const person = await loggedIn();
    const run = await runHarmont(["sessions"], { env: person.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\*\s+ses_[\w-]+\s+cli\s+harmont CLI on /m);
    expect(run.stdout).toMatch(/^\s+ses_[\w-]+\s+web\s+/m);
    // Where each was last used from (the test server sees loopback).
    expect(run.stdout).toMatch(/^\*?\s+ID\s+KIND\s+NAME\s+LAST USED\s+FROM\s+EXPIRES$/m);
    expect(run.stdout).toMatch(/^\*\s+ses_[\w-]+\s+cli\s+harmont CLI on .+\s+127\.0\.0\.1\s+/m);

    const json = await runHarmont(["sessions", "--json"], { env: person.env });
    const { sessions } = JSON.parse(json.stdout) as { sessions: Array<{ id: string; kind: string; current: boolean }> };
    expect(sessions.map((session) => [session.kind, session.current]).sort()).toEqual([["cli", true], ["web", false]]);

    const web = sessions.find((session) => session.kind === "web")!;
    const revoke = await runHarmont(["sessions", "revoke", web.id, "--json"], { env: person.env });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(JSON.parse(revoke.stdout)).toEqual({ revoked: true, api_url: testbed.server.url, profile: "default", session_id: web.id, current: false, deleted_locally: false });
    expect(await statusOf(person.token)).toBe(401);
    expect(await statusOf(person.cliToken)).toBe(200);

    const again = await runHarmont(["sessions", "revoke", web.id], { env: person.env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no session ${web.id}`);
  });

  it("revoking this CLI's own session logs it out here too", async () => {
    const person = await loggedIn();
    const current = (JSON.parse((await runHarmont(["status", "--json"], { env: person.env })).stdout) as { session: { id: string } }).session.id;
    const run = await runHarmont(["sessions", "revoke", current], { env: person.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("you are now logged out");
    expect(await statusOf(person.cliToken)).toBe(401);
    expect((await runHarmont(["token"], { env: person.env })).code).toBe(1);
  });
});

describe("harmont orgs and switch", () => {
  /** A logged-in person whose address is verified with the code from the development inbox. */
  async function verifiedLogin() {
    const person = await loggedIn();
    const inbox = (await (await testbed.server.api("/api/v0/dev/mail")).json()) as { messages: Array<{ to: string; subject: string }> };
    const code = /(\d{8})/.exec(inbox.messages.find((mail) => mail.to === person.email && mail.subject.startsWith("Verify"))!.subject)![1];
    expect((await testbed.server.api("/api/v0/auth/email/verify", { token: person.token, json: { code } })).status).toBe(200);
    return person;
  }
  const makeOrg = async (token: string, name: string, slug: string) => {
    const response = await testbed.server.api("/api/v0/orgs", { token, json: { name, slug } });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };

  it("lists the orgs with this CLI's active one marked, switches by slug or name, and status shows the org", async () => {
    const person = await verifiedLogin();
    const suffix = Math.random().toString(36).slice(2, 8);
    const acme = await makeOrg(person.cliToken, "Acme", `acme-${suffix}`);
    await makeOrg(person.cliToken, "Globex Corp", `globex-${suffix}`);

    const list = await runHarmont(["orgs"], { env: person.env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^\\*\\s+acme-${suffix}\\s+Acme\\s+owner\\s+org_`, "m"));
    expect(list.stdout).toMatch(new RegExp(`^\\s+globex-${suffix}\\s+Globex Corp\\s+owner`, "m"));
    const json = JSON.parse((await runHarmont(["orgs", "--json"], { env: person.env })).stdout) as { active_org_id: string; orgs: unknown[] };
    expect(json.active_org_id).toBe(acme);
    expect(json.orgs).toHaveLength(2);

    // The browser works in Acme.
    expect((await testbed.server.api("/api/v0/auth/session/org", { token: person.token, json: { org_id: acme } })).status).toBe(200);
    const switched = await runHarmont(["switch", "globex corp"], { env: person.env });
    expect(switched.code, switched.stderr).toBe(0);
    expect(switched.stdout).toContain(`Switched to Globex Corp (globex-${suffix}) as owner.`);
    expect(switched.stderr).toContain("your browser keeps its own");
    const status = await runHarmont(["status"], { env: person.env });
    expect(status.stdout).toMatch(new RegExp(`Org: +Globex Corp \\(globex-${suffix}\\) as owner`));
    const statusJson = JSON.parse((await runHarmont(["status", "--json"], { env: person.env })).stdout) as { org: { slug: string; role: string } };
    expect(statusJson.org).toMatchObject({ slug: `globex-${suffix}`, role: "owner" });
    // The browser's session kept its own org.
    const web = (await (await testbed.server.api("/api/v0/auth/session", { token: person.token })).json()) as { session: { org_id: string } };
    expect(web.session.org_id).toBe(acme);

    const back = JSON.parse((await runHarmont(["switch", `acme-${suffix}`, "--json"], { env: person.env })).stdout) as Record<string, unknown>;
    expect(back).toMatchObject({ switched: true, org: { id: acme, name: "Acme", role: "owner" } });
  });

  it("says so when an org is not among yours, or none is given; status says none without an org", async () => {
    const person = await loggedIn();
    const status = await runHarmont(["status"], { env: person.env });
    expect(status.stdout).toMatch(/Org: +none/);
    expect(JSON.parse((await runHarmont(["status", "--json"], { env: person.env })).stdout)).toMatchObject({ org: null });
    const missing = await runHarmont(["switch", "nowhere"], { env: person.env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no organization "nowhere" among yours');
    const bare = await runHarmont(["switch"], { env: person.env });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("needs an organization");
    const empty = await runHarmont(["orgs"], { env: person.env });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain("no organization yet");
  });
});

describe("harmont open", () => {
  /** What the stand-in browser recorded. */
  const openerLog = (file: string) =>
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; url?: string; status?: number; next?: string; cookie?: boolean; body?: { session_created?: boolean } });

  it("opens a one-time link the browser trades once for a session, and never prints the code", async () => {
    const person = await loggedIn();
    const log = join(person.home, "opener.log");
    const env = { ...person.env, ...openerEnv(testbed.server, person.token, "consume", log) };
    const run = await runHarmont(["open", "/orgs"], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Opened ${testbed.server.url}/orgs in your browser (as ${person.email}).`);
    expect(`${run.stdout}${run.stderr}`).not.toContain("hbt_");
    const [opened, consumed] = openerLog(log);
    expect(opened?.url).toMatch(new RegExp(`^${testbed.server.url}/cli-open#code=hbt_[A-Za-z0-9_-]{43}&next=%2Forgs$`));
    expect(consumed).toMatchObject({ event: "consume", status: 200, next: "/orgs", cookie: true, body: { session_created: true } });

    const json = await runHarmont(["open", "--json"], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      api_url: testbed.server.url,
      profile: "default",
      opened: true,
      web_url: `${testbed.server.url}/account`,
      url: null,
      expires_at: expect.stringMatching(/^\d{4}-/),
      reason: null,
    });
    expect(json.stdout).not.toContain("hbt_");
  });

  it("mints nothing where no browser can be opened, and --print-url prints the link with a warning", async () => {
    const person = await loggedIn({ SSH_CONNECTION: "198.51.100.7 52000 10.0.0.2 22" });
    const run = await runHarmont(["open"], { env: person.env });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(`no browser here (this is an SSH session`);
    expect(run.stderr).toContain(`open ${testbed.server.url}/account and sign in, or use --print-url`);
    // A user may mint 10 codes a minute: all 10 still work, so the command minted none.
    for (let index = 0; index < 10; index++) {
      expect((await testbed.server.api("/api/v0/auth/cli/browser-token", { method: "POST", token: person.cliToken })).status).toBe(200);
    }

    const other = await loggedIn({ SSH_CONNECTION: "198.51.100.7 52000 10.0.0.2 22" });
    const printed = await runHarmont(["open", "/orgs", "--print-url"], { env: other.env });
    expect(printed.code).toBe(0);
    expect(printed.stdout.trim()).toMatch(new RegExp(`^${testbed.server.url}/cli-open#code=hbt_[A-Za-z0-9_-]{43}&next=%2Forgs$`));
    expect(printed.stderr).toContain("works once, within 60 seconds");
    expect(printed.stderr).not.toContain("hbt_");
    const code = new URLSearchParams(new URL(printed.stdout.trim()).hash.slice(1)).get("code");
    expect((await testbed.server.api("/api/v0/auth/cli/browser-token/inspect", { json: { code } })).status).toBe(200);
  });

  it("refuses a token that is not a CLI session, a bad path, and says so when not logged in or the browser fails", async () => {
    const person = await loggedIn();
    const dir = testbed.home();
    const notLoggedIn = await runHarmont(["open"], { env: cliEnv(dir.home, testbed.server.url) });
    expect([notLoggedIn.code, notLoggedIn.stderr]).toEqual([1, expect.stringContaining("not logged in")]);

    const web = await runHarmont(["open"], { env: { ...person.env, HARMONT_TOKEN: person.token } });
    expect(web.code).toBe(1);
    expect(web.stderr).toContain("this token is not a CLI session (it is a web session)");

    for (const path of ["account", "//evil.example", "/\\evil.example"]) {
      const bad = await runHarmont(["open", path], { env: person.env });
      expect(bad.code, path).toBe(2);
    }
    expect((await runHarmont(["status", "--print-url"], { env: person.env })).code).toBe(2);

    const log = join(person.home, "failing.log");
    const failed = await runHarmont(["open", "--json"], { env: { ...person.env, ...openerEnv(testbed.server, person.token, "fail", log) } });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`could not open a browser`);
    expect(failed.stderr).toContain(`open ${testbed.server.url}/account and sign in there`);
    expect(JSON.parse(failed.stdout)).toMatchObject({ opened: false, url: null, reason: "open_failed" });
    expect(`${failed.stdout}${failed.stderr}`).not.toContain("hbt_");
  });
});

describe("harmont tokens", () => {
  it("create prints the token alone on stdout; it works as HARMONT_TOKEN; list shows it; revoke ends it", async () => {
    const person = await loggedIn();
    const created = await runHarmont(["tokens", "create", "GitHub Actions deploy", "--expires", "30d"], { env: person.env });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^hma_[A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toContain('Made API token "GitHub Actions deploy"');
    expect(created.stderr).toContain("shown this once");
    const apiToken = created.stdout.trim();

    // In CI: the token in HARMONT_TOKEN, no login.
    const ci = cliEnv(testbed.home().home, testbed.server.url, { HARMONT_TOKEN: apiToken });
    const status = await runHarmont(["status", "--json"], { env: ci });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ logged_in: true, user: { email: person.email }, session: { kind: "api", name: "GitHub Actions deploy" }, token_source: "env" });
    // A token cannot make another, and says how to go on.
    const refused = await runHarmont(["tokens", "create", "second"], { env: ci });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("An API token cannot do this");
    expect(refused.stderr).not.toContain(apiToken);

    const list = await runHarmont(["tokens"], { env: person.env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+LAST USED\s+EXPIRES$/m);
    expect(list.stdout).toMatch(/^tok_[\w-]+\s+GitHub Actions deploy\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d$/m);
    expect(list.stdout).not.toContain(apiToken);
    const json = JSON.parse((await runHarmont(["tokens", "list", "--json"], { env: person.env })).stdout) as { tokens: Array<{ id: string; expires_at: string }> };
    expect(json.tokens).toHaveLength(1);
    const id = json.tokens[0]!.id;

    const revoked = await runHarmont(["tokens", "revoke", id, "--json"], { env: person.env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ api_url: testbed.server.url, profile: "default", revoked: true, token_id: id });
    expect(await statusOf(apiToken)).toBe(401);
    const again = await runHarmont(["tokens", "revoke", id], { env: person.env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no API token ${id}`);
  });

  it("checks its arguments before asking the server", async () => {
    const person = await loggedIn();
    for (const [args, message] of [
      [["tokens", "create"], "needs a name"],
      [["tokens", "revoke"], "needs the id of a token"],
      [["tokens", "create", "ci", "--expires", "soon"], "--expires must be a number of days"],
      [["tokens", "create", "ci", "--expires", "0"], "--expires must be a number of days"],
      [["tokens", "--expires", "30"], "--expires belongs to `harmont tokens create`"],
      [["status", "--expires", "30"], "--expires belongs to `harmont tokens create`"],
      [["tokens", "creat", "ci"], "did you mean `create`?"],
      [["tokens", "create", "GitHub", "Actions"], "quote a name with spaces"],
    ] as const) {
      const run = await runHarmont([...args], { env: person.env });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(message);
    }
    const tooLong = await runHarmont(["tokens", "create", "ci", "--expires", "400d"], { env: person.env });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain("api_token_expiry_too_long");
    expect(JSON.parse((await runHarmont(["tokens", "--json"], { env: person.env })).stdout)).toMatchObject({ tokens: [] });
  });
});

describe("harmont logout", () => {
  it("revokes on the server (the token then gets 401), deletes the token here, and --json parses", async () => {
    const person = await loggedIn();
    expect(await statusOf(person.cliToken)).toBe(200);
    const run = await runHarmont(["logout", "--json"], { env: person.env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      logged_out: true,
      api_url: testbed.server.url,
      profile: "default",
      revoked_on_server: true,
      deleted_locally: true,
      token_source: "file",
      token_location: person.credentialsFile,
      reason: null,
    });
    expect(await statusOf(person.cliToken)).toBe(401);
    expect(readFileSync(person.credentialsFile, "utf8")).not.toContain(person.cliToken);
    // The web session is untouched, and a second logout has nothing to do.
    expect(await statusOf(person.token)).toBe(200);
    const again = await runHarmont(["logout"], { env: person.env });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Not logged in");
  });

  it("server unreachable: deletes the token here anyway, says it may still be valid, exit code 5", async () => {
    const person = await loggedIn();
    const gone = await startTestServer();
    await gone.stop();
    // The same stored login, pointed at a server that is down: move the entry to that URL.
    const file = JSON.parse(readFileSync(person.credentialsFile, "utf8")) as { profiles: { default: { api_url: string; tokens: Record<string, unknown> } } };
    file.profiles.default.tokens[gone.url] = file.profiles.default.tokens[testbed.server.url];
    writeFileSync(person.credentialsFile, JSON.stringify(file));
    const run = await runHarmont(["logout"], { env: { ...person.env, HARMONT_API_URL: gone.url } });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/could not reach .+: the token was deleted here but may still be valid on the server/);
    expect((await runHarmont(["token"], { env: { ...person.env, HARMONT_API_URL: gone.url } })).code).toBe(1);
    expect(await statusOf(person.cliToken)).toBe(200);
  });

  it("warns when HARMONT_TOKEN is still set (login warns too)", async () => {
    const person = await loggedIn();
    const run = await runHarmont(["logout"], { env: { ...person.env, HARMONT_TOKEN: person.token } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: HARMONT_TOKEN is still set: harmont keeps using that token \(it was not revoked\)/);
    expect(await statusOf(person.cliToken)).toBe(401);
    expect(await statusOf(person.token)).toBe(200);

    const login = await runHarmont(["login", "--with-token"], { env: { ...person.env, HARMONT_TOKEN: person.token }, input: person.token });
    expect(login.stderr).toMatch(/warning: HARMONT_TOKEN is set: commands keep using it/);
  });
});

describe("--json", () => {
  /** The fields that mean the same thing wherever they appear, and the values each may take. */
  const shared: Record<string, (value: unknown) => boolean> = {
    api_url: (value) => typeof value === "string",
    profile: (value) => typeof value === "string",
    token_source: (value) => value === null || value === "env" || value === "keychain" || value === "file",
    token_location: (value) => value === null || typeof value === "string",
    reason: (value) => value === null || (typeof value === "string" && /^[a-z_]+$/.test(value)),
  };
  const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

  it("login, status, token, sessions, sessions revoke and logout name the same things the same way", async () => {
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const env = cliEnv(dir.home, testbed.server.url);
    const json = async (args: string[], input?: string) => {
      const run = await runHarmont([...args, "--json", "--profile", "work"], { env, ...(input !== undefined ? { input } : {}) });
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0);
      return JSON.parse(run.stdout) as Record<string, unknown>;
    };
    const cliToken = (await (await testbed.server.api("/api/v0/auth/cli/redeem", { json: { code: await testbed.server.pasteCode(person.token), name: "t" } })).json()) as { token: string };
    const outputs = {
      login: await json(["login", "--with-token"], cliToken.token),
      status: await json(["status"]),
      token: await json(["token"]),
      sessions: await json(["sessions"]),
    };
    const web = (outputs.sessions.sessions as Array<{ id: string; kind: string }>).find((session) => session.kind === "web")!;
    const all: Record<string, Record<string, unknown>> = { ...outputs, revoke: await json(["sessions", "revoke", web.id]), logout: await json(["logout"]) };

    for (const [command, output] of Object.entries(all)) {
      // Every output says which server and profile it is about.
      expect(output, command).toMatchObject({ api_url: testbed.server.url, profile: "work" });
      for (const [field, valid] of Object.entries(shared)) if (field in output) expect(valid(output[field]), `${command}.${field}`).toBe(true);
      // One name for one thing: none of the names these fields had before.
      for (const old of ["token_storage", "storage", "location", "source", "revoked_session", "expires"]) expect(output, command).not.toHaveProperty(old);
    }
    // Where the token is: the same two fields, with the same values, wherever it is named.
    for (const command of ["login", "status", "token", "logout"]) {
      expect(all[command], command).toMatchObject({ token_source: "file", token_location: dir.credentialsFile });
    }
    // The session and the user: the server's own objects, with ISO 8601 times.
    const session = outputs.login.session as { id: string; expires_at: string; created_at: string; last_used_at: string };
    expect(outputs.status.session).toMatchObject({ id: session.id });
    expect(outputs.status.user).toEqual(outputs.login.user);
    for (const time of [session.expires_at, session.created_at, session.last_used_at]) expect(time).toMatch(isoTime);
    expect((outputs.sessions.sessions as Array<{ id: string; current: boolean }>).find((listed) => listed.current)?.id).toBe(session.id);
    expect(all.revoke).toMatchObject({ revoked: true, session_id: web.id, current: false });

    // A failed status has the same fields as a live one, with nulls where nothing is known.
    const dead = await runHarmont(["status", "--json", "--profile", "work"], { env });
    expect(dead.code).toBe(1);
    const deadOutput = JSON.parse(dead.stdout) as Record<string, unknown>;
    expect(Object.keys(deadOutput).sort()).toEqual(Object.keys(outputs.status).sort());
    expect(deadOutput).toMatchObject({ logged_in: false, user: null, session: null, token_source: null, reason: "not_logged_in" });
    const nothing = await runHarmont(["logout", "--json", "--profile", "work"], { env });
    expect(Object.keys(JSON.parse(nothing.stdout) as object).sort()).toEqual(Object.keys(all.logout!).sort());
  });
});

describe("logging in again", () => {
  it("revokes the session the new login replaces, so none is left alive unheld", async () => {
    const person = await loggedIn();
    const code = await testbed.server.pasteCode(person.token);
    const again = await runHarmont(["login", "--paste"], { env: person.env, input: `${code}\n` });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("The session this login replaces was revoked on the server.");
    expect(await statusOf(person.cliToken)).toBe(401);
    const newToken = (await runHarmont(["token"], { env: person.env })).stdout.trim();
    expect(newToken).not.toBe(person.cliToken);
    expect(await statusOf(newToken)).toBe(200);
  });
});

describe("profiles and global flags", () => {
  it("keeps a login per profile and API URL; a profile remembers its server", async () => {
    const first = await loggedIn();
    const second = await testbed.server.signup();
    const env = { ...first.env };
    delete (env as Record<string, string | undefined>).HARMONT_API_URL;
    const login = await runHarmont(["login", "--with-token", "--profile", "work", "--api-url", testbed.server.url], { env, input: second.token });
    expect(login.code, login.stderr).toBe(0);

    const work = JSON.parse((await runHarmont(["status", "--json", "--profile", "work"], { env })).stdout) as { user: { email: string }; profile: string; api_url: string };
    expect(work).toMatchObject({ user: { email: second.email }, profile: "work", api_url: testbed.server.url });
    const main = JSON.parse((await runHarmont(["status", "--json"], { env })).stdout) as { user: { email: string } };
    expect(main.user.email).toBe(first.email);
  });

  it("hints to run another command keep --profile, and --api-url when the flag chose the server", async () => {
    const dir = testbed.home();
    const env = cliEnv(dir.home, testbed.server.url);
    delete (env as Record<string, string | undefined>).HARMONT_API_URL;
    const other = "http://127.0.0.1:9";
    const withFlags = await runHarmont(["token", "--profile", "work", "--api-url", other], { env });
    expect(withFlags.code).toBe(1);
    expect(withFlags.stderr).toContain(`not logged in to ${other}: run \`harmont login --profile work --api-url ${other}\``);
    // HARMONT_API_URL still names the same server in this shell: the hint need not repeat it.
    const fromEnvironment = await runHarmont(["token", "--profile", "work", "--api-url", other], { env: { ...env, HARMONT_API_URL: other } });
    expect(fromEnvironment.stderr).toContain("run `harmont login --profile work`\n");

    const person = await testbed.server.signup();
    const login = await runHarmont(["login", "--with-token", "--profile", "work", "--api-url", testbed.server.url], { env, input: person.token });
    expect(login.code, login.stderr).toBe(0);
    // The login recorded its session's expiry, by which a later refusal is judged.
    const stored = JSON.parse(readFileSync(dir.credentialsFile, "utf8")) as { profiles: Record<string, { tokens: Record<string, { expires_at?: string }> }> };
    expect(stored.profiles.work!.tokens[testbed.server.url]!.expires_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The profile now remembers its server, so --api-url is no longer needed in hints.
    const list = await runHarmont(["sessions", "--profile", "work", "--api-url", testbed.server.url], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain("Revoke one with `harmont sessions revoke <id> --profile work`.");
    await testbed.server.api("/api/v0/auth/logout", { method: "POST", token: person.token });
    const dead = await runHarmont(["status", "--profile", "work"], { env });
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/^error: session no longer valid: it was revoked or signed out .*: run `harmont login --profile work`\n$/);
  });

  it("one Ctrl-C ends status at once with 130 while the server keeps it waiting", async () => {
    const sockets = new Set<Socket>();
    let connected!: () => void;
    const requestArrived = new Promise<void>((resolve) => (connected = resolve));
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.once("data", () => connected());
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const dir = testbed.home();
      const child = spawn(process.execPath, [cliMain, "status"], { env: cliEnv(dir.home, url, { HARMONT_TOKEN: `hmt_${"a".repeat(43)}` }), stdio: "ignore" });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      // Interrupt once the CLI is really waiting on the server, however long it took to start.
      await requestArrived;
      const interruptedAt = Date.now();
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(Date.now() - interruptedAt).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("--help lists the commands, examples and exit codes; --version prints it; bad usage exits 2", async () => {
    const dir = testbed.home();
    const env = cliEnv(dir.home, testbed.server.url);
    const help = await runHarmont(["--help"], { env });
    expect(help.code).toBe(0);
    for (const text of ["login", "logout", "status", "whoami", "token", "sessions revoke <id>", "Examples:", "Exit codes:", "--api-url", "--profile", "--json", "--no-color"]) {
      expect(help.stdout).toContain(text);
    }
    expect((await runHarmont(["login", "--help"], { env })).stdout).toContain("--with-token");
    const versionRun = await runHarmont(["--version"], { env });
    expect(versionRun.stdout).toMatch(/^harmont \d+\.\d+\.\d+\n$/);
    // The command npm installs runs the same program.
    const installed = spawnSync(new URL("../../../node_modules/.bin/harmont", import.meta.url).pathname, ["--version"], { encoding: "utf8", env });
    expect(installed.status).toBe(0);
    expect(installed.stdout).toBe(versionRun.stdout);
    for (const args of [["frobnicate"], ["status", "--paste"], ["login", "--paste", "--browser"], ["login", "--timeout", "soon"], ["login", "--timeout", "100000h"], ["--api-url", "ftp://x", "status"], ["--nope"]]) {
      const run = await runHarmont(args, { env });
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(/^error: /);
    }
    // A typo gets the CLI's own line, a suggestion and the command's usage, not Node's parser text.
    const typo = await runHarmont(["status", "--jsn"], { env });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe('error: unknown flag "--jsn": did you mean `--json`?\nUsage:\n  harmont status [--json]\nRun `harmont status --help` for every flag and example.\n');
    const command = await runHarmont(["stauts"], { env });
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/^error: unknown command "stauts": did you mean `status`\?\nUsage:\n/);
  });
});
