import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("durations", () => {
  it("parse with a unit, or seconds without one", () => {
    expect(parseDuration("2s")).toBe(2000);
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration("1500ms")).toBe(1500);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("0.5s")).toBe(500);
    expect(parseDuration("1h")).toBe(3_600_000);
  });

  it("refuse nonsense, zero and negatives", () => {
    for (const text of ["", "soon", "0", "0s", "-5s", "5 minutes", "5d"]) expect(parseDuration(text), text).toBeNull();
  });

  it("format short", () => {
    expect(formatDuration(300_000)).toBe("5m");
    expect(formatDuration(2000)).toBe("2s");
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(250)).toBe("250ms");
  });
});
