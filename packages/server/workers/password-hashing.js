// One password-hashing thread (see src/auth/passwords.ts): it runs argon2id synchronously, one
// task at a time, at a lower CPU priority than the event loop, so that on a busy machine the
// session checks get a core before the sign-ins do.
import { platform, setPriority, constants } from "node:os";
import { parentPort } from "node:worker_threads";
import { hashSync, verifySync } from "@node-rs/argon2";

// On Linux a priority belongs to a thread, and 0 names the calling one: this thread alone.
// Elsewhere it would apply to the whole process, event loop included, so it is left as is.
if (platform() === "linux") {
  try {
    setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not permitted here: hash at the normal priority.
  }
}

parentPort.on("message", ({ kind, password, stored, options }) => {
  try {
    parentPort.postMessage({ value: kind === "hash" ? hashSync(password, options) : verifySync(stored, password) });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
