import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBoxKeys, deriveSecretBoxKey, openSecret, sealSecret } from "./secret-box.js";

const master = randomBytes(32);
const keys = createSecretBoxKeys(master);
const userId = "usr_4f8Kd0qPzXbN1cVt2mWyHa";

/** The bytes after `v1.`, to tamper with. */
function payloadOf(sealed: string): Buffer {
  return Buffer.from(sealed.slice(3), "base64url");
}

describe("secret-box keys", () => {
  it("are derived from the master key, not the master key itself", () => {
    const derived = deriveSecretBoxKey(master);
    expect(derived).toHaveLength(32);
    expect(derived.equals(master)).toBe(false);
    expect(derived.equals(deriveSecretBoxKey(Buffer.from(master)))).toBe(true);
    expect(derived.equals(deriveSecretBoxKey(randomBytes(32)))).toBe(false);
    expect(keys.current.equals(derived)).toBe(true);
    expect(keys.previous).toBeNull();
  });

  it("refuse a master key shorter than 32 bytes", () => {
    expect(() => deriveSecretBoxKey(randomBytes(16))).toThrow();
  });
});

describe("sealed secrets", () => {
  it("open to what was sealed", () => {
    for (const plaintext of [randomBytes(20), randomBytes(1), Buffer.alloc(0), randomBytes(300)]) {
      const sealed = sealSecret(keys, plaintext, userId);
      expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
      expect(payloadOf(sealed)).toHaveLength(12 + plaintext.length + 16);
      const opened = openSecret(keys, sealed, userId);
      expect(opened.plaintext.equals(plaintext)).toBe(true);
      expect(opened.sealedWithPrevious).toBe(false);
    }
  });

  it("differ every time, from a fresh IV", () => {
    const plaintext = randomBytes(20);
    const sealed = Array.from({ length: 100 }, () => sealSecret(keys, plaintext, userId));
    expect(new Set(sealed).size).toBe(100);
    expect(new Set(sealed.map((value) => payloadOf(value).subarray(0, 12).toString("hex"))).size).toBe(100);
    expect(sealed.join()).not.toContain(plaintext.toString("base64url"));
  });

  it("do not open under other associated data", () => {
    const sealed = sealSecret(keys, randomBytes(20), userId);
    expect(() => openSecret(keys, sealed, "usr_someone_else")).toThrow();
    expect(() => openSecret(keys, sealed, userId.toLowerCase())).toThrow();
    expect(() => openSecret(keys, sealed, "")).toThrow();
  });

  it("do not open with any single byte changed", () => {
    const sealed = sealSecret(keys, randomBytes(20), userId);
    const payload = payloadOf(sealed);
    for (let index = 0; index < payload.length; index++) {
      const tampered = Buffer.from(payload);
      tampered.writeUInt8(tampered.readUInt8(index) ^ 0x01, index);
      expect(() => openSecret(keys, `v1.${tampered.toString("base64url")}`, userId)).toThrow();
    }
  });

  it("do not open when cut short, extended or re-encoded", () => {
    const sealed = sealSecret(keys, randomBytes(20), userId);
    const payload = payloadOf(sealed);
    expect(() => openSecret(keys, `v1.${payload.subarray(0, -1).toString("base64url")}`, userId)).toThrow();
    expect(() => openSecret(keys, `v1.${Buffer.concat([payload, Buffer.from([0])]).toString("base64url")}`, userId)).toThrow();
    expect(() => openSecret(keys, `v1.${payload.subarray(0, 27).toString("base64url")}`, userId)).toThrow();
    expect(() => openSecret(keys, "v1.", userId)).toThrow();
    expect(() => openSecret(keys, `v1.${payload.toString("base64")}=`, userId)).toThrow();
    expect(() => openSecret(keys, `${sealed}!`, userId)).toThrow();
  });

  it("do not open from a second spelling of the same bytes", () => {
    // 12 + 21 + 16 = 49 bytes: the last base64url character carries 4 unused bits.
    const sealed = sealSecret(keys, randomBytes(21), userId);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(sealed.slice(-1));
    const respelled = sealed.slice(0, -1) + alphabet.charAt(last ^ 1);
    expect(payloadOf(respelled).equals(payloadOf(sealed))).toBe(true);
    expect(() => openSecret(keys, respelled, userId)).toThrow();
    expect(openSecret(keys, sealed, userId).plaintext).toHaveLength(21);
  });

  it("do not open without the v1 prefix", () => {
    const sealed = sealSecret(keys, randomBytes(20), userId);
    const body = sealed.slice(3);
    for (const wrong of [body, `v2.${body}`, `V1.${body}`, `v1${body}`, `v1:${body}`, ""]) {
      expect(() => openSecret(keys, wrong, userId)).toThrow();
    }
  });

  it("do not open under another master key", () => {
    const sealed = sealSecret(keys, randomBytes(20), userId);
    expect(() => openSecret(createSecretBoxKeys(randomBytes(32)), sealed, userId)).toThrow();
  });

  it("open under the previous key during a rotation, and say so", () => {
    const plaintext = randomBytes(20);
    const sealedBefore = sealSecret(keys, plaintext, userId);
    const newMaster = randomBytes(32);
    const rotated = createSecretBoxKeys(newMaster, master);

    const opened = openSecret(rotated, sealedBefore, userId);
    expect(opened.plaintext.equals(plaintext)).toBe(true);
    expect(opened.sealedWithPrevious).toBe(true);
    expect(() => openSecret(createSecretBoxKeys(newMaster), sealedBefore, userId)).toThrow();

    // New seals use the current key only.
    const resealed = sealSecret(rotated, plaintext, userId);
    expect(openSecret(rotated, resealed, userId).sealedWithPrevious).toBe(false);
    expect(openSecret(createSecretBoxKeys(newMaster), resealed, userId).plaintext.equals(plaintext)).toBe(true);
    expect(() => openSecret(keys, resealed, userId)).toThrow();
  });

  it("fail with errors that hold no secret material", () => {
    const plaintext = randomBytes(20);
    const sealed = sealSecret(keys, plaintext, userId);
    const messages: string[] = [];
    for (const [value, aad] of [
      [sealed, "usr_someone_else"],
      [`v2.${sealed.slice(3)}`, userId],
      [`v1.${sealed.slice(3, 20)}`, userId],
    ] as const) {
      try {
        openSecret(keys, value, aad);
        expect.unreachable("opening should have failed");
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        messages.push((error as Error).message);
      }
    }
    for (const message of messages) {
      expect(message).not.toContain(sealed.slice(3, 20));
      expect(message).not.toContain(plaintext.toString("base64url").slice(0, 10));
      expect(message).not.toContain(plaintext.toString("hex").slice(0, 10));
      expect(message).not.toContain(keys.current.toString("base64url").slice(0, 10));
      expect(message).not.toContain(userId);
    }
  });
});
