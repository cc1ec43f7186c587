/** A sleep that an event can cut short: the loopback callback, a failed opener, or Ctrl-C. */

export class Wakeable {
  private wakeUp: (() => void) | null = null;
  private pending = false;

  /** Ends the current (or the next) wait at once. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.pending = true;
  }

  /** Waits `milliseconds`, or less when woken or when `signal` aborts. */
  wait(milliseconds: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted || milliseconds <= 0) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, milliseconds);
      signal?.addEventListener("abort", done, { once: true });
      this.wakeUp = done;
    });
  }
}

/** The delay after the `failures`-th failure in a row: 1 s, 2 s, 4 s, 8 s, then 15 s. */
export function backoffDelay(failures: number, baseMs = 1000, maxMs = 15_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}
