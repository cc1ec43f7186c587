/**
 * The operating system's keychain (macOS Keychain, Windows Credential Manager, the Secret Service
 * on Linux) through `@napi-rs/keyring`.
 *
 * On Linux only the Secret Service is used, and only when a D-Bus session bus is announced: the
 * kernel's session keyring would lose the token at the next reboot. Every call has a time limit,
 * since a locked or absent keychain can block instead of failing.
 */

import { connect } from "node:net";

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
  // Making an entry connects to D-Bus on the main thread, where no timer can interrupt it: a bus
  // that accepts the connection and never answers would hang the command for good. So the bus
  // is asked first, asynchronously and with the same time limit.
  const busAddress = platform === "linux" || platform === "freebsd" ? env.DBUS_SESSION_BUS_ADDRESS : undefined;
  let busAnswers: Promise<boolean> | null = null;
  const entry = async (account: string) => {
    if (busAddress) {
      busAnswers ??= sessionBusAnswers(busAddress, timeoutMs);
      if (!(await busAnswers)) throw new KeychainTimeoutError(`the D-Bus session bus did not answer within ${timeoutMs / 1000} s`);
    }
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

/** The socket path of a `unix:path=…` or `unix:abstract=…` bus address, or null for other transports. */
export function unixBusSocket(address: string): string | null {
  for (const candidate of address.split(";")) {
    if (!candidate.startsWith("unix:")) continue;
    for (const pair of candidate.slice("unix:".length).split(",")) {
      const [key, value] = pair.split("=", 2) as [string, string | undefined];
      if (!value) continue;
      const decoded = decodeURIComponent(value);
      if (key === "path") return decoded;
      if (key === "abstract") return `\0${decoded}`;
    }
  }
  return null;
}

/**
 * Whether the D-Bus session bus answers the first step of its handshake within `timeoutMs`.
 * Any answer counts (OK, REJECTED, ERROR): only silence means the keychain would hang.
 * Transports other than a Unix socket are not probed.
 */
export function sessionBusAnswers(address: string, timeoutMs: number): Promise<boolean> {
  const path = unixBusSocket(address);
  if (path === null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const socket = connect({ path });
    const finish = (answered: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answered);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    const uid = Buffer.from(String(process.getuid?.() ?? 0)).toString("hex");
    socket.once("connect", () => socket.write(`\0AUTH EXTERNAL ${uid}\r\n`));
    socket.once("data", (chunk: Buffer) => finish(/^(OK|REJECTED|ERROR|DATA)\b/.test(chunk.toString("latin1"))));
    socket.once("error", () => finish(false));
  });
}
