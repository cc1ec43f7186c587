/**
 * Where a CLI keeps its session token: an environment variable overrides everything (CI); else
 * the OS keychain; else a file `credentials.json` under `$XDG_CONFIG_HOME/<app>/` (default
 * `~/.config/<app>/`), mode 0600, written atomically under a lock that other processes respect.
 *
 * Tokens are kept per profile and API URL, so one person can be logged in to several servers or
 * as several accounts. The file also records, per profile, the API URL last logged in to, and
 * which tokens live in the keychain (the file then holds no secret for them); per token, when it
 * was saved and the session's expiry as the server last reported it, so that a token the server
 * refuses can be told apart as expired or revoked.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { FileLockError, withFileLock, type FileLockOptions } from "./file-lock.js";
import { osKeychain, withTimeout, type Keychain, type KeychainChoice } from "./keychain.js";

/** Which profile and server a token belongs to. */
export interface CredentialKey {
  profile: string;
  /** A normalized API URL (see `normalizeApiUrl`). */
  apiUrl: string;
}

export type TokenSource = "env" | "keychain" | "file";

export interface LoadedCredential {
  token: string;
  source: TokenSource;
  /** The variable's name, the keychain service, or the file's path. */
  location: string;
  /**
   * The session's expiry (ISO 8601) as the server last reported it to this CLI; `null` when none
   * was recorded, and always for a token from the environment. Idle time only moves the real
   * expiry later, so a session refused before this moment was ended, not expired.
   */
  expiresAt: string | null;
  /** When the token was stored (ISO 8601); `null` for a token from the environment. */
  savedAt: string | null;
}

export interface SaveOptions {
  /** The new session's expiry (ISO 8601), when the server has said it. */
  expiresAt?: string | null;
}

export interface SaveResult {
  storage: "keychain" | "file";
  /** The keychain service, or the file's path. */
  location: string;
  /** Why the keychain was not used, in one line; `null` when it was. */
  keychainSkipped: string | null;
}

export interface RemoveResult {
  /** Whether a stored token was found and deleted. */
  removed: boolean;
  /** Set when the keychain entry could not be deleted (the file entry is gone anyway). */
  keychainError: string | null;
}

export interface CredentialStoreOptions {
  /** Names the config directory and the keychain service. Default `"harmont"`. */
  appName?: string;
  /** The directory of `credentials.json`. Default `$XDG_CONFIG_HOME/<app>` or `~/.config/<app>`. */
  configDirectory?: string;
  /** The environment to read (`XDG_CONFIG_HOME`, the token variable, D-Bus). Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The variable whose token overrides the stored ones; `null` for none. Default `"HARMONT_TOKEN"`. */
  tokenVariable?: string | null;
  /** The keychain to use, or why not. Default: the OS keychain where one is reachable. */
  keychain?: KeychainChoice;
  /** Each keychain call's time limit. Default 3 s. */
  keychainTimeoutMs?: number;
}

/** A stored file could not be read or a keychain entry could not be fetched. */
export class CredentialStoreError extends Error {
  override name = "CredentialStoreError";
}

interface StoredToken {
  storage: "keychain" | "file";
  token?: string;
  saved_at: string;
  /** The session's expiry as last reported by the server (older files have none). */
  expires_at?: string;
}

interface ProfileRecord {
  /** The API URL this profile last logged in to. */
  api_url?: string;
  tokens: Record<string, StoredToken>;
}

interface CredentialsFile {
  version: 1;
  profiles: Record<string, ProfileRecord>;
}

/** The directory a tool's configuration lives in, following the XDG base directory convention. */
export function configDirectoryFor(appName: string, env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // The XDG spec says a relative XDG_CONFIG_HOME is to be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME?.trim() || homedir(), ".config");
  return join(base, appName);
}

/** The keychain account name of a token: one per profile and API URL. */
export function keychainAccount(key: CredentialKey): string {
  return `${key.profile} ${key.apiUrl}`;
}

/**
 * Keeps session tokens for a CLI. Create one with {@link createCredentialStore}.
 */
export class CredentialStore {
  readonly filePath: string;
  readonly service: string;
  private readonly env: Record<string, string | undefined>;
  private readonly tokenVariable: string | null;
  private readonly keychain: KeychainChoice;
  private readonly keychainTimeoutMs: number;

