import { describe, expect, it } from "vitest";
import { formatAgo, formatCountdown, formatRelative, groupPasteCode } from "./format";

describe("format", () => {
  it("groups a paste code in fours for reading", () => {
    expect(groupPasteCode("K7P2QR9MX3WZ4NTV")).toBe("K7P2-QR9M-X3WZ-4NTV");
    expect(groupPasteCode("k7p2-qr9m x3wz4ntv")).toBe("K7P2-QR9M-X3WZ-4NTV");
  });

  it("counts down in minutes and seconds, never below zero", () => {
    expect(formatCountdown(300)).toBe("5:00");
    expect(formatCountdown(61.2)).toBe("1:02");
    expect(formatCountdown(9)).toBe("0:09");
    expect(formatCountdown(-3)).toBe("0:00");
  });

  it("says how long ago, in words", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    expect(formatRelative("2026-03-01T11:59:30Z", now)).toBe("just now");
    expect(formatRelative("2026-03-01T11:55:00Z", now)).toBe("5 minutes ago");
    expect(formatRelative("2026-02-27T12:00:00Z", now)).toBe("2 days ago");
  });

  it("says how long ago to the second under a minute", () => {
    expect(formatAgo(0)).toBe("just now");
    expect(formatAgo(-2)).toBe("just now");
    expect(formatAgo(4.9)).toBe("just now");
    expect(formatAgo(40.7)).toBe("40 seconds ago");
    expect(formatAgo(60)).toBe("1 minute ago");
    expect(formatAgo(200)).toBe("3 minutes ago");
    expect(formatAgo(7300)).toBe("2 hours ago");
  });
});
