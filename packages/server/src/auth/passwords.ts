/**
 * Password hashing: argon2id (m = 19 MiB, t = 2, p = 1, the OWASP baseline) on threads of its
 * own (`workers/password-hashing.js`), so hashing never blocks the event loop.
 *
 * Off the event loop is not enough on a small machine. Four hashes at once (libuv's default pool)
 * take every core, and the event loop, which answers every session check, waits for a core. So
 * at most `concurrency` hashes run at once (default: one core fewer than the machine has), and a
 * burst waits in a bounded queue; past it the caller gets `PasswordHashingBusyError` at once
 * rather than a slow answer. On Linux the hashing threads also run at a lower CPU priority than
 * the event loop: when sign-ins (or a password-guessing burst) and API calls compete for the same
 * cores, the API calls go first, and the sign-ins still get every cycle nobody else wants.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";

// Algorithm.Argon2id is a const enum; its value is 2.
const ARGON2ID = 2;
const options = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the same work as a real verification, for accounts that do not exist. */
  verifyDummy(password: string): Promise<void>;
  /** Stops the hashing threads; a task still running is refused. */
  close(): Promise<void>;
}

/** Too many password hashes are already running or waiting; try again in a moment. */
export class PasswordHashingBusyError extends Error {
  override name = "PasswordHashingBusyError";
  constructor() {
    super("password hashing is at capacity");
  }
}

export interface PasswordHasherOptions {
  /** Hashes running at once. Default: the machine's cores minus one, at least one. */
  concurrency?: number;
  /** Hashes allowed to wait for a slot; one more is refused. Default 32 per running slot. */
  maxWaiting?: number;
}

/** Runs at most `concurrency` tasks at once; up to `maxWaiting` more wait their turn in order. */
export class WorkLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new PasswordHashingBusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

type HashingTask = { kind: "hash"; password: string; options: typeof options } | { kind: "verify"; password: string; stored: string };

/** The same file from `src/auth` and `dist/auth`: it is plain JavaScript, outside both. */
const hashingThreadFile = new URL("../../workers/password-hashing.js", import.meta.url);

/**
 * The hashing threads: one task at a time each, started on first use and kept while idle (but
 * never keeping the process alive then). `WorkLimiter` bounds how many run, so this holds at most
 * `concurrency` of them. A thread that fails is replaced by a new one on the next task.
 */
class HashingThreads {
  private readonly idle: Worker[] = [];
  private readonly busy = new Set<Worker>();
  private closed = false;

  run<T>(task: HashingTask): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the password hasher is closed"));
    const worker = this.idle.pop() ?? new Worker(hashingThreadFile);
    this.busy.add(worker);
    worker.ref();
    return new Promise<T>((resolve, reject) => {
      const settle = () => {
        worker.off("message", onMessage);
        worker.off("error", onFailure);
        worker.off("exit", onFailure);
        this.busy.delete(worker);
      };
      const onMessage = (message: { value?: T; error?: string }) => {
        settle();
        worker.unref();
        if (this.closed) void worker.terminate();
        else this.idle.push(worker);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message.value as T);
      };
      const onFailure = (failure: unknown) => {
        settle();
        void worker.terminate();
        reject(failure instanceof Error ? failure : new Error(`the password hashing thread stopped (${String(failure)})`));
      };
      worker.on("message", onMessage);
      worker.on("error", onFailure);
      worker.on("exit", onFailure);
      worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.idle.splice(0), ...this.busy].map((worker) => worker.terminate()));
  }
}

export function createPasswordHasher(settings: PasswordHasherOptions = {}): PasswordHasher {
  const concurrency = settings.concurrency ?? Math.max(1, availableParallelism() - 1);
  const limiter = new WorkLimiter(concurrency, settings.maxWaiting ?? 32 * concurrency);
  const threads = new HashingThreads();
  const hash = (password: string) => limiter.run(() => threads.run<string>({ kind: "hash", password, options }));
  let dummyHash: Promise<string> | null = null;
  const hasher: PasswordHasher = {
    hash,
    async verify(stored, password) {
      try {
        return await limiter.run(() => threads.run<boolean>({ kind: "verify", password, stored }));
      } catch (error) {
        if (error instanceof PasswordHashingBusyError) throw error;
        return false;
      }
    },
    async verifyDummy(password) {
      // Made once, through the same queue (so no thread beyond `concurrency` is ever started);
      // made again if making it failed.
      dummyHash ??= hash(randomBytes(32).toString("base64url")).catch((error: unknown) => {
        dummyHash = null;
        throw error;
      });
      await hasher.verify(await dummyHash, password);
    },
    close: () => threads.close(),
  };
  return hasher;
}

export type PasswordProblem = "too_short" | "too_long" | "too_common" | "control_characters";

let commonPasswords: Set<string> | null = null;

/** The 10,000 most common passwords, shipped in `data/` (see its README). */
function loadCommonPasswords(): Set<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL("../../data/common-passwords.txt", import.meta.url), "utf8")
      .split("\n")
      .filter(Boolean),
  );
  return commonPasswords;
}

/**
 * NIST 800-63B: 8 to 256 characters (counted in code points), no composition rules, and not
 * one of the most common passwords. The password is otherwise used exactly as received.
 */
export function checkPasswordPolicy(password: string): PasswordProblem | null {
  const characters = Array.from(password);
  if (characters.length < MIN_PASSWORD_LENGTH) return "too_short";
  if (characters.length > MAX_PASSWORD_LENGTH) return "too_long";
  // Control characters cannot be typed, and survive copy and paste unevenly.
  if (/\p{Cc}/u.test(password)) return "control_characters";
  // One character repeated ("aaaaaaaa", eight spaces) is as guessable as the common list.
  if (loadCommonPasswords().has(password.toLowerCase()) || characters.every((character) => character === characters[0])) return "too_common";
  return null;
}

export const passwordProblemMessages: Record<PasswordProblem, string> = {
  too_short: `The password must be at least ${MIN_PASSWORD_LENGTH} characters.`,
  too_long: `The password must be at most ${MAX_PASSWORD_LENGTH} characters.`,
  too_common: "This password is one of the most common passwords; choose another (a few unrelated words work well).",
  control_characters: "The password must not contain control characters.",
};
