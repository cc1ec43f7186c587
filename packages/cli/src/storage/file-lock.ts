/**
 * A lock around a file that several processes read, change and write back (the credentials file,
 * when two profiles log in at once), with locks of crashed processes broken after a bounded time.
 *
 * The lock of `<path>` is a directory `<path>.lock` (0700) holding one file, `owner-<id>`
 * (0600, the holder's pid), whose mtime the holder refreshes while it holds the lock:
 *
 * - Taking it: build that directory under a private name, then rename it to `<path>.lock`. A
 *   rename onto a directory that is not empty fails, so exactly one process gets it.
 * - Breaking it, once nothing in it has changed for `staleMs`: rename `owner-<id>` to a name of
 *   one's own (`claimed-<id>`), then move the whole directory away. Only one process can rename a
 *   given entry, and the name `owner-<id>` exists only in the lock it was seen in: a process that
 *   judged an old lock stale can never break the fresh lock of the process that broke the old one
 *   first (a plain stat-then-remove can: that was the bug this replaces, and proper-lockfile has
 *   it too). Claiming refreshes the directory's mtime, so a claimed lock is not broken again
 *   unless its claimer dies before moving it away.
 * - Letting go: the same claim, on one's own entry. Finding it gone means the lock was broken
 *   while held (the process was stopped for longer than `staleMs`): that is reported, since
 *   another process may have written the file at the same time.
 *
 * A process that exits (`process.exit`, a second Ctrl-C) lets go of its locks on the way out; one
 * that is killed leaves them, and they go stale. Every wait ends after `waitMs` with an error.
 */
