/**
 * The server's secret key (`HARMONT_SECRET_KEY`): 32 random bytes that never reach the database,
 * under which short codes are stored as HMACs (and, later, second-factor secrets sealed). In
 * production it must be set; in development, when unset, one is generated once into the data
 * directory (`secret.key`, mode 0600) and kept, so codes survive a restart.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const SECRET_KEY_BYTES = 32;

/** Reads a key written as base64url or base64; `null` when it does not hold 32 bytes. */
export function decodeSecretKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), "base64url");
  return key.byteLength === SECRET_KEY_BYTES ? key : null;
}

/**
 * Where development keeps its generated key: beside the SQLite file, or, on PostgreSQL, in
 * `.harmont/` under `directory` (where the command was run: see `invocationDirectory`).
 */
export function developmentKeyPath(databaseUrl: string, directory: string): string | null {
  if (databaseUrl.startsWith("sqlite:")) {
    const path = databaseUrl.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    return path === ":memory:" ? null : join(dirname(resolve(path)), "secret.key");
  }
  return resolve(directory, ".harmont", "secret.key");
}

/**
 * The development key: read from `path`, or made and written there (only if absent, so two
 * processes starting at once agree on one key). An in-memory database gets a key of its own.
 */
export function loadDevelopmentSecretKey(path: string | null): Buffer {
  if (path === null) return randomBytes(SECRET_KEY_BYTES);
  try {
    const existing = decodeSecretKey(readFileSync(path, "utf8"));
    if (existing) return existing;
    throw new Error(`${path} does not hold a ${SECRET_KEY_BYTES}-byte key; delete it to have a new one made`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fresh = randomBytes(SECRET_KEY_BYTES);
  try {
    writeFileSync(path, `${fresh.toString("base64url")}\n`, { flag: "wx", mode: 0o600 });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return loadDevelopmentSecretKey(path);
  }
}
