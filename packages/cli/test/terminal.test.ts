/**
 * `harmont login` in a real pseudo-terminal (tmux), seen as a person sees it: the printed URL and
 * phrase, the spinner while waiting, the paste prompt after a browser that would not open, a
 * mistyped code asked again, the device code's instructions and countdown, Ctrl-C giving the
 * cursor back, and colour only without NO_COLOR.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cliEnv, cliMain, killChildren, makeHome, openerEnv, startTestServer, type TestServer } from "./support/harness.js";
import { TmuxSession, tmuxAvailable } from "./support/tmux.js";

let server: TestServer;
const cleanups: Array<() => void> = [];
const sessions: TmuxSession[] = [];

beforeAll(async () => {
  assertBuilt();
  if (!tmuxAvailable()) throw new Error("tmux is required for the terminal tests (apt-get install tmux; .ci/run installs it)");
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(() => {
  for (const session of sessions.splice(0)) session.kill();
  killChildren();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function harmontInTmux(args: string[], env: Record<string, string>): TmuxSession {
  const session = new TmuxSession([process.execPath, cliMain, ...args], { ...env, TERM: "xterm-256color" });
  sessions.push(session);
  return session;
}

function home() {
  const made = makeHome();
  cleanups.push(made.remove);
  return made;
}

describe("harmont login in a terminal", () => {
  it("shows the URL, the phrase and a spinner with a countdown while the browser is pending, then who logged in", async () => {
    const person = await server.signup();
    const dir = home();
    const env = cliEnv(dir.home, server.url, openerEnv(server, person.token, "approve", join(dir.home, "opener.log"), { HARMONT_TEST_OPENER_DELAY_MS: "2500" }));
    const tmux = harmontInTmux(["login"], env);

    const waiting = await tmux.waitFor(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for you to authorize in the browser… \d:\d\d left/);
    expect(waiting).toMatch(/If it does not open, visit:\s+http:\/\/\S+\/cli-login\?nonce=[\w-]{43}&port=\d+&state=[\w-]+&name=harmont\+CLI\+on\+/);
    expect(waiting).toMatch(/Verification phrase: [a-z]+-[a-z]+-[a-z]+-[a-z]+/);
    // The wheel turns: two captures a moment apart show different frames.
    const frameOf = (screen: string) => /([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) Waiting/.exec(screen)?.[1];
    const first = frameOf(tmux.capture());
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(frameOf(tmux.capture())).not.toBe(first);
    // Colour on a terminal: the phrase is bold.
    expect(tmux.capture(true)).toMatch(/Verification phrase: \x1b\[1m/);

    const done = await tmux.waitFor(/\[exit \d+\]/, 15_000);
    expect(done).toContain(`Logged in to ${server.url} as ${person.email}`);
    expect(done).toContain("[exit 0]");
    expect(done).not.toMatch(/Waiting for you to authorize/); // the spinner's line was cleared
  });

  it("falls back to a paste code when the browser will not open: prompts, asks again after a typo, logs in", async () => {
    const person = await server.signup();
    const dir = home();
    const env = cliEnv(dir.home, server.url, { ...openerEnv(server, person.token, "fail", join(dir.home, "opener.log")), NO_COLOR: "1" });
    const tmux = harmontInTmux(["login"], env);

    const prompt = await tmux.waitFor(/^Code:\s*$/m);
    expect(prompt).toMatch(/Could not open a browser \(.+ exited with code 3\): log in with a paste code instead \(the link above no longer finishes this login\)\./);
    expect(prompt).toMatch(/copy the code it shows:\s+http:\/\/\S+\/cli-login\?paste=true/);

    tmux.type("WXYZ-WXYZ-WXYZ-WXYZ");
    tmux.press("Enter");
    const retry = await tmux.waitFor(/^Code \(try 2 of 3\):\s*$/m);
    expect(retry).toContain("That code did not work (mistyped, used or expired): 2 tries left.");

    tmux.type(await server.pasteCode(person.token));
    tmux.press("Enter");
    const done = await tmux.waitFor(/\[exit \d+\]/);
    expect(done).toContain(`Logged in to ${server.url} as ${person.email}`);
    expect(done).toContain("[exit 0]");
    // NO_COLOR: no colour codes anywhere on the screen.
    expect(tmux.capture(true)).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  it("Ctrl-C while waiting stops cleanly: exit code 130 and the cursor is visible again", async () => {
    const person = await server.signup();
    const dir = home();
    const tmux = harmontInTmux(["login"], cliEnv(dir.home, server.url, openerEnv(server, person.token, "nothing", join(dir.home, "opener.log"))));
    await tmux.waitFor(/Waiting for you to authorize/);
    tmux.press("C-c");
    const done = await tmux.waitFor(/\[exit \d+\]/);
    expect(done).toContain("Login cancelled.");
    expect(done).toContain("[exit 130]");
    expect(tmux.cursorVisible()).toBe(true);
    expect(execFileSync("ls", [dir.home, "-a"], { encoding: "utf8" })).not.toContain(".config");
  });

  it("--device shows the code, the page and a spinner with a countdown, and opens no browser", async () => {
    const person = await server.signup();
    const dir = home();
    const log = join(dir.home, "opener.log");
    const tmux = harmontInTmux(["login", "--device"], cliEnv(dir.home, server.url, openerEnv(server, person.token, "approve", log)));

    const waiting = await tmux.waitFor(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for the approval… [45]:\d\d left \(Ctrl-C to cancel\)/);
    const userCode = /Open http:\/\/\S+\/device on any device and enter the code ([A-Z]{4}-[A-Z]{4})/.exec(waiting)?.[1];
    expect(userCode, waiting).toBeDefined();
    expect(waiting).toContain(`${server.url}/device?user_code=${userCode}`);
    expect(waiting).toContain("Approve only if the page shows this code.");
    // Colour on a terminal: the code is bold.
    expect(tmux.capture(true)).toContain(`\x1b[1m${userCode}`);

    const approved = await server.api("/api/v0/auth/device/approve", { token: person.token, json: { user_code: userCode } });
    expect(approved.status).toBe(204);
    const done = await tmux.waitFor(/\[exit \d+\]/, 15_000);
    expect(done).toContain(`Logged in to ${server.url} as ${person.email}`);
    expect(done).toContain("[exit 0]");
    expect(done).not.toMatch(/Waiting for the approval/); // the spinner's line was cleared
    expect(tmux.cursorVisible()).toBe(true);
    expect(execFileSync("ls", [dir.home, "-a"], { encoding: "utf8" })).not.toContain("opener.log");
  });

  it("Ctrl-C at the paste prompt stops too", async () => {
    const dir = home();
    const tmux = harmontInTmux(["login", "--paste"], cliEnv(dir.home, server.url));
    await tmux.waitFor(/^Code:\s*$/m);
    tmux.press("C-c");
    const done = await tmux.waitFor(/\[exit \d+\]/);
    expect(done).toContain("[exit 130]");
  });
});