  constructor(options: CredentialStoreOptions = {}) {
    const appName = options.appName ?? "harmont";
    this.env = options.env ?? process.env;
    this.service = appName;
    this.filePath = join(options.configDirectory ?? configDirectoryFor(appName, this.env), "credentials.json");
    this.tokenVariable = options.tokenVariable === undefined ? "HARMONT_TOKEN" : options.tokenVariable;
    this.keychainTimeoutMs = options.keychainTimeoutMs ?? 3000;
    this.keychain = options.keychain ?? osKeychain({ service: appName, env: this.env, timeoutMs: this.keychainTimeoutMs });
  }

  /** The token from the environment variable, when it is set. */
  environmentToken(): LoadedCredential | null {
    if (!this.tokenVariable) return null;
    const token = this.env[this.tokenVariable]?.trim();
    return token ? { token, source: "env", location: this.tokenVariable, expiresAt: null, savedAt: null } : null;
  }

  /**
   * The token to use for `key`: the environment variable's when set, else the stored one.
   * @throws CredentialStoreError when the file is unreadable or the keychain does not answer.
   */
  async load(key: CredentialKey): Promise<LoadedCredential | null> {
    return this.environmentToken() ?? (await this.loadStored(key));
  }

  /**
   * The stored token for `key`, ignoring the environment.
   * @throws CredentialStoreError when the file is unreadable or the keychain does not answer.
   */
  async loadStored(key: CredentialKey): Promise<LoadedCredential | null> {
    const file = await this.readFile();
    const entry = file.profiles[key.profile]?.tokens[key.apiUrl];
    if (!entry) return null;
    const recorded = { expiresAt: typeof entry.expires_at === "string" ? entry.expires_at : null, savedAt: entry.saved_at ?? null };
    if (entry.storage === "file") {
      return entry.token ? { token: entry.token, source: "file", location: this.filePath, ...recorded } : null;
    }
    if ("skip" in this.keychain) {
      throw new CredentialStoreError(`the token is in the keychain, which cannot be used here: ${this.keychain.skip}`);
    }
    let token: string | null;
    try {
      token = await this.keychainCall(this.keychain.use, (keychain) => keychain.get(keychainAccount(key)));
    } catch (error) {
      throw new CredentialStoreError(`could not read the token from the keychain: ${(error as Error).message}`);
    }
    return token ? { token, source: "keychain", location: this.service, ...recorded } : null;
  }

  /**
   * Stores a token for `key`: in the keychain when it works (proved by reading it back), else in
   * the file. Also remembers `key.apiUrl` as the profile's server, and `options.expiresAt`.
   * @throws CredentialStoreError when the file is unreadable, or stays locked by another process
   *   (which is waited for, 15 s at most; the lock of one that died is broken after 10 s).
   */
  async save(key: CredentialKey, token: string, options: SaveOptions = {}): Promise<SaveResult> {
    await this.readFile(); // refuse a file this version does not understand before touching the keychain
    let keychainSkipped: string | null;
    if ("use" in this.keychain) {
      keychainSkipped = await this.trySaveInKeychain(this.keychain.use, key, token);
    } else {
      keychainSkipped = this.keychain.skip;
    }
    await this.changeFile((file) => {
      const profile = (file.profiles[key.profile] ??= { tokens: {} });
      profile.api_url = key.apiUrl;
      const savedAt = new Date().toISOString();
      const expiry = options.expiresAt ? { expires_at: options.expiresAt } : {};
      profile.tokens[key.apiUrl] =
        keychainSkipped === null ? { storage: "keychain", saved_at: savedAt, ...expiry } : { storage: "file", token, saved_at: savedAt, ...expiry };
    });
    return keychainSkipped === null
      ? { storage: "keychain", location: this.service, keychainSkipped: null }
      : { storage: "file", location: this.filePath, keychainSkipped };
  }

