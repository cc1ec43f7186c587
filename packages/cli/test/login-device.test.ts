/**
 * `harmont login --device` (RFC 8628), end to end: the built binary against a real server, with
 * no terminal, the person's answers given through the API as the device page gives them. The
 * server tells the CLI to poll every second (HARMONT_DEVICE_POLL_INTERVAL=1s), to keep it quick.
 * Also `loginWithDeviceCode` as a library, against the same server.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { createHarmontClient } from "@harmont/cloud";
import { createApiClient, loginWithDeviceCode, type DeviceLoginEvent } from "@harmont/cli";
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, openerEnv, runHarmont, spawnHarmont, startTestServer, useTestbed, waitUntil, type RunningCli, type TestServer } from "./support/harness.js";

const testbed = useTestbed({ HARMONT_DEVICE_POLL_INTERVAL: "1s" });

interface DeviceCodeLine {
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string | null;
  expires_at: string;
}

/** The first line `--json` prints: the code to relay, as soon as the server gave it. */
async function firstLine(run: RunningCli): Promise<DeviceCodeLine> {
  const line = await waitUntil(() => (run.output.stdout.includes("\n") ? run.output.stdout.slice(0, run.output.stdout.indexOf("\n")) : null), 10_000, "the first line on stdout");
  return JSON.parse(line) as DeviceCodeLine;
}

/** Everything after the first line: the login's own `--json` result. */
function resultAfterFirstLine(stdout: string) {
  return JSON.parse(stdout.slice(stdout.indexOf("\n") + 1)) as {
    logged_in: boolean;
    user: { email: string };
    session: { kind: string; client_id: string | null; name: string };
    token_source: string;
    token_location: string;
  };
}

function storedToken(file: string, apiUrl: string): string | undefined {
  const stored = JSON.parse(readFileSync(file, "utf8")) as { profiles: Record<string, { tokens: Record<string, { token?: string }> }> };
  return stored.profiles.default?.tokens[apiUrl]?.token;
}

const answer = (server: TestServer, webToken: string, action: "lookup" | "approve" | "deny", userCode: string) =>
  server.api(`/api/v0/auth/device/${action}`, { token: webToken, json: { user_code: userCode } });

