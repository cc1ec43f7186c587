/** Durations as people type them on a command line: `90`, `90s`, `1500ms`, `5m`, `1h`. */

const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or `null` when the text is not a positive duration. A bare number is seconds. */
export function parseDuration(text: string): number | null {
  const match = pattern.exec(text.trim());
  if (!match) return null;
  const value = Math.round(Number(match[1]) * units[match[2] ?? "s"]!);
  return value > 0 && Number.isSafeInteger(value) ? value : null;
}

/** `300000` → `5m`, `2000` → `2s`, `90000` → `1m30s`: the short form used in messages. */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds}ms`;
  const totalSeconds = Math.round(milliseconds / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return [hours ? `${hours}h` : "", minutes ? `${minutes}m` : "", seconds ? `${seconds}s` : ""].join("") || "0s";
}
