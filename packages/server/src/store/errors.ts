/** Which database errors mean "unreachable or overloaded" (503) rather than a bug (500). */
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "SQLITE_CANTOPEN",
  "SQLITE_FULL",
]);

/** SQLite reports extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_FSYNC, …): each family counts whole. */
const unavailableSqliteFamilies = ["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR"];

export function isDatabaseUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (unavailableCodes.has(code) || unavailableSqliteFamilies.some((family) => code === family || code.startsWith(`${family}_`)))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(error.message);
}
