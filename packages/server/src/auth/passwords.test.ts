/**
 * The password hasher's limits: how many hashes run at once, the bounded queue, the threads
 * it hashes on (below the event loop's priority), and the policy (length, the common-password
 * list, no truncation).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkPasswordPolicy, createPasswordHasher, PasswordHashingBusyError, WorkLimiter } from "./passwords.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe("WorkLimiter", () => {
  it("runs at most `concurrency` tasks at once and the waiting ones in order", async () => {
    const limiter = new WorkLimiter(2, 10);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    let peak = 0;
    let running = 0;
    const results = gates.map((gate, index) =>
      limiter.run(async () => {
        started.push(index);
        peak = Math.max(peak, ++running);
        await gate.promise;
        running--;
        return index;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.stats).toEqual({ running: 2, waiting: 3 });
    gates[1]!.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(limiter.stats).toEqual({ running: 0, waiting: 0 });
  });

  it("refuses at once when the queue is full, and frees the slot of a task that failed", async () => {
    const limiter = new WorkLimiter(1, 1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const second = limiter.run(async () => "second");
    await expect(limiter.run(async () => "third")).rejects.toBeInstanceOf(PasswordHashingBusyError);
    gate.resolve();
    await first;
    expect(await second).toBe("second");
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(limiter.stats).toEqual({ running: 0, waiting: 0 });
    expect(await limiter.run(async () => "after")).toBe("after");
  });
});

/** This process's threads and their nice values (Linux, from /proc). */
function threadNiceValues(): Map<number, number> {
  const threads = new Map<number, number>();
  for (const id of readdirSync("/proc/self/task")) {
    try {
      // The fields after the command's closing parenthesis; nice is the 19th field of the line.
      const fields = readFileSync(`/proc/self/task/${id}/stat`, "utf8").split(") ")[1]!.split(" ");
      threads.set(Number(id), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return threads;
}

describe("createPasswordHasher", () => {
  it.runIf(process.platform === "linux")("hashes on a thread of its own at a lower priority than the event loop, and stops it on close", async () => {
    const before = threadNiceValues();
    const hasher = createPasswordHasher({ concurrency: 1 });
    const stored = await hasher.hash("correct horse battery staple");
    const started = [...threadNiceValues()].filter(([id]) => !before.has(id));
    const hashing = started.filter(([, nice]) => nice === 10);
    expect(hashing).toHaveLength(1);
    // The event loop's own thread (the process's first) keeps its priority.
    expect(threadNiceValues().get(process.pid)).toBe(before.get(process.pid));
    expect(await hasher.verify(stored, "correct horse battery staple")).toBe(true);
    await hasher.close();
    expect(threadNiceValues().has(hashing[0]![0])).toBe(false);
    await expect(hasher.hash("correct horse battery staple")).rejects.toThrow(/closed/);
  });

  it("verifies exactly what was hashed, with no truncation at 72 bytes", async () => {
    const hasher = createPasswordHasher({ concurrency: 1 });
    const long = "a".repeat(72) + "tail that matters";
    const stored = await hasher.hash(long);
    expect(await hasher.verify(stored, long)).toBe(true);
    expect(await hasher.verify(stored, "a".repeat(72))).toBe(false);
    expect(await hasher.verify("not a hash", long)).toBe(false);
  });

  it("refuses a verification beyond its queue instead of letting it wait", async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaiting: 1 });
    const stored = await hasher.hash("correct horse battery staple");
    const attempts = Array.from({ length: 4 }, () => hasher.verify(stored, "correct horse battery staple"));
    const settled = await Promise.allSettled(attempts);
    expect(settled.filter((result) => result.status === "fulfilled").map((result) => (result as PromiseFulfilledResult<boolean>).value)).toEqual([true, true]);
    const refused = settled.filter((result) => result.status === "rejected");
    expect(refused).toHaveLength(2);
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PasswordHashingBusyError);
  });
});

describe("checkPasswordPolicy", () => {
  it("wants 8 to 256 characters, counted in code points, and refuses common passwords", () => {
    expect(checkPasswordPolicy("short")).toBe("too_short");
    expect(checkPasswordPolicy("🔑a🔑b🔑c🔑d")).toBeNull();
    expect(checkPasswordPolicy("🔑a🔑b🔑c🔑")).toBe("too_short");
    expect(checkPasswordPolicy("x".repeat(257))).toBe("too_long");
    expect(checkPasswordPolicy("password123")).toBe("too_common");
    expect(checkPasswordPolicy("PASSWORD123")).toBe("too_common");
    expect(checkPasswordPolicy("aaaaaaaaaaaa")).toBe("too_common");
    expect(checkPasswordPolicy(" ".repeat(10))).toBe("too_common");
    expect(checkPasswordPolicy("\u0000".repeat(8))).toBe("control_characters");
    expect(checkPasswordPolicy("correct horse\tbattery")).toBe("control_characters");
    expect(checkPasswordPolicy("correct horse battery staple")).toBeNull();
    expect(checkPasswordPolicy("aaaaaaab")).toBeNull();
  });
});