  /**
   * Deletes the stored token for `key` (the environment variable is not touched).
   * @throws CredentialStoreError when the file is unreadable or stays locked, as for `save`.
   */
  async remove(key: CredentialKey): Promise<RemoveResult> {
    const file = await this.readFile();
    const profile = file.profiles[key.profile];
    const entry = profile?.tokens[key.apiUrl];
    if (!profile || !entry) return { removed: false, keychainError: null };
    let keychainError: string | null = null;
    if (entry.storage === "keychain") {
      if ("use" in this.keychain) {
        try {
          await this.keychainCall(this.keychain.use, (keychain) => keychain.delete(keychainAccount(key)));
        } catch (error) {
          keychainError = (error as Error).message;
        }
      } else {
        keychainError = this.keychain.skip;
      }
    }
    // The profile keeps its API URL, so `status` after `logout` still names the same server.
    await this.changeFile((current) => {
      delete current.profiles[key.profile]?.tokens[key.apiUrl];
    });
    return { removed: true, keychainError };
  }

  /**
   * Records the session's expiry as the server just reported it for `credential` (as loaded for
   * `key`). Nothing changes when another login has replaced that token meanwhile, or for a token
   * from the environment. Waits at most a second for the file's lock: the record is a help for
   * later messages, not worth holding a command up.
   * @throws CredentialStoreError when the file is unreadable or stays locked.
   */
  async recordExpiry(key: CredentialKey, credential: LoadedCredential, expiresAt: string): Promise<void> {
    if (credential.source === "env" || credential.expiresAt === expiresAt) return;
    await this.changeFile(
      (file) => {
        const entry = file.profiles[key.profile]?.tokens[key.apiUrl];
        if (!entry || entry.storage !== credential.source || entry.saved_at !== credential.savedAt) return false;
        if (entry.storage === "file" && entry.token !== credential.token) return false;
        entry.expires_at = expiresAt;
        return true;
      },
      { waitMs: 1000 },
    );
  }

  /** The API URL the profile last logged in to, if any. */
  async rememberedApiUrl(profile: string): Promise<string | null> {
    return (await this.readFile()).profiles[profile]?.api_url ?? null;
  }

  private async trySaveInKeychain(keychain: Keychain, key: CredentialKey, token: string): Promise<string | null> {
    const account = keychainAccount(key);
    try {
      await this.keychainCall(keychain, (k) => k.set(account, token));
      // Some keychains accept a write and keep nothing (a locked collection, a stub backend).
      const readBack = await this.keychainCall(keychain, (k) => k.get(account));
      if (readBack !== token) return "the keychain accepted the token but did not give it back";
      return null;
    } catch (error) {
      return `the keychain failed: ${(error as Error).message.split("\n")[0]}`;
    }
  }

  private keychainCall<T>(keychain: Keychain, run: (keychain: Keychain) => Promise<T>): Promise<T> {
    return withTimeout(this.keychainTimeoutMs, () => run(keychain));
  }

  private async readFile(): Promise<CredentialsFile> {
    let text: string;
    try {
      text = await readFile(this.filePath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, profiles: {} };
      throw new CredentialStoreError(`could not read ${this.filePath}: ${(error as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as Partial<CredentialsFile>;
      if (parsed.version !== 1 || typeof parsed.profiles !== "object" || parsed.profiles === null) throw new Error("unknown format");
      return parsed as CredentialsFile;
    } catch (error) {
      throw new CredentialStoreError(`${this.filePath} is not a credentials file this version understands (${(error as Error).message}): move it away and log in again`);
    }
  }

  /**
   * Reads, changes and writes the file while holding its lock, so concurrent logins keep each
   * other's tokens. A change that returns `false` changed nothing: the file is not rewritten.
   * @throws CredentialStoreError when another process holds the lock for too long, or broke it.
   */
  private async changeFile(change: (file: CredentialsFile) => void | boolean, lockOptions: FileLockOptions = {}): Promise<void> {
    try {
      await withFileLock(
        this.filePath,
        async () => {
          const file = await this.readFile();
          if (change(file) === false) return;
          await this.writeFile(file);
        },
        lockOptions,
      );
    } catch (error) {
      if (error instanceof FileLockError) throw new CredentialStoreError(error.message, { cause: error });
      throw error;
    }
  }

  private async writeFile(file: CredentialsFile): Promise<void> {
    await writeFileAtomic(this.filePath, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  }
}

/** A credential store; see {@link CredentialStoreOptions} for the defaults. */
export function createCredentialStore(options: CredentialStoreOptions = {}): CredentialStore {
  return new CredentialStore(options);
}
