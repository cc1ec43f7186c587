/** Formatting for people: paste codes in groups, times relative to now. */

/** `K7P2QR9MX3WZ4NTV` → `K7P2-QR9M-X3WZ-4NTV` (the CLI accepts either). */
export function groupPasteCode(code: string): string {
  const plain = code.replace(/[\s-]/g, "").toUpperCase();
  return plain.match(/.{1,4}/g)?.join("-") ?? plain;
}

/** Whole seconds as `m:ss`. */
export function formatCountdown(seconds: number): string {
  const clamped = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(clamped / 60)}:${String(clamped % 60).padStart(2, "0")}`;
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "just now", "5 minutes ago", "in 3 days". */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  if (!Number.isFinite(seconds)) return "";
  if (Math.abs(seconds) < 60) return "just now";
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

/** Whole seconds in the past, to the second while under a minute: "just now", "40 seconds ago", "3 minutes ago". */
export function formatAgo(seconds: number): string {
  const elapsed = Math.max(0, Math.floor(seconds));
  if (elapsed < 5) return "just now";
  if (elapsed < 60) return relative.format(-elapsed, "second");
  if (elapsed < 3600) return relative.format(-Math.floor(elapsed / 60), "minute");
  return relative.format(-Math.floor(elapsed / 3600), "hour");
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatAbsolute(iso: string): string {
  const time = Date.parse(iso);
  return Number.isFinite(time) ? absolute.format(time) : iso;
}
