import { randomInt } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BACKUP_CODE_COUNT, generateBackupCodes, normalizeBackupCode } from "./backup-codes.js";

// randomInt stays the real one unless a test scripts it.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, randomInt: vi.fn(actual.randomInt) };
});

afterEach(() => {
  vi.mocked(randomInt).mockClear();
});

const displayPattern = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

describe("generated backup codes", () => {
  it("come ten to a set, grouped in fours, with distinct code ids", () => {
    expect(BACKUP_CODE_COUNT).toBe(10);
    const codes = generateBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes.map((code) => code.codeId)).size).toBe(10);
    for (const code of codes) {
      expect(code.display).toMatch(displayPattern);
      expect(code.codeId).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(code.secret).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
      expect(code.display.replace(/-/g, "")).toBe(code.codeId + code.secret);
    }
    expect(generateBackupCodes(3)).toHaveLength(3);
    expect(generateBackupCodes(0)).toEqual([]);
  });

  it("draw every character of the alphabet, and nothing else", () => {
    const seen = new Set<string>();
    for (let index = 0; index < 50; index++) {
      for (const code of generateBackupCodes()) for (const character of code.codeId + code.secret) seen.add(character);
    }
    expect([...seen].sort().join("")).toBe("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
  });

  it("draw every character with randomInt", () => {
    generateBackupCodes(5);
    expect(vi.mocked(randomInt)).toHaveBeenCalledTimes(5 * 16);
  });

  it("draw the code id again when it repeats one already in the set", () => {
    // The second code starts with exactly the draws of the first; later draws are real.
    const script = [20, 6, 22, 2, 3, 10, 29, 7, 27, 31, 0, 1, 2, 3, 4, 5];
    for (const value of [...script, ...script]) vi.mocked(randomInt).mockImplementationOnce(() => value);
    const [first, second] = generateBackupCodes(2);
    expect(first?.display).toBe("M6P2-3AX7-VZ01-2345");
    expect(second?.codeId).not.toBe(first?.codeId);
    expect(vi.mocked(randomInt).mock.calls.length).toBeGreaterThan(32);
  });

  it("refuse set sizes they cannot fill", () => {
    expect(() => generateBackupCodes(-1)).toThrow(RangeError);
    expect(() => generateBackupCodes(2.5)).toThrow(RangeError);
    expect(() => generateBackupCodes(1_000_000)).toThrow(RangeError);
  });

  it("normalise back to their own code id and secret", () => {
    for (const code of generateBackupCodes()) {
      expect(normalizeBackupCode(code.display)).toEqual({ codeId: code.codeId, secret: code.secret });
      expect(normalizeBackupCode(code.display.toLowerCase())).toEqual({ codeId: code.codeId, secret: code.secret });
    }
  });
});

describe("typed backup codes", () => {
  it("are read in any case, with spaces and dashes dropped", () => {
    expect(normalizeBackupCode("k7p2 qr9m-x3wz 4ntv")).toEqual({ codeId: "K7P2", secret: "QR9MX3WZ4NTV" });
    expect(normalizeBackupCode("K7P2QR9MX3WZ4NTV")).toEqual({ codeId: "K7P2", secret: "QR9MX3WZ4NTV" });
    expect(normalizeBackupCode("  K7P2-QR9M-X3WZ-4NTV  ")).toEqual({ codeId: "K7P2", secret: "QR9MX3WZ4NTV" });
  });

  it("read O as 0 and I and L as 1", () => {
    expect(normalizeBackupCode("O1IL-oilL-0000-0000")).toEqual({ codeId: "0111", secret: "011100000000" });
  });

  it("refuse the wrong length, letters outside the alphabet, and over-long input", () => {
    expect(normalizeBackupCode("K7P2-QR9M-X3WZ-4NT")).toBeNull();
    expect(normalizeBackupCode("K7P2-QR9M-X3WZ-4NTVV")).toBeNull();
    expect(normalizeBackupCode("")).toBeNull();
    expect(normalizeBackupCode("K7P2-QR9M-X3WZ-4NTU")).toBeNull();
    expect(normalizeBackupCode("K7P2-QR9M-X3WZ-4NT*")).toBeNull();
    expect(normalizeBackupCode("K7P2_QR9M_X3WZ_4NTV")).toBeNull();
    // Valid once spaces are dropped, but longer than 64 characters as typed.
    expect(normalizeBackupCode(`K7P2-QR9M-X3WZ-4NTV${" ".repeat(46)}`)).toBeNull();
    expect(normalizeBackupCode(`K7P2-QR9M-X3WZ-4NTV${" ".repeat(45)}`)).toEqual({ codeId: "K7P2", secret: "QR9MX3WZ4NTV" });
    expect(normalizeBackupCode("K".repeat(1000))).toBeNull();
  });
});
