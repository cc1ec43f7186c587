/**
 * Reading answers one line at a time, from a person at a terminal (with a prompt) or from a pipe
 * (for scripts). End of input gives `null`, so nothing waits forever on a closed stdin.
 */
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";

export class LineReader {
  private readonly lines: string[] = [];
  private readonly waiting: Array<(line: string | null) => void> = [];
  private closed = false;
  private readonly readline: Interface;

  /**
   * @param onInterrupt called on Ctrl-C at the prompt (the terminal is in raw mode then, so the
   *   process gets no SIGINT of its own).
   */
  constructor(
    input: Readable & { isTTY?: boolean },
    private readonly prompts: Writable | null,
    onInterrupt: () => void,
  ) {
    const terminal = input.isTTY === true && prompts !== null;
    this.readline = createInterface({ input, ...(terminal && prompts ? { output: prompts } : {}), terminal });
    this.readline.on("line", (line) => {
      const next = this.waiting.shift();
      if (next) next(line);
      else this.lines.push(line);
    });
    this.readline.on("close", () => {
      this.closed = true;
      for (const next of this.waiting.splice(0)) next(null);
    });
    this.readline.on("SIGINT", onInterrupt);
    this.readline.pause();
  }

  /** The next line (the prompt is shown only on a terminal), or `null` at end of input. */
  read(prompt = ""): Promise<string | null> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.closed) return Promise.resolve(null);
    if (prompt && this.prompts) this.readline.setPrompt(prompt);
    return new Promise((resolve) => {
      this.waiting.push((line) => {
        // Waiters are also answered (with null) from the "close" event, and since Node 24 pause()
        // on a closed interface throws ERR_USE_AFTER_CLOSE, where Node 20 did nothing.
        if (!this.closed) this.readline.pause();
        resolve(line);
      });
      if (prompt && this.prompts) this.readline.prompt();
      this.readline.resume();
    });
  }

  close(): void {
    if (!this.closed) this.readline.close();
  }
}
