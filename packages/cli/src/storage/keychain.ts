/**
 * The operating system's keychain (macOS Keychain, Windows Credential Manager, the Secret Service
 * on Linux) through `@napi-rs/keyring`.
 *
 * On Linux only the Secret Service is used, and only when a D-Bus session bus is announced: the
 * kernel's session keyring would lose the token at the next reboot. Every call has a time limit,
 * since a locked or absent keychain can block instead of failing.
 */

/** A place to keep secrets by account name. */
export interface Keychain {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** Resolves whether something was deleted. */
  delete(account: string): Promise<boolean>;
}

/** Use this keychain, or skip it for the reason given (shown to the person in one line). */
export type KeychainChoice = { use: Keychain } | { skip: string };

export interface OsKeychainOptions {
  /** The keychain's service name. Default `"harmont"`. */
  service?: string;
  /** Each call's time limit. Default 3 s. */
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
}

export class KeychainTimeoutError extends Error {
  override name = "KeychainTimeoutError";
}

/** Runs a keychain call with a time limit, passing the signal on and not trusting it alone. */
export async function withTimeout<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new KeychainTimeoutError(`the keychain did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([run(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The OS keychain, or the reason it is skipped here: no D-Bus session bus on Linux (so no Secret
 * Service), or an unsupported platform.
 */
export function osKeychain(options: OsKeychainOptions = {}): KeychainChoice {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const service = options.service ?? "harmont";
  const timeoutMs = options.timeoutMs ?? 3000;
  if (platform === "linux" || platform === "freebsd") {
    if (!env.DBUS_SESSION_BUS_ADDRESS) return { skip: "no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)" };
  } else if (platform !== "darwin" && platform !== "win32") {
    return { skip: `no supported keychain on ${platform}` };
  }
  const entryOptions = platform === "linux" ? { linux: { store: "secret-service" as const } } : undefined;
  const entry = async (account: string) => {
    const { AsyncEntry } = await import("@napi-rs/keyring");
    return new AsyncEntry(service, account, entryOptions);
  };
  return {
    use: {
      get: (account) => withTimeout(timeoutMs, async (signal) => (await entry(account)).getPassword(signal)),
      set: (account, secret) => withTimeout(timeoutMs, async (signal) => (await entry(account)).setPassword(secret, signal)),
      delete: (account) => withTimeout(timeoutMs, async (signal) => (await entry(account)).deleteCredential(signal)),
    },
  };
}
