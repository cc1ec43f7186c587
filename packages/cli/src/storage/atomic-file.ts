/**
 * Writing a file so that a reader sees the old content or the new, never half of either: write a
 * temporary file beside it (created with the final mode, so the secret is never readable by
 * others even for a moment), flush it, and rename it over the old one.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

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
