/**
 * A child process for the file lock's tests: several of these race one another (and a killed
 * one leaves a lock behind) so the lock is tested across real processes, not just async calls.
 * The job is one JSON argument (lockModule: the lock as JavaScript; storeModule: the store's
 * TypeScript, which needs `--import ./typescript-loader.mjs`):
 *
 *   { kind: "die-holding", lockModule, paths }
 *       takes the lock of every path, then kills itself with SIGKILL (no cleanup runs)
 *   { kind: "exit-holding", lockModule, path }
 *       takes the lock, then calls process.exit(3) while holding it (as a second Ctrl-C does)
 *   { kind: "hold", lockModule, path, holdMs, staleMs? }
 *       takes the lock, prints "held", keeps it holdMs, lets go and exits
 *   { kind: "stale-race", lockModule, directory, rounds, slotMs, offsetStepMicros }
 *       prints "ready", reads a start time (epoch ms) from stdin, then in round r, at
 *       start + r * slotMs + (((17 * r) % 41) - 20) * offsetStepMicros (busy-waited, so that
 *       two processes meet to the microsecond, or miss each other by a chosen amount), takes
 *       the lock of <directory>/round-<r>/credentials.json and, holding it, creates
 *       <round>/holder exclusively (finding it there means another holder is inside) and does
 *       a slow read-increment-write of <round>/count. Prints {"overlaps": n} at the end.
 *   { kind: "save", storeModule, directory, profile, count }
 *       count CredentialStore.save calls for the profile, one new API URL each
 */
import { openSync, closeSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const job = JSON.parse(process.argv[2]);

async function firstLine() {
  let text = "";
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0];
}

/** Sleeps most of the way, then spins: timers alone are a millisecond off, too coarse to meet. */
async function waitUntil(epochMicros) {
  const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;
  const coarse = (epochMicros - nowMicros()) / 1000 - 3;
  if (coarse > 0) await sleep(coarse);
  while (nowMicros() < epochMicros) {
    // spin
  }
}

switch (job.kind) {
  case "die-holding": {
    const { withFileLock } = await import(job.lockModule);
    let held = 0;
    for (const path of job.paths) {
      void withFileLock(path, () => {
        if (++held === job.paths.length) process.kill(process.pid, "SIGKILL");
        return new Promise(() => {});
      });
    }
    await new Promise(() => {});
    break;
  }
  case "exit-holding": {
    const { withFileLock } = await import(job.lockModule);
    await withFileLock(job.path, async () => process.exit(3));
    break;
  }
  case "hold": {
    const { withFileLock } = await import(job.lockModule);
    await withFileLock(
      job.path,
      async () => {
        process.stdout.write("held\n");
        await sleep(job.holdMs);
      },
      job.staleMs === undefined ? {} : { staleMs: job.staleMs },
    );
    break;
  }
  case "stale-race": {
    const { withFileLock } = await import(job.lockModule);
    process.stdout.write("ready\n");
    const start = Number(await firstLine());
    let overlaps = 0;
    for (let round = 0; round < job.rounds; round++) {
      const directory = join(job.directory, `round-${round}`);
      await waitUntil((start + round * job.slotMs) * 1000 + (((17 * round) % 41) - 20) * job.offsetStepMicros);
      await withFileLock(join(directory, "credentials.json"), async () => {
        let mine = false;
        try {
          closeSync(openSync(join(directory, "holder"), "wx"));
          mine = true;
        } catch (error) {
          if (error.code !== "EEXIST") throw error;
          overlaps++;
        }
        const count = Number(readFileSync(join(directory, "count"), "utf8"));
        await sleep(5);
        writeFileSync(join(directory, "count"), String(count + 1));
        if (mine) unlinkSync(join(directory, "holder"));
      });
    }
    process.stdout.write(`${JSON.stringify({ overlaps })}\n`);
    break;
  }
  case "save": {
    const { createCredentialStore } = await import(job.storeModule);
    const store = createCredentialStore({ configDirectory: job.directory, env: {}, keychain: { skip: "not in this test" } });
    for (let index = 0; index < job.count; index++) {
      await store.save({ profile: job.profile, apiUrl: `http://127.0.0.1:${10_000 + index}` }, `hmt_${job.profile}_${index}`);
    }
    break;
  }
  default:
    throw new Error(`unknown job ${job.kind}`);
}
process.exit(0);
