/**
 * `harmont login --paste` and `--with-token` from standard input (scripts and CI), and where the
 * token goes when no keychain can be used. The built binary against a real server.
 */
import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { cliEnv, runHarmont, useTestbed } from "./support/harness.js";

const testbed = useTestbed();

function storedToken(file: string, apiUrl: string, profile = "default"): string | undefined {
  const stored = JSON.parse(readFileSync(file, "utf8")) as { profiles: Record<string, { tokens: Record<string, { token?: string }> }> };
  return stored.profiles[profile]?.tokens[apiUrl]?.token;
}

async function sessionOf(token: string) {
  const response = await testbed.server.api("/api/v0/auth/session", { token });
  return { status: response.status, body: response.status === 200 ? ((await response.json()) as { user: { email: string }; session: { kind: string; name: string } }) : null };
}

describe("harmont login --paste", () => {
  it("reads the code from stdin when stdin is not a terminal, and names the session", async () => {
    const person = await testbed.server.signup();
    const code = await testbed.server.pasteCode(person.token);
    const dir = testbed.home();
    const run = await runHarmont(["login", "--paste"], { env: cliEnv(dir.home, testbed.server.url), input: `${code}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Logged in to ${testbed.server.url} as ${person.email}`);
    expect(run.stderr).toMatch(/\/cli-login\?paste=true/);
    const token = storedToken(dir.credentialsFile, testbed.server.url)!;
    const session = await sessionOf(token);
    expect(session.body).toMatchObject({ user: { email: person.email }, session: { kind: "cli", name: `harmont CLI on ${hostname()}`.slice(0, 100) } });
  });

  it("asks again after a mistyped code, and takes the code in any case and with dashes", async () => {
    const person = await testbed.server.signup();
    const code = await testbed.server.pasteCode(person.token);
    const typed = code.toLowerCase().match(/.{4}/g)!.join("-");
    const dir = testbed.home();
    const run = await runHarmont(["login", "--paste"], { env: cliEnv(dir.home, testbed.server.url), input: `\nZZZZ-ZZZZ-ZZZZ-ZZZZ\n${typed}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("That code did not work (mistyped, used or expired): 2 tries left.");
    expect(run.stdout).toContain(`as ${person.email}`);
  });

  it("gives up after three wrong codes with exit code 1, storing nothing", async () => {
    const dir = testbed.home();
    const run = await runHarmont(["login", "--paste"], {
      env: cliEnv(dir.home, testbed.server.url),
      input: "AAAA-AAAA-AAAA-AAAA\nBBBB-BBBB-BBBB-BBBB\nCCCC-CCCC-CCCC-CCCC\nDDDD-DDDD-DDDD-DDDD\n",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no code worked after 3 tries");
    expect(() => statSync(dir.credentialsFile)).toThrow();
  });

  it("a piped code that is refused ends with exit code 1 and says so, not that input is missing", async () => {
    const person = await testbed.server.signup();
    const code = await testbed.server.pasteCode(person.token);
    expect((await testbed.server.api("/api/v0/auth/cli/redeem", { json: { code } })).status).toBe(200); // used already
    const dir = testbed.home();
    const run = await runHarmont(["login", "--paste"], { env: cliEnv(dir.home, testbed.server.url), input: `${code}\n` });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the code did not work (mistyped, used or expired)");
    expect(run.stderr).not.toContain("no code on standard input");
    expect(() => statSync(dir.credentialsFile)).toThrow();
  });

  it("an empty stdin ends at once with exit code 6 instead of waiting", async () => {
    const dir = testbed.home();
    const run = await runHarmont(["login", "--paste"], { env: cliEnv(dir.home, testbed.server.url), input: "" });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("no code on standard input");
  });
});

describe("harmont login --with-token", () => {
  it("verifies the token with the server before storing it", async () => {
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const run = await runHarmont(["login", "--with-token"], { env: cliEnv(dir.home, testbed.server.url), input: `${person.token}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Logged in to ${testbed.server.url} as ${person.email}`);
    expect(storedToken(dir.credentialsFile, testbed.server.url)).toBe(person.token);
  });

  it("refuses a dead token with exit code 1 and stores nothing", async () => {
    const person = await testbed.server.signup();
    await testbed.server.api("/api/v0/auth/logout", { method: "POST", token: person.token });
    const dir = testbed.home();
    for (const input of [`${person.token}\n`, "hmt_not_a_real_token\n", "", "two tokens\n"]) {
      const run = await runHarmont(["login", "--with-token"], { env: cliEnv(dir.home, testbed.server.url), input });
      expect(run.code, input).toBe(1);
      expect(run.stderr).toMatch(/that token is not valid|expected one token/);
    }
    expect(() => statSync(dir.credentialsFile)).toThrow();
  });
});

describe("token storage without a keychain", () => {
  it("no Secret Service announced: the file, mode 0600, and one line saying why", async () => {
    if (process.platform !== "linux") return;
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const run = await runHarmont(["login", "--with-token"], { env: cliEnv(dir.home, testbed.server.url), input: person.token });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split("\n").filter((line) => line.includes("Keychain not used"));
    expect(lines).toEqual([`Keychain not used: no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set). Token saved in ${dir.credentialsFile} (mode 0600).`]);
    expect(statSync(dir.credentialsFile).mode & 0o777).toBe(0o600);
  });

  it("a Secret Service that is announced but broken: the keychain fails, the file takes over within the time limit", async () => {
    if (process.platform !== "linux") return;
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const run = await runHarmont(["login", "--with-token"], {
      env: cliEnv(dir.home, testbed.server.url, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${dir.home}/no-such-bus` }),
      input: person.token,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^Keychain not used: the keychain failed: .+\. Token saved in .+credentials\.json \(mode 0600\)\.$/m);
    expect(run.durationMs).toBeLessThan(8000);
    expect(statSync(dir.credentialsFile).mode & 0o777).toBe(0o600);
    expect(storedToken(dir.credentialsFile, testbed.server.url)).toBe(person.token);

    // The next command finds the token in the file, not in the keychain.
    const status = await runHarmont(["status", "--json"], { env: cliEnv(dir.home, testbed.server.url, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${dir.home}/no-such-bus` }) });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ token_source: "file", token_location: dir.credentialsFile });
  });

  it("HARMONT_KEYCHAIN=off keeps the token in the file and says so", async () => {
    const person = await testbed.server.signup();
    const dir = testbed.home();
    const run = await runHarmont(["login", "--with-token"], { env: cliEnv(dir.home, testbed.server.url, { HARMONT_KEYCHAIN: "off" }), input: person.token });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("Keychain not used: turned off by HARMONT_KEYCHAIN.");
  });
});
