import { describe, expect, it } from "vitest";
import { isDatabaseUnavailableError } from "./errors.js";

function failure(code: string, message = "failed"): Error {
  return Object.assign(new Error(message), { code });
}

describe("isDatabaseUnavailableError", () => {
  it("counts a lock, a busy file or a failed disk as unavailable, with SQLite's extended codes", () => {
    for (const code of ["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_TIMEOUT", "SQLITE_LOCKED", "SQLITE_LOCKED_SHAREDCACHE", "SQLITE_IOERR_FSYNC", "SQLITE_FULL"]) {
      expect(isDatabaseUnavailableError(failure(code)), code).toBe(true);
    }
  });

  it("counts an unreachable or restarting PostgreSQL as unavailable", () => {
    for (const code of ["ECONNREFUSED", "57P01", "53300", "08006"]) expect(isDatabaseUnavailableError(failure(code)), code).toBe(true);
    expect(isDatabaseUnavailableError(new Error("Connection terminated unexpectedly"))).toBe(true);
  });

  it("does not count a broken constraint, a bad statement or a look-alike code", () => {
    for (const code of ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_ERROR", "SQLITE_BUSYWORK", "23505", "42P01"]) {
      expect(isDatabaseUnavailableError(failure(code)), code).toBe(false);
    }
    expect(isDatabaseUnavailableError("SQLITE_BUSY")).toBe(false);
  });
});
