/**
 * `harmont login` through the browser handoff, end to end: the built binary against a real
 * server, with test/support/opener.mjs standing in for the browser and the web app.
 */
import { readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { verificationPhrase } from "@harmont/cloud";
import { describe, expect, it } from "vitest";
import { cliEnv, openerEnv, runHarmont, startTestServer, useTestbed } from "./support/harness.js";

const testbed = useTestbed();

function setup() {
  const home = testbed.home();
  const log = join(home.home, "opener.log");
  const openerLog = () =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { ...home, log, openerLog };
}

async function sessionOf(token: string) {
  const response = await testbed.server.api("/api/v0/auth/session", { token });
  return { status: response.status, body: response.status === 200 ? ((await response.json()) as { user: { email: string }; session: { kind: string; name: string } }) : null };
}

describe("harmont login (browser)", () => {
  it("approve in the browser: prints the URL and phrase, stores the token in a 0600 file, says who is logged in", async () => {
    const person = await testbed.server.signup();
    const home = setup();
    const run = await runHarmont(["login"], { env: cliEnv(home.home, testbed.server.url, openerEnv(testbed.server, person.token, "approve", home.log)) });

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Logged in to ${testbed.server.url} as ${person.email}`);

    // The URL the browser got is the one printed, with everything the web page needs.
    const opened = home.openerLog().find((record) => record.event === "opened")!;
    const url = new URL(opened.url as string);
    const meta = (await (await testbed.server.api("/api/v0/meta")).json()) as { web_url: string };
    expect(`${url.origin}${url.pathname}`).toBe(`${new URL(meta.web_url).origin}/cli-login`);
    expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Number(url.searchParams.get("port"))).toBeGreaterThan(0);
    expect(url.searchParams.get("state")!.length).toBeGreaterThanOrEqual(32);
    const sessionName = `harmont CLI on ${hostname()}`.slice(0, 100);
    expect(url.searchParams.get("name")).toBe(sessionName);
    expect(run.stderr).toContain(opened.url as string);
    expect(run.stderr).toContain(`Verification phrase: ${await verificationPhrase(url.searchParams.get("nonce")!)}`);
    expect(home.openerLog().find((record) => record.event === "transfer")?.status).toBe(204);

    // The token: in the file, owner-only, and a live CLI session under the readable name.
    expect(statSync(home.credentialsFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.configDirectory, "harmont")).mode & 0o777).toBe(0o700);
    expect(run.stderr).toMatch(/Keychain not used: .+\. Token saved in .+credentials\.json \(mode 0600\)\./);
    const stored = JSON.parse(readFileSync(home.credentialsFile, "utf8")) as {
      profiles: Record<string, { api_url: string; tokens: Record<string, { storage: string; token: string }> }>;
    };
    const entry = stored.profiles.default!.tokens[testbed.server.url]!;
    expect(entry.storage).toBe("file");
    const session = await sessionOf(entry.token);
    expect(session.status).toBe(200);
    expect(session.body!.user.email).toBe(person.email);
    expect(session.body!.session).toMatchObject({ kind: "cli", name: sessionName });
    expect(entry.token).not.toBe(person.token);
  });

  it("follows the loopback callback: answers 'close this tab', refuses a wrong state or path, closes afterwards", async () => {
    const person = await testbed.server.signup();
    const home = setup();
    const run = await runHarmont(["login", "--json"], { env: cliEnv(home.home, testbed.server.url, openerEnv(testbed.server, person.token, "callback", home.log)) });
    expect(run.code, run.stderr).toBe(0);

    const callback = home.openerLog().find((record) => record.event === "callback")!;
    expect(callback).toMatchObject({ status: 200, wrongStateStatus: 400, otherPathStatus: 404 });
    expect(callback.contentType).toMatch(/^text\/html/);
    expect(callback.body).toContain("You can close this tab");

    const result = JSON.parse(run.stdout) as { logged_in: boolean; user: { email: string }; session: { kind: string }; token_source: string };
    expect(result).toMatchObject({ logged_in: true, user: { email: person.email }, session: { kind: "cli" }, token_source: "file", token_location: home.credentialsFile });

    // The listener is gone once the login ended.
    const port = Number(new URL(home.openerLog().find((record) => record.event === "opened")!.url as string).searchParams.get("port"));
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });

  it("deny in the browser: exit code 3 and a message saying so, nothing stored (--web-url names the page)", async () => {
    const person = await testbed.server.signup();
    const home = setup();
    const run = await runHarmont(["login", "--web-url", "https://app.example.com/console/"], {
      env: cliEnv(home.home, testbed.server.url, openerEnv(testbed.server, person.token, "deny", home.log)),
    });
    expect(home.openerLog()[0]!.url).toMatch(/^https:\/\/app\.example\.com\/console\/cli-login\?nonce=/);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("the login was denied in the browser");
    expect(run.stdout).toBe("");
    expect(() => statSync(home.credentialsFile)).toThrow();
  });

  it("nobody answers: stops at --timeout with one actionable line and exit code 4", async () => {
    const person = await testbed.server.signup();
    const home = setup();
    const run = await runHarmont(["login", "--timeout", "2s"], {
      env: cliEnv(home.home, testbed.server.url, openerEnv(testbed.server, person.token, "nothing", home.log)),
    });
    expect(run.code).toBe(4);
    expect(run.durationMs).toBeLessThan(8000);
    expect(run.stderr).toMatch(/the login timed out after 2s with no answer from the browser: run `harmont login` again/);
    expect(() => statSync(home.credentialsFile)).toThrow();
  });

  it("a browser that cannot be opened, with no terminal: fails fast (exit 6) and says what works", async () => {
    const person = await testbed.server.signup();
    const home = setup();
    for (const browser of [openerEnv(testbed.server, person.token, "fail", home.log), { HARMONT_BROWSER: join(home.home, "no-such-browser") }]) {
      const run = await runHarmont(["login"], { env: cliEnv(home.home, testbed.server.url, browser), timeoutMs: 10_000 });
      expect(run.code, run.stderr).toBe(6);
      expect(run.stderr).toMatch(/could not open a browser \((.+ exited with code 3|could not run .+: ENOENT)\)/);
      expect(run.stderr).toContain("--with-token");
      expect(run.stderr).toContain("harmont login --paste");
      expect(run.durationMs).toBeLessThan(5000);
    }
  });

  it("no terminal and no browser (CI, SSH, Linux without a display): fails fast with exit code 6", async () => {
    const home = setup();
    for (const extra of [{ CI: "true", DISPLAY: ":0" }, { SSH_CONNECTION: "10.0.0.1 5000 10.0.0.2 22", DISPLAY: ":0" }, { DISPLAY: undefined }]) {
      if (extra.DISPLAY === undefined && process.platform !== "linux") continue;
      const run = await runHarmont(["login"], { env: cliEnv(home.home, testbed.server.url, extra), timeoutMs: 10_000 });
      expect(run.code, run.stderr).toBe(6);
      expect(run.stderr).toMatch(/cannot finish the login here: .+, and there is no terminal to type a code into/);
      expect(run.durationMs).toBeLessThan(5000);
    }
  });

  it("a server that cannot be reached: exit code 5 at once, not five minutes of polling", async () => {
    const home = setup();
    const closed = await startTestServer();
    const url = closed.url;
    await closed.stop();
    const run = await runHarmont(["login", "--browser"], { env: cliEnv(home.home, url), timeoutMs: 10_000 });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`cannot reach the Harmont server at ${url}`);
  });
});
