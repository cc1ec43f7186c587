import { describe, expect, it } from "vitest";
import {
  cleanSessionName,
  generateApiToken,
  generateSessionToken,
  hashSecret,
  isValidNonce,
  isWellFormedApiToken,
  isWellFormedBearerToken,
  isWellFormedSessionToken,
} from "./tokens.js";
import { formatPasteCode, generatePasteCode, normalizePasteCode } from "./paste-code.js";

describe("session tokens", () => {
  it("are hmt_ and 43 base64url characters, distinct across 1,000 draws", () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateSessionToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) {
      expect(isWellFormedSessionToken(token)).toBe(true);
      // 43 base64url characters carry 258 bits of which 256 are random.
      expect(Buffer.from(token.slice(4), "base64url")).toHaveLength(32);
    }
  });

  it("are stored as SHA-256, never as themselves", () => {
    const token = generateSessionToken();
    expect(hashSecret(token)).toHaveLength(43);
    expect(hashSecret(token)).not.toContain(token.slice(4, 20));
  });
});

describe("API tokens", () => {
  it("are hma_ and 43 base64url characters (256 bits), and never pass for a session token", () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateApiToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) {
      expect(token).toMatch(/^hma_[A-Za-z0-9_-]{43}$/);
      expect(isWellFormedApiToken(token)).toBe(true);
      expect(isWellFormedBearerToken(token)).toBe(true);
      expect(isWellFormedSessionToken(token)).toBe(false);
      expect(Buffer.from(token.slice(4), "base64url")).toHaveLength(32);
    }
    expect(isWellFormedApiToken(generateSessionToken())).toBe(false);
    expect(isWellFormedBearerToken(generateSessionToken())).toBe(true);
    expect(isWellFormedBearerToken(`hmx_${"A".repeat(43)}`)).toBe(false);
  });
});

describe("nonces", () => {
  it("take 22 to 256 characters of base64url", () => {
    expect(isValidNonce("a".repeat(22))).toBe(true);
    expect(isValidNonce("a".repeat(256))).toBe(true);
    expect(isValidNonce("a".repeat(21))).toBe(false);
    expect(isValidNonce("a".repeat(257))).toBe(false);
    expect(isValidNonce(`${"a".repeat(22)}=`)).toBe(false);
    expect(isValidNonce(`${"a".repeat(22)}\n`)).toBe(false);
  });
});

describe("session names", () => {
  it("drop control and bidi characters and are cut to 100 characters", () => {
    expect(cleanSessionName("harmont CLI on \u202Eevil")).toBe("harmont CLI on evil");
    expect(cleanSessionName("a\u0000b\tc")).toBe("a b c");
    expect(Array.from(cleanSessionName("é".repeat(150)))).toHaveLength(100);
    expect(cleanSessionName(undefined)).toBe("CLI session");
    expect(cleanSessionName({})).toBe("CLI session");
  });
});

describe("paste codes", () => {
  it("are 16 Crockford characters covering the whole alphabet", () => {
    const seen = new Set<string>();
    for (let index = 0; index < 500; index++) {
      const code = generatePasteCode();
      expect(code).toMatch(/^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{16}$/);
      for (const character of code) seen.add(character);
    }
    expect(seen.size).toBe(32);
  });

  it("are read the way people type them", () => {
    expect(normalizePasteCode("k7p2-qr9m x3wz 4ntv")).toBe("K7P2QR9MX3WZ4NTV");
    expect(normalizePasteCode("O1IL-0000-0000-0000")).toBe("0111000000000000");
    expect(normalizePasteCode("K7P2QR9MX3WZ4NTU")).toBeNull();
    expect(normalizePasteCode("K7P2QR9MX3WZ4NT")).toBeNull();
    expect(normalizePasteCode("K".repeat(1000))).toBeNull();
  });

  it("are grouped by four for reading", () => {
    expect(formatPasteCode("K7P2QR9MX3WZ4NTV")).toBe("K7P2-QR9M-X3WZ-4NTV");
  });
});
