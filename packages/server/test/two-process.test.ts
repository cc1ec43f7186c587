/**
 * Two real server processes on one PostgreSQL database: single-use handoffs and paste codes
 * hold across processes, and a session (or its revocation) made on one is seen by the other at
 * the next request. Runs the built server (`npm test` builds it first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../src/test-support/ports.js";
import { createPostgresTestDatabase, postgresUrl, reportSkippedPostgres, type TestDatabase } from "../src/test-support/databases.js";

reportSkippedPostgres();

const mainScript = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const CONCURRENT_ATTEMPTS = 60;
const PASSWORD = "correct horse battery staple";

interface ServerProcess {
  name: string;
  child: ChildProcess;
  baseUrl: string;
  output: string[];
  exited: Promise<number | null>;
}


function startServerProcess(name: string, port: number, databaseUrl: string): ServerProcess {
  const env: NodeJS.ProcessEnv = {};
  // Only this test's settings reach the server: nothing HARMONT_* leaks in from the shell.
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("HARMONT_")) env[key] = value;
  Object.assign(env, {
    PORT: String(port),
    HARMONT_HOST: "127.0.0.1",
    HARMONT_DATABASE_URL: databaseUrl,
    HARMONT_LOG_LEVEL: "warn",
    // Bursts of sign-ins and two-step codes from one address: the races, not the limits, are tested here.
    HARMONT_LIMIT_LOGIN_PER_IP: "0",
    HARMONT_LIMIT_SECOND_FACTOR_FAILURES: "0",
  });
  const child = spawn(process.execPath, [mainScript], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, child, baseUrl: `http://127.0.0.1:${port}`, output, exited };
}

async function waitUntilReady(server: ServerProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(`server ${server.name} exited with ${server.child.exitCode}:\n${server.output.join("")}`);
    }
    try {
      const response = await fetch(`${server.baseUrl}/api/v0/meta`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server ${server.name} did not answer /api/v0/meta within ${timeoutMs} ms:\n${server.output.join("")}`);
}

async function stopServerProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill("SIGTERM");
  const stopped = await Promise.race([server.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000))]);
  if (!stopped) {
    server.child.kill("SIGKILL");
    await server.exited;
  }
}

interface Answer {
  status: number;
  body: unknown;
}

async function call(server: ServerProcess, method: string, path: string, options: { json?: unknown; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.json !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const text = await response.text();
  let body: unknown = text;
  if (text !== "" && response.headers.get("content-type")?.includes("application/json")) body = JSON.parse(text);
  return { status: response.status, body };
}

function errorCode(answer: Answer): string | undefined {
  return (answer.body as { error?: { code?: string } } | null)?.error?.code;
}

/** Sorts a burst of answers into the single winner and everything else. */
function tally(answers: Answer[]) {
  const winners = answers.filter((answer) => answer.status === 200);
  const serverErrors = answers.filter((answer) => answer.status >= 500);
  const losers = answers.filter((answer) => answer.status !== 200);
  return { winners, serverErrors, losers };
}