describe("harmont login --device", () => {
  it("the whole login without a terminal: the code first, approved on the device page, the token stored, the replaced session revoked", async () => {
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const openerLog = join(dir.home, "opener.log");
    // An earlier login, which this one replaces.
    const paste = await runHarmont(["login", "--paste"], { env: cliEnv(dir.home, testbed.server.url), input: `${await testbed.server.pasteCode(person.token)}\n` });
    expect(paste.code, paste.stderr).toBe(0);
    const earlier = storedToken(dir.credentialsFile, testbed.server.url)!;

    // HARMONT_BROWSER is set, and still no browser is opened.
    const run = spawnHarmont(["login", "--device", "--json"], { env: cliEnv(dir.home, testbed.server.url, openerEnv(testbed.server, person.token, "nothing", openerLog)) });
    const code = await firstLine(run);
    expect(code.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(code.verification_uri).toBe(`${testbed.server.url}/device`);
    expect(code.verification_uri_complete).toBe(`${testbed.server.url}/device?user_code=${code.user_code}`);
    expect(Date.parse(code.expires_at) - Date.now()).toBeGreaterThan(290_000);
    expect(Date.parse(code.expires_at) - Date.now()).toBeLessThanOrEqual(300_000);
    await waitUntil(() => run.output.stderr.includes("Approve only if the page shows this code."), 5000, "the instructions");
    expect(run.output.stderr).toContain(`Open ${code.verification_uri} on any device and enter the code ${code.user_code}\n`);
    expect(run.output.stderr).toContain(`  ${code.verification_uri_complete}\n`);

    // What the device page shows: this CLI, by the name and the User-Agent it sent; codes that live the server's 5 minutes.
    const looked = await answer(testbed.server, person.token, "lookup", code.user_code);
    expect(looked.status).toBe(200);
    const login = (await looked.json()) as { client_id: string; session_name: string; device_description: string; requested_at: string; expires_at: string };
    expect(login).toMatchObject({ client_id: "harmont-cli", session_name: `harmont CLI on ${hostname()}`.slice(0, 100) });
    expect(login.device_description).toMatch(/^harmont-cli \d+\.\d+\.\d+/);
    expect(Date.parse(login.expires_at) - Date.parse(login.requested_at)).toBe(300_000);

    expect((await answer(testbed.server, person.token, "approve", code.user_code)).status).toBe(204);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.durationMs).toBeLessThan(8000);
    expect(done.stderr).toContain("The session this login replaces was revoked on the server.");
    expect(existsSync(openerLog)).toBe(false);

    const result = resultAfterFirstLine(done.stdout);
    expect(result).toMatchObject({ logged_in: true, user: { email: person.email }, session: { kind: "cli", client_id: "harmont-cli" }, token_location: dir.credentialsFile });
    const token = storedToken(dir.credentialsFile, testbed.server.url)!;
    expect(token).toMatch(/^hmt_/);
    expect(token).not.toBe(earlier);
    expect((await testbed.server.api("/api/v0/auth/session", { token: earlier })).status).toBe(401);
    const session = (await (await testbed.server.api("/api/v0/auth/session", { token })).json()) as { session: { client_id: string | null } };
    expect(session.session.client_id).toBe("harmont-cli");

    const status = await runHarmont(["status", "--json"], { env: cliEnv(dir.home, testbed.server.url) });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ logged_in: true, user: { email: person.email }, session: { kind: "cli", client_id: "harmont-cli" }, token_source: "file" });
  });

  it("denied on the device page: exit code 3, nothing stored", async () => {
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const run = spawnHarmont(["login", "--device", "--json"], { env: cliEnv(dir.home, testbed.server.url) });
    const code = await firstLine(run);
    expect((await answer(testbed.server, person.token, "deny", code.user_code)).status).toBe(204);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(3);
    expect(done.stderr).toContain("the login was denied in the browser. Run `harmont login --device` to start again.");
    expect(done.stdout.trim().split("\n")).toHaveLength(1); // the code, and no login result
    expect(existsSync(dir.credentialsFile)).toBe(false);
  });

  it("a code nobody approves before --timeout: exit code 4, and the server was asked for codes that live no longer", async () => {
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const run = spawnHarmont(["login", "--device", "--timeout", "3s", "--json"], { env: cliEnv(dir.home, testbed.server.url) });
    const code = await firstLine(run);
    expect(Date.parse(code.expires_at) - Date.now()).toBeLessThanOrEqual(3000);
    const looked = (await (await answer(testbed.server, person.token, "lookup", code.user_code)).json()) as { requested_at: string; expires_at: string };
    expect(Date.parse(looked.expires_at) - Date.parse(looked.requested_at)).toBe(3000);

    const done = await run.done;
    expect(done.code, done.stderr).toBe(4);
    expect(done.stderr).toContain("error: the code expired before it was approved: run `harmont login --device` again");
    expect(done.durationMs).toBeGreaterThanOrEqual(2500);
    expect(done.durationMs).toBeLessThan(8000);
    expect(existsSync(dir.credentialsFile)).toBe(false);
  });

  it("--device with another way to log in is a usage error (exit code 2)", async () => {
    const dir = testbed.home();
    for (const other of ["--paste", "--browser", "--with-token"]) {
      const run = await runHarmont(["login", "--device", other], { env: cliEnv(dir.home, testbed.server.url) });
      expect(run.code, other).toBe(2);
      expect(run.stderr).toMatch(/^error: choose one of --browser, --paste, --device and --with-token\nUsage:\n {2}harmont login \[--browser \| --paste \| --device \| --with-token\]/);
    }
    const misplaced = await runHarmont(["status", "--device"], { env: cliEnv(dir.home, testbed.server.url) });
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("--device belongs to `harmont login`");
  });

  it("Ctrl-C while waiting: exit code 130, nothing stored", async () => {
    const dir = testbed.home();
    const run = spawnHarmont(["login", "--device", "--json"], { env: cliEnv(dir.home, testbed.server.url) });
    await firstLine(run);
    run.child.kill("SIGINT");
    const done = await run.done;
    expect(done.code).toBe(130);
    expect(done.stderr).toContain("Login cancelled.");
    expect(done.durationMs).toBeLessThan(8000);
    expect(existsSync(dir.credentialsFile)).toBe(false);
  });

  it("a server that names another issuer: exit code 1, saying which, instead of a crash", async () => {
    const elsewhere = await startTestServer({ HARMONT_PUBLIC_URL: "https://auth.example.com", HARMONT_ENV: "development" });
    try {
      const dir = testbed.home();
      const run = await runHarmont(["login", "--device"], { env: cliEnv(dir.home, elsewhere.url) });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(`error: the server at ${elsewhere.url} names itself https://auth.example.com in its OAuth metadata, so a device login through ${elsewhere.url} cannot be trusted.`);
      expect(run.stderr).toContain("--api-url https://auth.example.com");
      expect(run.stderr).not.toContain("unexpected error");
    } finally {
      await elsewhere.stop();
    }
  });

  it("a server that cannot be reached: exit code 5 at once", async () => {
    const closed = await startTestServer();
    await closed.stop();
    const dir = testbed.home();
    const run = await runHarmont(["login", "--device"], { env: cliEnv(dir.home, closed.url), timeoutMs: 10_000 });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`cannot reach the Harmont server at ${closed.url}`);
  });

  it("where `harmont login` cannot finish without a terminal, it names --device", async () => {
    const dir = testbed.home();
    const run = await runHarmont(["login"], { env: cliEnv(dir.home, testbed.server.url, { CI: "true" }) });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("Or approve from a browser on any device: `harmont login --device` shows a code to enter there.");
  });
});

