/**
 * Opening the login page in a browser, and knowing when that failed: a launcher that cannot be
 * started, or one that exits with a non-zero code (xdg-open with no browser configured exits 3),
 * is a failure the login answers by offering a paste code instead.
 */
import { spawn, type ChildProcess } from "node:child_process";

export type OpenResult = { ok: true } | { ok: false; reason: string };

/** Opens a URL in a browser and says whether that worked. */
export type BrowserOpener = (url: string) => Promise<OpenResult>;

export interface OpenerOptions {
  /**
   * How long to wait for the launcher to exit before taking "still running" as success (some
   * launchers are the browser itself and only exit when it closes). Default 5 s.
   */
  graceMs?: number;
}

/** Splits a command line the way a shell would for simple cases: spaces, and '…' or "…" quoting. */
export function splitCommandLine(command: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: '"' | "'" | null = null;
  let started = false;
  for (let index = 0; index < command.length; index++) {
    const char = command[index]!;
    if (quote) {
      if (char === quote) quote = null;
      else if (char === "\\" && quote === '"' && index + 1 < command.length) current += command[++index];
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(current);
      current = "";
      started = false;
    } else if (char === "\\" && index + 1 < command.length) {
      current += command[++index];
      started = true;
    } else {
      current += char;
      started = true;
    }
  }
  if (started) words.push(current);
  return words;
}

/** Waits for a launched process to fail, exit, or keep running past the grace period. */
function watchLauncher(child: ChildProcess, name: string, graceMs: number): Promise<OpenResult> {
  return new Promise((resolve) => {
    const settle = (result: OpenResult) => {
      clearTimeout(timer);
      child.removeListener("error", onError);
      child.removeListener("exit", onExit);
      child.unref();
      resolve(result);
    };
    const onError = (error: NodeJS.ErrnoException) => settle({ ok: false, reason: `could not run ${name}: ${error.code ?? error.message}` });
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (code === 0) settle({ ok: true });
      else settle({ ok: false, reason: signal ? `${name} was stopped by ${signal}` : `${name} exited with code ${code}` });
    };
    const timer = setTimeout(() => settle({ ok: true }), graceMs);
    timer.unref();
    child.once("error", onError);
    child.once("exit", onExit);
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
  });
}

/**
 * An opener that runs a command of your choosing with the URL as its last argument, for example
 * `"firefox --new-window"`. Quoting with '…' or "…" keeps spaces in one argument.
 */
export function commandOpener(command: string, options: OpenerOptions = {}): BrowserOpener {
  const [program, ...args] = splitCommandLine(command);
  return async (url) => {
    if (!program) return { ok: false, reason: "the browser command is empty" };
    let child: ChildProcess;
    try {
      child = spawn(program, [...args, url], { stdio: "ignore", windowsHide: true });
    } catch (error) {
      return { ok: false, reason: `could not run ${program}: ${(error as Error).message}` };
    }
    return watchLauncher(child, program, options.graceMs ?? 5000);
  };
}

/** An opener that uses the system's way to open a URL (`open`, `xdg-open`, `start`), through the `open` package. */
export function systemOpener(options: OpenerOptions = {}): BrowserOpener {
  return async (url) => {
    let child: ChildProcess;
    try {
      const { default: open } = await import("open");
      child = await open(url, { wait: false });
    } catch (error) {
      return { ok: false, reason: `could not start a browser: ${(error as Error).message}` };
    }
    return watchLauncher(child, "the browser launcher", options.graceMs ?? 5000);
  };
}