describe.skipIf(!postgresUrl)("two server processes on one PostgreSQL database", () => {
  let database: TestDatabase | undefined;
  const servers: ServerProcess[] = [];
  let a: ServerProcess;
  let b: ServerProcess;
  let email: string;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run \`npm run build\` first`);
    database = await createPostgresTestDatabase();
    const [portA, portB] = [await findFreePort(), await findFreePort()];
    // Both start at once on the fresh database, as a scaled-out deployment would.
    a = startServerProcess("A", portA!, database.url);
    b = startServerProcess("B", portB!, database.url);
    servers.push(a, b);
    await Promise.all(servers.map((server) => waitUntilReady(server)));

    email = `two-process-${randomBytes(6).toString("hex")}@example.com`;
    const signup = await call(a, "POST", "/api/v0/auth/signup", { json: { email, password: PASSWORD } });
    expect(signup.status).toBe(201);
    const body = signup.body as { token: string; user: { id: string; email: string } };
    expect(body.user.email).toBe(email);
    token = body.token;
    userId = body.user.id;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => stopServerProcess(server)));
    await database?.drop();
  }, 30_000);

  it("both processes serve the same account", async () => {
    for (const server of [a, b]) {
      const current = await call(server, "GET", "/api/v0/auth/session", { token });
      expect(current.status).toBe(200);
      expect((current.body as { user: { id: string } }).user.id).toBe(userId);
    }
  });

  it(`a handoff parked through A is claimed exactly once by ${CONCURRENT_ATTEMPTS} concurrent claims on A and B`, async () => {
    const nonce = randomBytes(32).toString("base64url");
    expect(nonce).toHaveLength(43);
    const transfer = await call(a, "POST", "/api/v0/auth/cli/transfer", { json: { nonce }, token });
    expect(transfer.status).toBe(204);

    const answers = await Promise.all(
      Array.from({ length: CONCURRENT_ATTEMPTS }, (_, index) =>
        call(index % 2 === 0 ? a : b, "POST", "/api/v0/auth/cli/claim", { json: { nonce, name: `race ${index}` } }),
      ),
    );
    const { winners, serverErrors, losers } = tally(answers);
    expect(serverErrors).toEqual([]);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(CONCURRENT_ATTEMPTS - 1);
    for (const loser of losers) {
      expect(loser.status).toBe(400);
      expect(errorCode(loser)).toBe("cli_code_invalid");
    }

    const claimed = (winners[0]!.body as { token: string }).token;
    expect(claimed).toMatch(/^hmt_[A-Za-z0-9_-]{43}$/);
    expect(claimed).not.toBe(token);
    // The new CLI session works on both processes and belongs to the parking user.
    for (const server of [a, b]) {
      const current = await call(server, "GET", "/api/v0/auth/session", { token: claimed });
      expect(current.status).toBe(200);
      const body = current.body as { user: { id: string }; session: { kind: string; name: string } };
      expect(body.user.id).toBe(userId);
      expect(body.session.kind).toBe("cli");
      expect(body.session.name).toMatch(/^race \d+$/);
    }
    // And the nonce stays spent.
    const again = await call(b, "POST", "/api/v0/auth/cli/claim", { json: { nonce } });
    expect(again.status).toBe(400);
    expect(errorCode(again)).toBe("cli_code_invalid");
  });

  it("a CLI → browser code minted on A opens exactly one browser session of 20 concurrent consumes on A and B", async () => {
    const pasted = await call(a, "POST", "/api/v0/auth/cli/code", { token });
    const redeemed = await call(b, "POST", "/api/v0/auth/cli/redeem", { json: { code: (pasted.body as { code: string }).code, name: "open race" } });
    const cli = (redeemed.body as { token: string }).token;
    const minted = await call(a, "POST", "/api/v0/auth/cli/browser-token", { token: cli });
    expect(minted.status).toBe(200);
    const { code } = minted.body as { code: string };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => call(index % 2 === 0 ? b : a, "POST", "/api/v0/auth/cli/browser-token/consume", { json: { code } })),
    );
    const { winners, serverErrors, losers } = tally(answers);
    expect(serverErrors).toEqual([]);
    expect(winners).toHaveLength(1);
    expect(losers.map(errorCode)).toEqual(Array<string>(19).fill("cli_browser_token_invalid"));
  });

  it(`a paste code minted on A is redeemed exactly once by ${CONCURRENT_ATTEMPTS} concurrent redeems on A and B`, async () => {
    const minted = await call(a, "POST", "/api/v0/auth/cli/code", { token });
    expect(minted.status).toBe(200);
    const { code, expires_at: expiresAt } = minted.body as { code: string; expires_at: string };
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());

    const answers = await Promise.all(
      Array.from({ length: CONCURRENT_ATTEMPTS }, (_, index) =>
        call(index % 2 === 0 ? b : a, "POST", "/api/v0/auth/cli/redeem", { json: { code, name: `paste ${index}` } }),
      ),
    );
    const { winners, serverErrors, losers } = tally(answers);
    expect(serverErrors).toEqual([]);
    expect(winners).toHaveLength(1);
    for (const loser of losers) {
      expect(loser.status).toBe(400);
      expect(errorCode(loser)).toBe("cli_code_invalid");
    }

    const redeemed = (winners[0]!.body as { token: string }).token;
    expect(redeemed).toMatch(/^hmt_[A-Za-z0-9_-]{43}$/);
    for (const server of [a, b]) {
      const current = await call(server, "GET", "/api/v0/auth/session", { token: redeemed });
      expect(current.status).toBe(200);
      expect((current.body as { user: { id: string } }).user.id).toBe(userId);
    }
  });

  it("a session created on B works on A", async () => {
    const login = await call(b, "POST", "/api/v0/auth/login", { json: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    const fromB = (login.body as { token: string }).token;

    const onA = await call(a, "GET", "/api/v0/auth/session", { token: fromB });
    expect(onA.status).toBe(200);
    expect((onA.body as { user: { id: string; email: string } }).user).toMatchObject({ id: userId, email });
  });

  it("a token revoked through A is refused by B at the next request", async () => {
    const login = await call(a, "POST", "/api/v0/auth/login", { json: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    const doomed = (login.body as { token: string }).token;

    // B has seen the session live, so an answer it kept would still say 200.
    expect((await call(b, "GET", "/api/v0/auth/session", { token: doomed })).status).toBe(200);

    expect((await call(a, "POST", "/api/v0/auth/logout", { token: doomed })).status).toBe(204);

    const onB = await call(b, "GET", "/api/v0/auth/session", { token: doomed });
    expect(onB.status).toBe(401);
    expect(errorCode(onB)).toBe("unauthorized");
    expect((await call(a, "GET", "/api/v0/auth/session", { token: doomed })).status).toBe(401);
    // The account's other sessions are untouched.
    expect((await call(b, "GET", "/api/v0/auth/session", { token })).status).toBe(200);
  });

  it("a thief looping CLI logins on both processes keeps nothing once the owner signs out everywhere on one", async () => {
    const victim = `two-process-victim-${randomBytes(6).toString("hex")}@example.com`;
    const signup = await call(a, "POST", "/api/v0/auth/signup", { json: { email: victim, password: PASSWORD } });
    expect(signup.status).toBe(201);
    const stolen = (signup.body as { token: string }).token;
    const login = await call(b, "POST", "/api/v0/auth/login", { json: { email: victim, password: PASSWORD } });
    const owner = (login.body as { token: string }).token;

    const loot: string[] = [];
    const codes: string[] = [];
    const statuses: number[] = [];
    const loop = async (index: number) => {
      const [minter, redeemer] = index % 2 === 0 ? [a, b] : [b, a];
      for (let step = 0; step < 300; step++) {
        const minted = await call(minter, "POST", "/api/v0/auth/cli/code", { token: stolen });
        statuses.push(minted.status);
        if (minted.status === 401) return;
        const code = (minted.body as { code: string }).code;
        const redeemed = await call(redeemer, "POST", "/api/v0/auth/cli/redeem", { json: { code } });
        statuses.push(redeemed.status);
        if (redeemed.status === 200) loot.push((redeemed.body as { token: string }).token);
        else codes.push(code);
      }
    };
    const thieves = Promise.all(Array.from({ length: 6 }, (_, index) => loop(index)));
    while (loot.length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await call(a, "POST", "/api/v0/auth/logout-all", { token: owner })).status).toBe(204);
    await thieves;

    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(loot.length).toBeLessThan(6 * 300);
    for (const server of [a, b]) {
      for (const token of [stolen, owner, ...loot]) expect((await call(server, "GET", "/api/v0/auth/session", { token })).status).toBe(401);
    }
    for (const code of codes) expect((await call(b, "POST", "/api/v0/auth/cli/redeem", { json: { code } })).status).toBe(400);
  }, 120_000);

  /** A new account with its address verified through the inbox of the process that mailed the code. */
  async function verifiedAccount(server: ServerProcess) {
    const address = `two-process-${randomBytes(6).toString("hex")}@example.com`;
    const signup = await call(server, "POST", "/api/v0/auth/signup", { json: { email: address, password: PASSWORD } });
    expect(signup.status).toBe(201);
    const { token: session, user } = signup.body as { token: string; user: { id: string } };
    const inbox = (await call(server, "GET", "/api/v0/dev/mail")).body as { messages: Array<{ to: string; subject: string }> };
    const code = /(\d{8})/.exec(inbox.messages.find((mail) => mail.to === address && mail.subject.startsWith("Verify"))!.subject)![1];
    expect((await call(server, "POST", "/api/v0/auth/email/verify", { token: session, json: { code } })).status).toBe(200);
    return { address, token: session, userId: user.id };
  }

  it(`an org invitation is accepted exactly once by ${CONCURRENT_ATTEMPTS} concurrent accepts on A and B`, async () => {
    const owner = await verifiedAccount(a);
    const invitee = await verifiedAccount(b);
    const org = await call(a, "POST", "/api/v0/orgs", { token: owner.token, json: { name: "Race" } });
    expect(org.status).toBe(201);
    const orgId = (org.body as { id: string }).id;
    expect((await call(a, "POST", `/api/v0/orgs/${orgId}/invitations`, { token: owner.token, json: { email: invitee.address, role: "member" } })).status).toBe(201);
    const inbox = (await call(a, "GET", "/api/v0/dev/mail")).body as { messages: Array<{ to: string; text: string }> };
    const invitationToken = /#token=(hin_[A-Za-z0-9_-]{43})/.exec(inbox.messages.find((mail) => mail.to === invitee.address && mail.text.includes("#token="))!.text)![1];

    const answers = await Promise.all(
      Array.from({ length: CONCURRENT_ATTEMPTS }, (_, index) =>
        call(index % 2 === 0 ? a : b, "POST", "/api/v0/org-invitations/accept", { token: invitee.token, json: { token: invitationToken } }),
      ),
    );
    const { winners, serverErrors, losers } = tally(answers);
    expect(serverErrors).toEqual([]);
    expect(winners).toHaveLength(1);
    for (const loser of losers) expect(errorCode(loser)).toBe("invite_invalid");
    const members = (await call(b, "GET", `/api/v0/orgs/${orgId}/members`, { token: owner.token })).body as { members: unknown[] };
    expect(members.members).toHaveLength(2);
  }, 60_000);

  it("a password reset link mailed by A is completed exactly once by 20 concurrent completions on A and B", async () => {
    const person = await verifiedAccount(a);
    expect((await call(a, "POST", "/api/v0/auth/password-reset", { json: { email: person.address } })).status).toBe(202);
    const inbox = (await call(a, "GET", "/api/v0/dev/mail")).body as { messages: Array<{ to: string; text: string }> };
    const resetToken = /#token=(hrt_[A-Za-z0-9_-]{43})/.exec(inbox.messages.find((mail) => mail.to === person.address && mail.text.includes("#token=hrt_"))!.text)![1];
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        call(index % 2 === 0 ? b : a, "POST", "/api/v0/auth/password-reset/complete", { json: { token: resetToken, new_password: `a new password, try ${index}` } }),
      ),
    );
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
    const done = answers.filter((answer) => answer.status === 204);
    expect(done).toHaveLength(1);
    for (const refused of answers.filter((answer) => answer.status !== 204)) expect(errorCode(refused)).toBe("password_reset_invalid");
    // Whichever won set the password: one of the twenty signs in, on either process.
    const winner = answers.indexOf(done[0]!);
    const login = await call(b, "POST", "/api/v0/auth/login", { json: { email: person.address, password: `a new password, try ${winner}` } });
    expect(login.status).toBe(200);
  }, 60_000);

  it("two owners demoting each other at once, one on A and one on B: one wins, and the org keeps an owner", async () => {
    const first = await verifiedAccount(a);
    const second = await verifiedAccount(b);
    const org = await call(a, "POST", "/api/v0/orgs", { token: first.token, json: { name: "Owners" } });
    const orgId = (org.body as { id: string }).id;
    expect((await call(a, "POST", `/api/v0/orgs/${orgId}/invitations`, { token: first.token, json: { email: second.address, role: "owner" } })).status).toBe(201);
    const inbox = (await call(a, "GET", "/api/v0/dev/mail")).body as { messages: Array<{ to: string; text: string }> };
    const invitationToken = /#token=(hin_[A-Za-z0-9_-]{43})/.exec(inbox.messages.find((mail) => mail.to === second.address && mail.text.includes("#token="))!.text)![1];
    expect((await call(b, "POST", "/api/v0/org-invitations/accept", { token: second.token, json: { token: invitationToken } })).status).toBe(200);

    for (let round = 0; round < 10; round++) {
      const [byFirst, bySecond] = await Promise.all([
        call(a, "PATCH", `/api/v0/orgs/${orgId}/members/${second.userId}`, { token: first.token, json: { role: "member" } }),
        call(b, "PATCH", `/api/v0/orgs/${orgId}/members/${first.userId}`, { token: second.token, json: { role: "member" } }),
      ]);
      expect([byFirst.status, bySecond.status].filter((status) => status >= 500)).toEqual([]);
      expect([byFirst.status, bySecond.status].filter((status) => status === 200)).toHaveLength(1);
      const members = (await call(a, "GET", `/api/v0/orgs/${orgId}/members`, { token: first.token })).body as { members: Array<{ role: string }> };
      expect(members.members.filter((member) => member.role === "owner")).toHaveLength(1);
      // Both owners again, for the next round.
      const [winner, demotedId, via] = byFirst.status === 200 ? [first.token, second.userId, a] : [second.token, first.userId, b];
      expect((await call(via, "PATCH", `/api/v0/orgs/${orgId}/members/${demotedId}`, { token: winner, json: { role: "owner" } })).status).toBe(200);
    }
  }, 60_000);

  it(`one TOTP code sent on ${CONCURRENT_ATTEMPTS} sign-in challenges at once, half to A and half to B, makes exactly one session`, async () => {
    const person = await verifiedAccount(a);
    const started = await call(a, "POST", "/api/v0/auth/2fa/totp", { token: person.token, json: { password: PASSWORD } });
    expect(started.status).toBe(200);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32((started.body as { secret: string }).secret) });
    expect((await call(b, "POST", "/api/v0/auth/2fa/totp/confirm", { token: person.token, json: { code: totp.generate() } })).status).toBe(200);

    const challenges = await Promise.all(
      Array.from({ length: CONCURRENT_ATTEMPTS }, async (_, index) => {
        const answer = await call(index % 2 === 0 ? a : b, "POST", "/api/v0/auth/login", { json: { email: person.address, password: PASSWORD } });
        expect(answer.status).toBe(202);
        return (answer.body as { challenge_token: string }).challenge_token;
      }),
    );
    // The next time step's code: later than the one the confirmation used, and inside the ±1 window.
    const code = totp.generate({ timestamp: Date.now() + 30_000 });
    const answers = await Promise.all(
      challenges.map((challengeToken, index) =>
        call(index % 2 === 0 ? b : a, "POST", "/api/v0/auth/login/second-factor", { json: { challenge_token: challengeToken, method: "totp", code } }),
      ),
    );
    const { winners, serverErrors, losers } = tally(answers);
    expect(serverErrors).toEqual([]);
    expect(winners).toHaveLength(1);
    for (const loser of losers) expect(errorCode(loser)).toBe("second_factor_invalid");
    const sessions = (await call(a, "GET", "/api/v0/auth/sessions", { token: (winners[0]!.body as { token: string }).token })).body as { sessions: unknown[] };
    // The enrolling session and the one sign-in.
    expect(sessions.sessions).toHaveLength(2);
  }, 90_000);

  it("30 token polls after one approval, half on A and half on B, get exactly one token", async () => {
    const form = (fields: Record<string, string>) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
    const started = await fetch(`${a.baseUrl}/api/v0/oauth/device_authorization`, form({ client_id: "harmont-cli", name: "two-process" }));
    expect(started.status).toBe(200);
    const { device_code, user_code } = (await started.json()) as { device_code: string; user_code: string };
    expect((await call(b, "POST", "/api/v0/auth/device/approve", { token, json: { user_code } })).status).toBe(204);
    const polls = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const response = await fetch(
          `${(index % 2 === 0 ? a : b).baseUrl}/api/v0/oauth/token`,
          form({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: "harmont-cli", device_code }),
        );
        return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
      }),
    );
    expect(polls.filter((poll) => poll.status >= 500)).toEqual([]);
    expect(polls.filter((poll) => poll.body.access_token)).toHaveLength(1);
    expect(polls.filter((poll) => poll.body.error === "invalid_grant")).toHaveLength(29);
    const sessions = (await call(a, "GET", "/api/v0/auth/sessions", { token })).body as { sessions: Array<{ client_id: string | null }> };
    expect(sessions.sessions.filter((session) => session.client_id === "harmont-cli")).toHaveLength(1);
  }, 60_000);
});
