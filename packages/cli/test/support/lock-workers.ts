/**
 * Child processes for the tests of the credentials file's lock: `node` running
 * ./lock-worker.mjs (see there for the jobs) on the code in src/ (not a build that may be old),
 * each killed after 20 s and, by `useLockWorkers()`, at the end of every test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, afterEach, beforeAll } from "vitest";

const loader = fileURLToPath(new URL("./typescript-loader.mjs", import.meta.url));
const workerScript = fileURLToPath(new URL("./lock-worker.mjs", import.meta.url));
const lockSource = fileURLToPath(new URL("../../src/storage/file-lock.ts", import.meta.url));
/** The store's sources, imported through the TypeScript loader (it imports other modules of src/). */
const storeModule = new URL("../../src/storage/credential-store.ts", import.meta.url).href;

/**
 * file-lock.ts as JavaScript, transpiled once per test file: it imports only node: modules, so
 * it runs from anywhere, and workers that need only the lock start without loading TypeScript.
 */
let lockModule: string | null = null;
let compiledDirectory: string | null = null;

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface LockWorker {
  child: ChildProcess;
  /** Resolves once the worker has printed this line; rejects if it exits first. */
  line(text: string): Promise<void>;
  exited: Promise<WorkerExit>;
}

const running = new Set<ChildProcess>();

/** Prepares the workers' modules, and kills the workers a test left running after each test. */
export function useLockWorkers(): void {
  beforeAll(() => {
    compiledDirectory = mkdtempSync(join(tmpdir(), "harmont-lock-module-"));
    const { outputText } = ts.transpileModule(readFileSync(lockSource, "utf8"), {
      fileName: lockSource,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    writeFileSync(join(compiledDirectory, "file-lock.mjs"), outputText);
    lockModule = pathToFileURL(join(compiledDirectory, "file-lock.mjs")).href;
  });
  afterEach(() => {
    for (const child of running) child.kill("SIGKILL");
    running.clear();
  });
  afterAll(() => {
    if (compiledDirectory) rmSync(compiledDirectory, { recursive: true, force: true });
  });
}

/** Starts a worker on `job`; jobs of kind "save" run the store's TypeScript through the loader. */
export function startLockWorker(job: Record<string, unknown>): LockWorker {
  if (!lockModule) throw new Error("call useLockWorkers() in the test file first");
  const loaderFlags = job.kind === "save" ? ["--import", loader] : [];
  const child = spawn(process.execPath, [...loaderFlags, workerScript, JSON.stringify({ lockModule, storeModule, ...job })], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  const limit = setTimeout(() => child.kill("SIGKILL"), 20_000);
  let stdout = "";
  let stderr = "";
  const printed = (text: string) => stdout.split("\n").includes(text);
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters) if (printed(waiter.text)) waiter.resolve();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<WorkerExit>((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(limit);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const line = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (printed(text)) return resolve();
      waiters.push({ text, resolve });
      void exited.then((exit) => reject(new Error(`the worker exited (${exit.code ?? exit.signal}) before printing "${text}": ${exit.stderr}`)));
    });
  return { child, line, exited };
}

/** Leaves a lock on each path, as a process killed (SIGKILL) while holding them does. */
export async function leaveLocksOfKilledProcess(paths: string[]): Promise<void> {
  const exit = await startLockWorker({ kind: "die-holding", paths }).exited;
  if (exit.signal !== "SIGKILL") throw new Error(`the worker was to die holding the locks, but exited ${exit.code}: ${exit.stderr}`);
}

/** Makes a lock, and everything in it, look untouched for a minute. */
export function backdateLock(lockPath: string): void {
  const old = new Date(Date.now() - 60_000);
  if (lstatSync(lockPath).isDirectory()) for (const entry of readdirSync(lockPath)) backdateLock(join(lockPath, entry));
  utimesSync(lockPath, old, old);
}