import { randomBytes } from "node:crypto";
import { renameSync, rmSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, unlink, utimes, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface FileLockOptions {
  /** How long to wait for another process to let go before failing. Default 15 s. */
  waitMs?: number;
  /** A lock nobody has refreshed for this long was left by a process that died; it is broken. Default 10 s. */
  staleMs?: number;
}

/**
 * The lock could not be taken in time (`lock_timeout`), or was broken by another process while
 * this one held it (`lock_lost`).
 */
export class FileLockError extends Error {
  override name = "FileLockError";
  constructor(
    readonly code: "lock_timeout" | "lock_lost",
    readonly lockPath: string,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_WAIT_MS = 15_000;
const DEFAULT_STALE_MS = 10_000;

/**
 * Runs `run` while holding the lock of `path` (`<path>.lock`), so that the read-change-write
 * cycles of several processes take turns instead of overwriting each other's change. The lock
 * is let go however `run` ends.
 * @throws FileLockError `lock_timeout` when another process holds the lock for longer than
 *   `waitMs`; `lock_lost` when `run` finished but the lock had been broken meanwhile.
 */
export async function withFileLock<T>(path: string, run: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const lock = await acquireLock(`${path}.lock`, staleMs, Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS));
  let result: T;
  try {
    result = await run();
  } catch (error) {
    // The error of `run` is the one to report; letting go is still attempted.
    await releaseLock(lock).catch(() => {});
    throw error;
  }
  await releaseLock(lock);
  return result;
}

interface HeldLock {
  lockPath: string;
  id: string;
  heartbeat: NodeJS.Timeout;
}

/** What to clean up synchronously if the process exits meanwhile: locks held, and locks being built. */
const held = new Set<HeldLock>();
const staged = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  process.on("exit", cleanUpOnExit);
  exitHookInstalled = true;
}

async function acquireLock(lockPath: string, staleMs: number, deadline: number): Promise<HeldLock> {
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  const id = randomBytes(12).toString("hex");
  const staging = join(dirname(lockPath), `.${basename(lockPath)}.${id}.new`);
  const entry = join(staging, `owner-${id}`);
  installExitHook();
  staged.add(staging);
  await mkdir(staging, { mode: 0o700 });
  try {
    await writeFile(entry, `${process.pid}\n`, { mode: 0o600, flag: "wx" });
    for (;;) {
      // Fresh when it lands, however long this process has waited.
      const now = new Date();
      await utimes(entry, now, now);
      let failure: NodeJS.ErrnoException;
      try {
        await rename(staging, lockPath);
        return holdLock(lockPath, id, staleMs);
      } catch (error) {
        if (!isOccupied(error)) throw error;
        failure = error as NodeJS.ErrnoException;
      }
      const found = await inspectLock(lockPath, staleMs);
      // Let go of, or broken, meanwhile: try again at once. (EPERM/EACCES with nothing there is
      // a permission problem, not a lock: that one waits, and is reported at the deadline.)
      const retryAtOnce =
        found.kind === "absent" ? failure.code !== "EPERM" && failure.code !== "EACCES" : found.stale && (await breakLock(lockPath, found, id));
      if (retryAtOnce && Date.now() < deadline) continue;
      if (Date.now() >= deadline) {
        if (found.kind === "absent") throw failure;
        const holder = found.kind === "directory" ? await readHolder(lockPath, found.entries) : null;
        throw new FileLockError(
          "lock_timeout",
          lockPath,
          `${lockPath} is held by another process${holder ? ` (pid ${holder})` : ""}; try again, or delete it if no other one is running`,
        );
      }
      await sleep(10 + Math.floor(Math.random() * 30));
    }
  } finally {
    // Gone already when the rename succeeded.
    await rm(staging, { recursive: true, force: true });
    staged.delete(staging);
  }
}

function holdLock(lockPath: string, id: string, staleMs: number): HeldLock {
  const entry = join(lockPath, `owner-${id}`);
  const heartbeat = setInterval(() => {
    const now = new Date();
    // Fails (and is ignored) once the lock is let go or broken: the release finds out which.
    utimes(entry, now, now).catch(() => {});
  }, Math.max(10, Math.floor(staleMs / 4)));
  heartbeat.unref();
  const lock = { lockPath, id, heartbeat };
  held.add(lock);
  return lock;
}

async function releaseLock(lock: HeldLock): Promise<void> {
  clearInterval(lock.heartbeat);
  held.delete(lock);
  try {
    await rename(join(lock.lockPath, `owner-${lock.id}`), join(lock.lockPath, `claimed-${lock.id}`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new FileLockError(
      "lock_lost",
      lock.lockPath,
      `${lock.lockPath} was taken over by another process while this one held it (stopped for too long?): the change may not have been kept`,
    );
  }
  await discardLock(lock.lockPath, lock.id);
}

function cleanUpOnExit(): void {
  for (const staging of staged) rmSync(staging, { recursive: true, force: true });
  staged.clear();
  for (const lock of held) {
    try {
      renameSync(join(lock.lockPath, `owner-${lock.id}`), join(lock.lockPath, `claimed-${lock.id}`));
      const graveyard = join(dirname(lock.lockPath), `.${basename(lock.lockPath)}.${lock.id}.old`);
      renameSync(lock.lockPath, graveyard);
      rmSync(graveyard, { recursive: true, force: true });
    } catch {
      // Broken by another process already, or left to go stale.
    }
  }
  held.clear();
}

/** Moves a lock this process has claimed out of the way, then deletes it. */
async function discardLock(lockPath: string, id: string): Promise<void> {
  const graveyard = join(dirname(lockPath), `.${basename(lockPath)}.${id}.old`);
  try {
    await rename(lockPath, graveyard);
  } catch (error) {
    ignoreCodes("ENOENT")(error); // moved away by another process that took this one for dead
    return;
  }
  if (!(await readdir(graveyard)).includes(`claimed-${id}`)) {
    // Only when this process stood still for longer than staleMs between claiming and moving:
    // what it moved is someone else's fresh lock. Put it back (a rename never replaces a lock
    // that is not empty); if that fails, its holder learns that it lost the lock when it lets go.
    await rename(graveyard, lockPath).catch(() => rm(graveyard, { recursive: true, force: true }));
    return;
  }
  await rm(graveyard, { recursive: true, force: true });
}

type FoundLock =
  | { kind: "absent" }
  /** A lock file of an earlier version of this code (which used `open(…, "wx")`). */
  | { kind: "file"; stale: boolean }
  | { kind: "directory"; stale: boolean; entries: string[] };

async function inspectLock(lockPath: string, staleMs: number): Promise<FoundLock> {
  try {
    const info = await lstat(lockPath);
    if (!info.isDirectory()) return { kind: "file", stale: Date.now() - info.mtimeMs > staleMs };
    const entries = await readdir(lockPath);
    // The newest change of anything in the lock: the holder's refresh, or a claim (which
    // renames an entry and so touches the directory).
    let newest = info.mtimeMs;
    for (const entry of entries) {
      const entryInfo = await lstat(join(lockPath, entry)).catch(() => null);
      if (entryInfo) newest = Math.max(newest, entryInfo.mtimeMs);
    }
    return { kind: "directory", stale: Date.now() - newest > staleMs, entries };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
    throw error;
  }
}

/**
 * Breaks a lock found stale. Resolves false when it cannot (the lock was not made by this code
 * and is left to the person, after the wait); true otherwise, also when someone else got there
 * first.
 */
async function breakLock(lockPath: string, found: Exclude<FoundLock, { kind: "absent" }>, id: string): Promise<boolean> {
  if (found.kind === "file") {
    // unlink never removes a directory, so this cannot break a lock of the current kind.
    return unlink(lockPath).then(
      () => true,
      (error: NodeJS.ErrnoException) => error.code === "ENOENT",
    );
  }
  if (found.entries.length === 0) {
    // Not something this code leaves (its locks are never empty); rmdir cannot remove one that is not.
    await rmdir(lockPath).catch(ignoreCodes("ENOENT", "ENOTEMPTY", "EEXIST"));
    return true;
  }
  if (found.entries.length > 1) return false;
  try {
    await rename(join(lockPath, found.entries[0]!), join(lockPath, `claimed-${id}`));
  } catch (error) {
    ignoreCodes("ENOENT")(error); // claimed, or let go, by another process meanwhile
    return true;
  }
  await discardLock(lockPath, id);
  return true;
}

async function readHolder(lockPath: string, entries: string[]): Promise<number | null> {
  const owner = entries.find((entry) => entry.startsWith("owner-"));
  if (!owner) return null;
  const text = await readFile(join(lockPath, owner), "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** Whether a rename onto the lock's path failed because something is there. */
function isOccupied(error: unknown): boolean {
  // ENOTEMPTY/EEXIST: a lock; ENOTDIR: an old lock file; EPERM/EACCES: Windows, for either.
  return ["ENOTEMPTY", "EEXIST", "ENOTDIR", "EPERM", "EACCES"].includes((error as NodeJS.ErrnoException).code ?? "");
}

function ignoreCodes(...codes: string[]): (error: unknown) => void {
  return (error) => {
    if (!codes.includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
  };
}
