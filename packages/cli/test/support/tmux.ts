/**
 * Running the CLI in a real pseudo-terminal, the way a person sees it: tmux on a private socket
 * (never the user's own tmux server), `send-keys` to type, `capture-pane` to read the screen.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";

export function tmuxAvailable(): boolean {
  return spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0;
}

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

export class TmuxSession {
  private readonly socket = `harmont-cli-test-${process.pid}-${randomBytes(4).toString("hex")}`;
  private readonly socketPath: string;

  /** Starts `argv` in a 120×40 pane; the pane prints `[exit N]` when the program ends, and stays. */
  constructor(argv: string[], env: Record<string, string>) {
    // The shell traps Ctrl-C (so it survives to print the exit code) without ignoring it, which
    // the program would inherit.
    const command = `trap : INT; ${argv.map(quote).join(" ")}; echo "[exit $?]"; sleep 600`;
    execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "-s", "cli", "sh", "-c", command], {
      env: { ...env, TMUX: "" },
    });
    this.socketPath = execFileSync("tmux", ["-L", this.socket, "display-message", "-p", "#{socket_path}"], { encoding: "utf8" }).trim();
  }

  /** The visible screen as text, wrapped lines joined (no colour codes, or with them when `escapes` is set). */
  capture(escapes = false): string {
    return execFileSync("tmux", ["-L", this.socket, "capture-pane", "-p", "-J", ...(escapes ? ["-e"] : []), "-t", "cli"], { encoding: "utf8" });
  }

  type(text: string): void {
    execFileSync("tmux", ["-L", this.socket, "send-keys", "-t", "cli", "-l", text]);
  }

  press(key: string): void {
    execFileSync("tmux", ["-L", this.socket, "send-keys", "-t", "cli", key]);
  }

  /** Waits until the screen matches, and returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    while (Date.now() < deadline) {
      screen = this.capture();
      if (pattern.test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the screen never matched ${pattern}:\n${screen}`);
  }

  /** Whether the program left the cursor shown (a spinner hides it while it turns). */
  cursorVisible(): boolean {
    return execFileSync("tmux", ["-L", this.socket, "display-message", "-p", "-t", "cli", "#{cursor_flag}"], { encoding: "utf8" }).trim() === "1";
  }

  /** Ends the tmux server, the program in it, and its socket file. */
  kill(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"]);
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }
}