/**
 * A proxy in front of a server, recording each poll of the token endpoint. The first poll is
 * sent to the server twice in a row, so that the server itself answers it `slow_down` (and keeps
 * the longer interval): what the CLI does next shows whether it honours it.
 */
async function slowDownProxy() {
  let target = "";
  let authorizedAt: number | null = null;
  const polls: Array<{ at: number; answer: string }> = [];
  const forward = async (path: string, method: string, headers: Record<string, string>, body: Buffer | undefined) => {
    const response = await fetch(`${target}${path}`, { method, headers, ...(body && body.length > 0 ? { body } : {}) });
    return { status: response.status, contentType: response.headers.get("content-type"), retryAfter: response.headers.get("retry-after"), text: await response.text() };
  };
  const proxy: Server = createServer((request, response) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async () => {
        const headers: Record<string, string> = {};
        for (const name of ["content-type", "accept", "user-agent", "authorization"]) {
          const value = request.headers[name];
          if (typeof value === "string") headers[name] = value;
        }
        const path = request.url ?? "/";
        const body = Buffer.concat(chunks);
        let answered = await forward(path, request.method ?? "GET", headers, body);
        if (path === "/api/v0/oauth/device_authorization") authorizedAt = at;
        if (path === "/api/v0/oauth/token") {
          if (polls.length === 0) answered = await forward(path, "POST", headers, body); // too soon: slow_down
          polls.push({ at, answer: answered.status === 200 ? "token" : ((JSON.parse(answered.text) as { error: string }).error ?? "?") });
        }
        response.writeHead(answered.status, {
          ...(answered.contentType ? { "content-type": answered.contentType } : {}),
          ...(answered.retryAfter ? { "retry-after": answered.retryAfter } : {}),
        });
        response.end(answered.text);
      })().catch((error: unknown) => {
        response.writeHead(502);
        response.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const port = (proxy.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    polls,
    authorizedAt: () => authorizedAt,
    forwardTo(url: string) {
      target = url;
    },
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

describe("polling", () => {
  let cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  it("honours slow_down: 5 s more for the rest of the login, and never a poll sooner than the interval", async () => {
    const proxy = await slowDownProxy();
    cleanup.push(proxy.close);
    const server = await startTestServer({ HARMONT_PUBLIC_URL: proxy.url, HARMONT_DEVICE_POLL_INTERVAL: "1s" });
    cleanup.push(server.stop);
    proxy.forwardTo(server.url);

    const person = await server.signup();
    const dir = testbed.home();
    const run = spawnHarmont(["login", "--device", "--json"], { env: cliEnv(dir.home, proxy.url), timeoutMs: 20_000 });
    const code = await firstLine(run);
    await waitUntil(() => proxy.polls.length >= 1, 5000, "the first poll");
    expect((await answer(server, person.token, "approve", code.user_code)).status).toBe(204);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    expect(resultAfterFirstLine(done.stdout).session.client_id).toBe("harmont-cli");

    // The server's own answers: slow_down for the doubled first poll, and the token for the next one.
    expect(proxy.polls.map((poll) => poll.answer)).toEqual(["slow_down", "token"]);
    // The interval (1 s) before the first poll, and 1 + 5 s after slow_down.
    expect(proxy.polls[0]!.at - proxy.authorizedAt()!).toBeGreaterThanOrEqual(1000);
    expect(proxy.polls[1]!.at - proxy.polls[0]!.at).toBeGreaterThanOrEqual(6000);
    expect(proxy.polls[1]!.at - proxy.polls[0]!.at).toBeLessThan(7500);
  });
});

describe("loginWithDeviceCode (the library)", () => {
  it("announces the codes, polls no faster than the interval, and returns the token once approved", async () => {
    const person = await testbed.server.signup();
    const polls: number[] = [];
    let authorizedAt = 0;
    let started: Extract<DeviceLoginEvent, { type: "started" }> | undefined;
    const events: DeviceLoginEvent[] = [];
    const base = createApiClient({ apiUrl: testbed.server.url, userAgent: "acme-cli/2.0.0 (linux)" });
    // The same client, with every poll of the token endpoint recorded.
    const client = createHarmontClient({
      baseUrl: testbed.server.url,
      headers: { "User-Agent": "acme-cli/2.0.0 (linux)" },
      fetch: async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        if (new URL(url).pathname === "/api/v0/oauth/device_authorization") authorizedAt = Date.now();
        if (new URL(url).pathname === "/api/v0/oauth/token") {
          polls.push(Date.now());
          // Approved just before the second poll: the first one hears authorization_pending.
          if (polls.length === 2) {
            expect((await answer(testbed.server, person.token, "approve", started!.userCode)).status).toBe(204);
          }
        }
        return base.getConfig().fetch!(input, init);
      },
    });
    const result = await loginWithDeviceCode({
      client,
      sessionName: "acme CLI on box",
      timeoutMs: 20_000,
      onEvent: (event) => {
        events.push(event);
        if (event.type === "started") started = event;
      },
    });
    expect(result).toMatchObject({ ok: true, token: expect.stringMatching(/^hmt_/) });
    if (!result.ok) throw new Error("unreachable");
    expect(started).toMatchObject({ verificationUri: `${testbed.server.url}/device`, intervalMs: 1000 });
    expect(started!.verificationUriComplete).toBe(`${testbed.server.url}/device?user_code=${started!.userCode}`);
    expect(started!.expiresAt - Date.now()).toBeLessThanOrEqual(20_000);
    expect(events.map((event) => event.type)).toEqual(["started"]);
    expect(polls).toHaveLength(2);
    expect(polls[0]! - authorizedAt).toBeGreaterThanOrEqual(1000);
    expect(polls[1]! - polls[0]!).toBeGreaterThanOrEqual(1000);

    const current = (await (await testbed.server.api("/api/v0/auth/session", { token: result.token })).json()) as { session: { name: string; client_id: string; device: string | null } };
    expect(current.session).toMatchObject({ name: "acme CLI on box", client_id: "harmont-cli" });
  });
});
