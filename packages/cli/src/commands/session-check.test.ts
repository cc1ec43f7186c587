import { describe, expect, it } from "vitest";
import type { LoadedCredential } from "../storage/credential-store.js";
import { CLOCK_SKEW_MS, judgeRefusal } from "./session-check.js";

const now = Date.parse("2026-03-01T12:00:00.000Z");
const stored = (expiresAt: string | null): LoadedCredential => ({
  token: "hmt_x",
  source: "file",
  location: "/home/ada/.config/harmont/credentials.json",
  expiresAt,
  savedAt: "2026-01-01T00:00:00.000Z",
});

describe("why the server refused a stored session", () => {
  it("expired, when the recorded expiry has passed", () => {
    expect(judgeRefusal(stored("2026-03-01T11:00:00.000Z"), now)).toBe("expired");
  });

  it("revoked, when the session still had time left: it was ended, not run out", () => {
    expect(judgeRefusal(stored("2026-03-20T12:00:00.000Z"), now)).toBe("revoked");
  });

  it("expired, not revoked, just before the recorded moment (this clock may be behind the server's)", () => {
    expect(judgeRefusal(stored(new Date(now + CLOCK_SKEW_MS - 1000).toISOString()), now)).toBe("expired");
    expect(judgeRefusal(stored(new Date(now + CLOCK_SKEW_MS + 60_000).toISOString()), now)).toBe("revoked");
  });

  it("unknown, when nothing (or nothing readable) was recorded, and for an environment token", () => {
    expect(judgeRefusal(stored(null), now)).toBe("rejected");
    expect(judgeRefusal(stored("soon"), now)).toBe("rejected");
    expect(judgeRefusal({ token: "hmt_x", source: "env", location: "HARMONT_TOKEN", expiresAt: null, savedAt: null }, now)).toBe("rejected");
  });
});
