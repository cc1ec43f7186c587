/**
 * harmont-server as an operator runs it: --help, a clear refusal of bad settings, a start on
 * the embedded database, and a graceful stop on SIGTERM that lets in-flight requests finish.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findFreePort } from "../src/test-support/ports.js";

const main = new URL("../dist/main.js", import.meta.url).pathname;


async function waitForServer(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/v0/meta`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("server did not start");
}

describe("harmont-server process", () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it("prints every setting with --help and exits 0, through the installed command too", () => {
    const installed = new URL("../../../node_modules/.bin/harmont-server", import.meta.url).pathname;
    for (const command of [[process.execPath, main], [installed]]) {
      const result = spawnSync(command[0]!, [...command.slice(1), "--help"], { encoding: "utf8" });
      expect(result.status).toBe(0);
      for (const name of ["PORT", "HARMONT_DATABASE_URL", "HARMONT_PUBLIC_URL", "HARMONT_TRUST_PROXY", "HARMONT_HANDOFF_TTL"]) {
        expect(result.stdout).toContain(name);
      }
    }
  });

  it("refuses a bad setting with a message naming it and exit code 2", () => {
    const result = spawnSync(process.execPath, [main], { encoding: "utf8", env: { ...process.env, PORT: "not-a-port" } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("PORT must be a whole number");
  });

  /** The server in a fresh folder with its default database, as `npx harmont-server` starts it there; its output collected. */
  async function startInFreshFolder(env: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), "harmont-process-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await findFreePort();
    const child = spawn(process.execPath, [main], {
      cwd: dir,
      env: { ...process.env, PORT: String(port), HARMONT_HOST: "127.0.0.1", HARMONT_DATABASE_URL: "", HARMONT_LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(() => child.kill("SIGKILL"));
    const output = { stdout: "", stderr: "" };
    child.stdout!.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitForServer(url, child);
    return { dir, child, url, output };
  }

  it("starts on a SQLite file, tells how to sign in, and stops gracefully on SIGTERM", async () => {
    const { dir, child, url, output } = await startInFreshFolder();
    const stderr = output.stderr;
    expect(existsSync(join(dir, ".harmont", "harmont.db"))).toBe(true);
    expect(stderr).toContain(`Data: ${join(realpathSync(dir), ".harmont", "harmont.db")}`);
    expect(stderr).toContain("/api/v0/auth/signup");
    expect(stderr).toMatch(/http:\/\/localhost:\d+\/sign-up/);
    // The same process serves the web app.
    const page = await fetch(`${url}/sign-up`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<div id="root"');

    // A request in flight when SIGTERM arrives still gets its answer.
    const signup = fetch(`${url}/api/v0/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "graceful@example.com", password: "correct horse battery" }),
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGTERM");
    const exitCode = await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    expect((await signup).status).toBe(201);
    expect(exitCode).toBe(0);
    const lines = output.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(["listening", "shutting down", "stopped"]));
  });

  it("writes the access log in batches: every line whole, and a quiet server's last line out without more traffic", async () => {
    const { url, output } = await startInFreshFolder({ HARMONT_ACCESS_LOG: "on" });
    const accessLines = () =>
      output.stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string; route?: string; request_id?: string })
        .filter((line) => line.msg === "request" && line.route === "/api/v0/health");

    // Many lines at once fill the buffer more than once: each arrives whole, none twice.
    const answers = await Promise.all(Array.from({ length: 200 }, () => fetch(`${url}/api/v0/health`)));
    const ids = answers.map((answer) => answer.headers.get("x-request-id"));
    // Then the server goes quiet with less than a buffer's worth waiting: it is written anyway.
    const last = await fetch(`${url}/api/v0/health`);
    const deadline = Date.now() + 5_000;
    while (accessLines().length < 201 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const written = accessLines().map((line) => line.request_id);
    expect(written).toHaveLength(201);
    expect(new Set(written)).toEqual(new Set([...ids, last.headers.get("x-request-id")]));
  });
});
