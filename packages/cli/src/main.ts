#!/usr/bin/env node
/**
 * The `harmont` executable: runs the command line with the process's streams, turns Ctrl-C into
 * a clean stop (cursor back, listener closed, exit code 130), and exits with the command's code.
 */
import { runCli } from "./cli.js";
import { ExitCode } from "./exit-codes.js";

const controller = new AbortController();
const interrupt = () => {
  // A second Ctrl-C stops at once, whatever is still running.
  if (controller.signal.aborted) {
    process.stderr.write("\x1b[?25h");
    process.exit(ExitCode.interrupted);
  }
  controller.abort();
};
process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);

try {
  const code = await runCli(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    platform: process.platform,
  }, { signal: controller.signal, interrupt });
  // Exit explicitly (a keychain call that never answers must not keep the process alive), but
  // only once what was written has been handed over: pipes are asynchronous on some systems.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write("", resolve))));
  process.exit(controller.signal.aborted ? ExitCode.interrupted : code);
} catch (error) {
  process.stderr.write(`harmont: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(ExitCode.failure);
}
