/**
 * Writing a file so that a reader sees the old content or the new, never half of either: write a
 * temporary file beside it (created with the final mode, so the secret is never readable by
 * others even for a moment), flush it, and rename it over the old one.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface AtomicWriteOptions {
  /** The file's mode. Default 0600 (owner read/write only). */
  mode?: number;
  /** The mode of directories created on the way. Default 0700. */
  directoryMode?: number;
}

/** Replaces `path` with `content` atomically. Leaves no temporary file behind, even when it fails. */
export async function writeFileAtomic(path: string, content: string, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: options.directoryMode ?? 0o700 });
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // "wx": never follow a planted file or symlink at the temporary name.
    const handle = await open(temporary, "wx", mode);
    try {
      await handle.writeFile(content, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have taken bits away; set exactly the mode asked for.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

/** Makes the rename itself durable where the platform allows it (not on Windows). */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only.
  }
}

export interface FileLockOptions {
  /** How long to wait for another process to let go. Default 10 s. */
  waitMs?: number;
  /** A lock older than this was left by a process that died; it is broken. Default 30 s. */
  staleMs?: number;
}

/**
 * Runs `run` while holding `<path>.lock`, so that read-change-write cycles of several processes
 * (two profiles logging in at once) take turns instead of overwriting each other's change.
 */
export async function withFileLock<T>(path: string, run: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lockPath = `${path}.lock`;
  const waitMs = options.waitMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const held = await stat(lockPath).catch(() => null);
    if (held && Date.now() - held.mtimeMs > staleMs) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lockPath} is held by another process; try again, or delete it if no other one is running`);
    await sleep(10 + Math.floor(Math.random() * 30));
  }
  try {
    return await run();
  } finally {
    await rm(lockPath, { force: true });
  }
}
