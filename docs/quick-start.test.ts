/**
 * The quick start runs as the page shows it: every shell command of docs/guides/quick-start.md is
 * taken from the page and run in one bash session, in the repository's root, against a server the
 * test starts with the page's own `npm start`.
 *
 * What differs from a person at a fresh clone, and why:
 * - `npm ci` is not run again: the suite runs in the tree it leaves (CI runs `npm ci && npm test`);
 *   the test checks that the packages the page uses are installed and built.
 * - `npm start` gets a free loopback port, a temporary data directory and quiet logs through the
 *   environment (PORT, HARMONT_HOST, HARMONT_DATABASE_URL), so that it never meets another server
 *   on 8080 or the developer's data; the page's `http://localhost:8080` is replaced by that
 *   server's URL, and HARMONT_API_URL, which the CLI and the script read, names it.
 * - The CLI keeps nothing outside a temporary folder (XDG_CONFIG_HOME, HARMONT_KEYCHAIN=off).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../packages/server/src/test-support/ports.js";

const root = new URL("../", import.meta.url).pathname;
const page = readFileSync(join(root, "docs/guides/quick-start.md"), "utf8");
const documentedUrl = "http://localhost:8080";

/** The page's shell commands in order, one per logical line (a trailing `\` continues it). */
function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const [, block] of markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)) {
    let pending = "";
    for (const line of block!.split("\n")) {
      if (line.trim() === "" && pending === "") continue;
      pending += pending ? `\n${line}` : line;
      if (!line.endsWith("\\")) {
        commands.push(pending);
        pending = "";
      }
    }
  }
  return commands;
}

interface Ran {
  command: string;
  status: number;
  output: string;
}

describe("the quick start, as written", () => {
  const commands = shellCommands(page);
  let scratch: string;
  let port: number;
  let server: ChildProcess | undefined;
  let serverOutput = "";
  let ran: Ran[] = [];

  beforeAll(async () => {
    for (const built of ["packages/server/dist/main.js", "packages/cloud/dist/index.js", "packages/cli/dist/main.js", "node_modules/@harmont/cloud/package.json"]) {
      if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run \`npm ci\` (or \`npm run build\`) first; npm test builds`);
    }
    scratch = mkdtempSync(join(tmpdir(), "harmont-quick-start-"));
    port = await findFreePort();
    const url = `http://localhost:${port}`;

    // The first block starts the server; the page's own `npm start` is what runs.
    expect(commands.slice(0, 2)).toEqual(["npm ci", "npm start"]);
    server = spawn("bash", ["-c", commands[1]!], {
      cwd: root,
      detached: true, // its own process group: npm, sh and node stop together
      env: { ...process.env, PORT: String(port), HARMONT_HOST: "127.0.0.1", HARMONT_DATABASE_URL: `sqlite:${join(scratch, "harmont.db")}`, HARMONT_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout!.on("data", (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr!.on("data", (chunk: Buffer) => (serverOutput += chunk.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`npm start ended (${server.exitCode}):\n${serverOutput}`);
      const ready = await fetch(`http://127.0.0.1:${port}/api/v0/meta`).then((response) => response.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`npm start did not answer within 30 s:\n${serverOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // The rest, in one bash session so that an `export` reaches the commands after it; each
    // command's exit status and output are marked off in the transcript.
    const rest = commands.slice(2);
    const marker = (index: number) => `@@quick-start-command-${index}@@`;
    const script = ["exec 2>&1", ...rest.flatMap((command, index) => [command.replaceAll(documentedUrl, url), `printf '\\n${marker(index)} %s\\n' "$?"`])].join("\n");
    const { HARMONT_TOKEN: _ignored, ...environment } = process.env;
    const shell = spawnSync("bash", ["-c", script], {
      cwd: root,
      env: { ...environment, HARMONT_API_URL: url, XDG_CONFIG_HOME: join(scratch, "config"), HARMONT_KEYCHAIN: "off", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    if (shell.error) throw shell.error;
    let transcript = shell.stdout;
    ran = rest.map((command, index) => {
      const match = new RegExp(`\\n${marker(index)} (\\d+)\\n`).exec(transcript);
      if (!match) return { command, status: -1, output: transcript };
      const output = transcript.slice(0, match.index);
      transcript = transcript.slice(match.index + match[0].length);
      return { command, status: Number(match[1]), output };
    });
  }, 120_000);

  afterAll(async () => {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once("exit", resolve));
      process.kill(-server.pid, "SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
      if (!stopped) process.kill(-server.pid, "SIGKILL");
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const find = (prefix: string) => {
    const found = ran.find((entry) => entry.command.startsWith(prefix));
    expect(found, `the page has no command starting with ${prefix}`).toBeDefined();
    return found!;
  };

  it("talks to the server the page starts (http://localhost:8080 in every command)", () => {
    expect(commands.slice(2).filter((command) => command.includes(documentedUrl)).length).toBeGreaterThanOrEqual(3);
    expect(commands.slice(2).join("\n")).not.toMatch(/localhost:(?!8080\b)\d+/);
  });

  it("every command succeeds", () => {
    expect(ran.length).toBe(commands.length - 2);
    for (const { command, status, output } of ran) expect(status, `${command}\n${output}`).toBe(0);
  });

  it("the server answers its metadata", () => {
    expect(() => JSON.parse(find("curl -s http://localhost:8080/api/v0/meta").output)).not.toThrow();
  });

  it("signing up sets HARMONT_TOKEN, which the API and the CLI then accept", () => {
    expect(find("export HARMONT_TOKEN=").output).toBe("");
    const user = JSON.parse(find("curl -s http://localhost:8080/api/v0/user").output) as { email: string };
    expect(user.email).toBe("ada@example.com");
    expect(find("npx harmont status").output).toContain("ada@example.com");
  });

  it("the example script runs on this Node and prints the user and their session", () => {
    const { output } = find("node docs/examples/quick-start.mjs");
    expect(output).toContain("Signed in as ada@example.com");
    expect(output).toMatch(/^\* web session ses_\S+, expires /m);
  });
});
