import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-file.js";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "harmont-atomic-"));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("creates missing directories 0700 and the file 0600, whatever the umask", async () => {
    const previous = process.umask(0);
    try {
      const path = join(directory, "a", "b", "credentials.json");
      await writeFileAtomic(path, "secret");
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(directory, "a", "b")).mode & 0o777).toBe(0o700);
      expect(readFileSync(path, "utf8")).toBe("secret");
    } finally {
      process.umask(previous);
    }
  });

  it("replaces the file instead of rewriting it in place: a reader of the old file still sees it whole", async () => {
    const path = join(directory, "credentials.json");
    await writeFileAtomic(path, "old content");
    const before = statSync(path).ino;
    const reader = openSync(path, "r");
    try {
      await writeFileAtomic(path, "new content, longer than the old");
      const buffer = Buffer.alloc(64);
      const read = readSync(reader, buffer, 0, 64, 0);
      expect(buffer.subarray(0, read).toString()).toBe("old content");
    } finally {
      closeSync(reader);
    }
    expect(statSync(path).ino).not.toBe(before);
    expect(readFileSync(path, "utf8")).toBe("new content, longer than the old");
  });

  it("tightens a file that was readable by others", async () => {
    const path = join(directory, "credentials.json");
    await writeFileAtomic(path, "x", { mode: 0o644 });
    expect(statSync(path).mode & 0o777).toBe(0o644);
    await writeFileAtomic(path, "y");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("leaves no temporary file behind, after success or failure", async () => {
    const path = join(directory, "credentials.json");
    for (let index = 0; index < 5; index++) await writeFileAtomic(path, `version ${index}`);
    expect(readdirSync(directory)).toEqual(["credentials.json"]);

    // A directory where the file should be: the rename fails, the temporary file is removed.
    const blocked = join(directory, "blocked");
    mkdirSync(blocked);
    mkdirSync(join(blocked, "child"));
    await expect(writeFileAtomic(blocked, "data")).rejects.toThrow();
    expect(readdirSync(directory).sort()).toEqual(["blocked", "credentials.json"]);
  });

  it("concurrent writers: the file always holds one complete version", async () => {
    const path = join(directory, "credentials.json");
    const versions = Array.from({ length: 20 }, (_unused, index) => JSON.stringify({ index, padding: "x".repeat(10_000 + index) }));
    await Promise.all(versions.map((content) => writeFileAtomic(path, content)));
    expect(versions).toContain(readFileSync(path, "utf8"));
    expect(readdirSync(directory)).toEqual(["credentials.json"]);
  });
});
