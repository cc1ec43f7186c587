import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateNonce, phraseWordList, verificationPhrase, verificationWords } from "./nonce.js";

describe("generateNonce", () => {
  it("gives 256 bits as 43 characters of base64url, different every time", () => {
    const nonces = new Set(Array.from({ length: 200 }, () => generateNonce()));
    expect(nonces.size).toBe(200);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("verificationPhrase", () => {
  it("is four words from the list, joined by hyphens", async () => {
    const phrase = await verificationPhrase(generateNonce());
    const words = phrase.split("-");
    expect(words).toHaveLength(4);
    for (const word of words) expect(phraseWordList).toContain(word);
  });

  it("is the same for the same nonce and differs between nonces", async () => {
    const nonce = generateNonce();
    expect(await verificationPhrase(nonce)).toBe(await verificationPhrase(nonce));
    const phrases = new Set(await Promise.all(Array.from({ length: 50 }, () => verificationPhrase(generateNonce()))));
    expect(phrases.size).toBeGreaterThan(45);
  });

  // Regression guard: the CLI and the web app may ship different versions of this package, so
  // the mapping from nonce to phrase must never change.
  it("maps a fixed nonce to a fixed phrase (SHA-256 bytes → word list)", async () => {
    const nonce = "a7Kp9x2QmZr4TbW8nC1vYs6dFh3Lj5Gk0PqRtUwXyEe";
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(nonce)));
    const expected = Array.from(digest.subarray(0, 4), (byte) => phraseWordList[byte]);
    expect(await verificationWords(nonce)).toEqual(expected);
    expect(await verificationPhrase(nonce)).toBe("badge-tiger-lava-atlas");
  });

  it("uses 256 distinct lower-case words", () => {
    expect(phraseWordList).toHaveLength(256);
    expect(new Set(phraseWordList).size).toBe(256);
    for (const word of phraseWordList) expect(word).toMatch(/^[a-z]{3,9}$/);
  });
});

describe("browser safety", () => {
  it("nothing the package ships imports a Node module", () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith(".ts") && !path.endsWith(".test.ts")) sources.push(path);
      }
    };
    walk(new URL(".", import.meta.url).pathname);
    expect(sources.length).toBeGreaterThan(3);
    for (const path of sources) {
      expect(readFileSync(path, "utf8"), path).not.toMatch(/from\s+["'](node:|fs|path|crypto|os)["']/);
    }
  });
});
