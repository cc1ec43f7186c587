/**
 * The real `harmont` binary (packages/cli/dist/main.js), run as a person runs it: its own
 * configuration directory, the API URL in HARMONT_API_URL, no keychain, and HARMONT_BROWSER set to
 * an opener that gives the URL to the test's browser.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const harmontBinary = fileURLToPath(new URL("../../../cli/dist/main.js", import.meta.url));
const opener = fileURLToPath(new URL("./open-in-test-browser.mjs", import.meta.url));

export function harmontBinaryExists(): boolean {
  return existsSync(harmontBinary);
}

export interface CliRun {
  child: ChildProcess;
  /** stdout and stderr as they arrived, interleaved. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** A browser the CLI "opens": the URLs arrive here, in order. */
export interface BrowserBridge {
  url: string;
  nextUrl(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startBrowserBridge(): Promise<BrowserBridge> {
  const queue: string[] = [];
  const waiters: Array<(url: string) => void> = [];
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const waiter = waiters.shift();
      if (waiter) waiter(body);
      else queue.push(body);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/open`,
    nextUrl(timeoutMs = 10_000) {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the CLI did not open a browser")), timeoutMs);
        waiters.push((url) => {
          clearTimeout(timer);
          resolve(url);
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CliEnvironment {
  /** Runs `harmont` with these arguments (and optional stdin piped in by the test). */
  run(args: string[], options?: { stdin?: "pipe" | "ignore" }): CliRun;
  /** Runs `harmont` to the end. */
  runToEnd(args: string[]): Promise<{ code: number | null; output: string }>;
  cleanup(): void;
}

export function cliEnvironment(apiUrl: string, bridge: BrowserBridge): CliEnvironment {
  const home = mkdtempSync(join(tmpdir(), "harmont-cli-home-"));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    HARMONT_API_URL: apiUrl,
    HARMONT_KEYCHAIN: "off",
    HARMONT_BROWSER: `${JSON.stringify(process.execPath)} ${JSON.stringify(opener)}`,
    HARMONT_TEST_BROWSER_BRIDGE: bridge.url,
    NO_COLOR: "1",
  };
  const children: ChildProcess[] = [];

  const run = (args: string[], options: { stdin?: "pipe" | "ignore" } = {}): CliRun => {
    const child = spawn(process.execPath, [harmontBinary, ...args], { env, stdio: [options.stdin ?? "ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    const listeners = new Set<() => void>();
    const append = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      for (const listener of listeners) listener();
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    return {
      child,
      output: () => output,
      exited,
      waitForOutput(pattern, timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
          const check = () => {
            const match = pattern.exec(output);
            if (!match) return;
            done();
            resolve(match);
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`harmont never printed ${pattern}; it printed:\n${output}`));
          }, timeoutMs);
          const onExit = () => {
            // Let the last output arrive before giving up.
            setImmediate(() => {
              check();
              if (listeners.has(check)) {
                done();
                reject(new Error(`harmont exited without printing ${pattern}; it printed:\n${output}`));
              }
            });
          };
          const done = () => {
            clearTimeout(timer);
            listeners.delete(check);
            child.removeListener("close", onExit);
          };
          listeners.add(check);
          child.once("close", onExit);
          check();
        });
      },
    };
  };

  return {
    run,
    async runToEnd(args) {
      const running = run(args);
      const code = await running.exited;
      return { code, output: running.output() };
    },
    cleanup() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(home, { recursive: true, force: true });
    },
  };
}
