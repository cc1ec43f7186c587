import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backdateLock, leaveLocksOfKilledProcess, startLockWorker, useLockWorkers } from "../../test/support/lock-workers.js";
import { FileLockError, withFileLock } from "./file-lock.js";

useLockWorkers();

let directory: string;
let path: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "harmont-lock-"));
  path = join(directory, "credentials.json");
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const lockCode = (promise: Promise<unknown>) =>
  promise.then(
    () => "no error",
    (error: unknown) => (error instanceof FileLockError ? error.code : String(error)),
  );

describe("withFileLock", () => {
  it("lets one holder in at a time, and leaves nothing behind", async () => {
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withFileLock(path, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 15));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(readdirSync(directory)).toEqual([]);
  });

  it("creates the directory 0700, and keeps the lock private (0700, its file 0600) whatever the umask", async () => {
    const previous = process.umask(0);
    try {
      const nested = join(directory, "config", "harmont", "credentials.json");
      await withFileLock(nested, async () => {
        expect(statSync(join(directory, "config", "harmont")).mode & 0o777).toBe(0o700);
        const lockPath = `${nested}.lock`;
        expect(statSync(lockPath).mode & 0o777).toBe(0o700);
        const [owner, ...others] = readdirSync(lockPath);
        expect(others).toEqual([]);
        expect(statSync(join(lockPath, owner!)).mode & 0o777).toBe(0o600);
        expect(readFileSync(join(lockPath, owner!), "utf8")).toBe(`${process.pid}\n`);
      });
    } finally {
      process.umask(previous);
    }
  });

  it("lets go when the work fails, and passes its error on", async () => {
    const failure = new Error("disk full");
    await expect(withFileLock(path, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(readdirSync(directory)).toEqual([]);
    expect(await withFileLock(path, async () => "next")).toBe("next");
  });

  it("says so (lock_lost) when another process broke the lock while it was held", async () => {
    const code = await lockCode(
      withFileLock(path, async () => {
        // As if this process had stopped for a minute: another one breaks the lock and uses it.
        backdateLock(`${path}.lock`);
        await withFileLock(path, async () => {});
      }),
    );
    expect(code).toBe("lock_lost");
    expect(readdirSync(directory)).toEqual([]);
  });

  it("breaks a stale lock file of the previous version, and waits for a fresh one", async () => {
    writeFileSync(`${path}.lock`, "12345");
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    expect(await withFileLock(path, async () => "ran")).toBe("ran");

    writeFileSync(`${path}.lock`, "12345");
    expect(await lockCode(withFileLock(path, async () => "ran", { waitMs: 200 }))).toBe("lock_timeout");
  });
});

describe("withFileLock across processes", () => {
  it("breaks the lock of a process killed while holding it, after staleMs, and goes on", async () => {
    await leaveLocksOfKilledProcess([path]);
    expect(existsSync(`${path}.lock`)).toBe(true);
    const started = Date.now();
    expect(await withFileLock(path, async () => "ran", { staleMs: 500, waitMs: 5000 })).toBe("ran");
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(3000);
    expect(readdirSync(directory)).toEqual([]);
  });

  it("a live holder keeps its lock past staleMs; a waiter gives up after waitMs with lock_timeout", async () => {
    const holder = startLockWorker({ kind: "hold", path, holdMs: 2000, staleMs: 400 });
    await holder.line("held");
    const started = Date.now();
    const error = await withFileLock(path, async () => "ran", { staleMs: 400, waitMs: 1200 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FileLockError);
    expect((error as FileLockError).code).toBe("lock_timeout");
    expect((error as FileLockError).message).toContain(`pid ${holder.child.pid}`);
    expect(Date.now() - started).toBeLessThan(2000);
    // Once it lets go, the lock is free at once.
    expect((await holder.exited).code).toBe(0);
    expect(await withFileLock(path, async () => "ran", { waitMs: 0 })).toBe("ran");
  });

  it("a process that exits while holding the lock (a second Ctrl-C) lets go of it", async () => {
    const exit = await startLockWorker({ kind: "exit-holding", path }).exited;
    expect(exit.code, exit.stderr).toBe(3);
    expect(readdirSync(directory)).toEqual([]);
  });

  it("regression: two processes breaking the same stale lock at once never both hold it", async () => {
    // Both find the lock of a killed process stale and break it at about the same moment: the
    // one that breaks it second must not break the fresh lock of the one that broke it first.
    // (The stat-then-remove lock this replaced let both in, in a few of these rounds each run.)
    const rounds = 41;
    const paths = Array.from({ length: rounds }, (_unused, round) => {
      mkdirSync(join(directory, `round-${round}`));
      writeFileSync(join(directory, `round-${round}`, "count"), "0");
      return join(directory, `round-${round}`, "credentials.json");
    });
    // The second process starts up to 400 µs earlier or later, in 20 µs steps, so that some
    // rounds hit the moment where its break lands just after the first one's.
    const workers = [0, 20].map((offsetStepMicros) => startLockWorker({ kind: "stale-race", directory, rounds, slotMs: 60, offsetStepMicros }));
    await Promise.all([leaveLocksOfKilledProcess(paths), ...workers.map((worker) => worker.line("ready"))]);
    for (const roundPath of paths) backdateLock(`${roundPath}.lock`);
    const start = Date.now() + 200;
    for (const worker of workers) worker.child.stdin!.end(`${start}\n`);
    const exits = await Promise.all(workers.map((worker) => worker.exited));
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);

    const overlaps = exits.reduce((sum, exit) => sum + (JSON.parse(exit.stdout.trim().split("\n").at(-1)!) as { overlaps: number }).overlaps, 0);
    const counts = paths.map((_unused, round) => Number(readFileSync(join(directory, `round-${round}`, "count"), "utf8")));
    expect({ overlaps, lostUpdates: counts.filter((count) => count !== 2).length }).toEqual({ overlaps: 0, lostUpdates: 0 });
    for (const round of paths.keys()) expect(readdirSync(join(directory, `round-${round}`)).sort()).toEqual(["count"]);
  });
});
