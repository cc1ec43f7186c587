/**
 * A spinner on stderr while the CLI waits. Only on a terminal: elsewhere (a pipe, a CI log) it
 * prints its text once as a plain line, so logs do not fill with animation frames.
 */
import type { Style } from "./style.js";

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface SpinnerStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class Spinner {
  private timer: NodeJS.Timeout | null = null;
  private frame = 0;
  private text = "";
  private readonly animated: boolean;

  constructor(
    private readonly stream: SpinnerStream,
    private readonly style: Style,
    env: Record<string, string | undefined>,
  ) {
    this.animated = stream.isTTY === true && env.TERM !== "dumb";
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Shows `text` with a turning wheel before it (or prints it once, off a terminal). */
  start(text: string): void {
    this.text = text;
    if (!this.animated) {
      this.stream.write(`${text}\n`);
      return;
    }
    if (this.timer) return;
    this.stream.write("\x1b[?25l"); // hide the cursor while the wheel turns
    this.render();
    this.timer = setInterval(() => this.render(), 80);
    this.timer.unref();
  }

  /** Changes the text; off a terminal the new text is not printed (it would repeat every second). */
  update(text: string): void {
    this.text = text;
  }

  /** Prints a line above the spinner without garbling it. */
  log(line: string): void {
    if (this.timer) this.stream.write("\r\x1b[2K");
    this.stream.write(`${line}\n`);
    if (this.timer) this.render();
  }

  /** Clears the spinner's line and gives the cursor back. Safe to call twice. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.stream.write("\r\x1b[2K\x1b[?25h");
  }

  private render(): void {
    const frame = frames[this.frame++ % frames.length]!;
    this.stream.write(`\r\x1b[2K${this.style.cyan(frame)} ${this.text}`);
  }
}
