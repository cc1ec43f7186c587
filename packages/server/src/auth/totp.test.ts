import { randomBytes, randomInt } from "node:crypto";
import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import {
  decodeBase32,
  encodeBase32,
  generateTotpSecret,
  hotp,
  matchTotp,
  otpauthUri,
  TOTP_DIGITS,
  TOTP_PERIOD_S,
  TOTP_WINDOW,
  totpStep,
} from "./totp.js";

const rfcSha1Key = Buffer.from("12345678901234567890", "ascii");
const rfcSha256Key = Buffer.from("12345678901234567890123456789012", "ascii");
const rfcSha512Key = Buffer.from("1234567890123456789012345678901234567890123456789012345678901234", "ascii");

describe("HOTP and TOTP codes", () => {
  it("reproduce the SHA-1 test vectors of RFC 6238, Appendix B", () => {
    const vectors: [seconds: number, code: string][] = [
      [59, "94287082"],
      [1111111109, "07081804"],
      [1111111111, "14050471"],
      [1234567890, "89005924"],
      [2000000000, "69279037"],
      [20000000000, "65353130"],
    ];
    for (const [seconds, code] of vectors) {
      expect(hotp(rfcSha1Key, totpStep(seconds * 1000), 8)).toBe(code);
      expect(hotp(rfcSha1Key, totpStep(seconds * 1000), 8, "sha1")).toBe(code);
    }
  });

  it("reproduce the SHA-256 and SHA-512 vectors at T = 59 s", () => {
    expect(hotp(rfcSha256Key, totpStep(59_000), 8, "sha256")).toBe("46119246");
    expect(hotp(rfcSha512Key, totpStep(59_000), 8, "sha512")).toBe("90693936");
  });

  it("reproduce the HOTP test vectors of RFC 4226, Appendix D, with six digits by default", () => {
    const codes = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    codes.forEach((code, counter) => expect(hotp(rfcSha1Key, counter)).toBe(code));
  });

  it("use all eight bytes of counters above 2^32", () => {
    const secret = OTPAuth.Secret.fromHex(rfcSha1Key.toString("hex"));
    for (const counter of [2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      const expected = OTPAuth.HOTP.generate({ secret, counter, digits: 6, algorithm: "SHA1" });
      expect(hotp(rfcSha1Key, counter)).toBe(expected);
    }
    expect(hotp(rfcSha1Key, 2 ** 32 + 1)).not.toBe(hotp(rfcSha1Key, 1));
  });

  it("refuse counters and lengths they cannot honour", () => {
    expect(() => hotp(rfcSha1Key, -1)).toThrow(RangeError);
    expect(() => hotp(rfcSha1Key, 1.5)).toThrow(RangeError);
    expect(() => hotp(rfcSha1Key, 0, 11)).toThrow(RangeError);
  });

  it("count 30-second steps from the epoch", () => {
    expect(TOTP_PERIOD_S).toBe(30);
    expect(TOTP_DIGITS).toBe(6);
    expect(TOTP_WINDOW).toBe(1);
    expect(totpStep(0)).toBe(0);
    expect(totpStep(29_999)).toBe(0);
    expect(totpStep(30_000)).toBe(1);
    expect(totpStep(59_000)).toBe(1);
    expect(totpStep(1_111_111_109_000)).toBe(37037036);
  });
});

describe("TOTP secrets", () => {
  it("are 160 random bits", () => {
    const secrets = new Set(Array.from({ length: 100 }, () => generateTotpSecret().toString("hex")));
    expect(secrets.size).toBe(100);
    expect(generateTotpSecret()).toHaveLength(20);
    expect(encodeBase32(generateTotpSecret())).toMatch(/^[A-Z2-7]{32}$/);
  });
});

describe("base32", () => {
  it("matches the test vectors of RFC 4648, without padding", () => {
    const vectors: [plain: string, encoded: string][] = [
      ["", ""],
      ["f", "MY"],
      ["fo", "MZXQ"],
      ["foo", "MZXW6"],
      ["foob", "MZXW6YQ"],
      ["fooba", "MZXW6YTB"],
      ["foobar", "MZXW6YTBOI"],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase32(Buffer.from(plain, "ascii"))).toBe(encoded);
      expect(decodeBase32(encoded)?.toString("ascii")).toBe(plain);
    }
  });

  it("round-trips random bytes of every length", () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = randomBytes(length);
      const encoded = encodeBase32(bytes);
      expect(encoded).toMatch(/^[A-Z2-7]*$/);
      expect(encoded).toHaveLength(Math.ceil((length * 8) / 5));
      expect(decodeBase32(encoded)).toEqual(bytes);
    }
    for (let index = 0; index < 100; index++) {
      const secret = generateTotpSecret();
      expect(decodeBase32(encodeBase32(secret))).toEqual(secret);
    }
  });

  it("reads either case and ignores spaces", () => {
    expect(decodeBase32("mzxw 6ytb oi")?.toString("ascii")).toBe("foobar");
    expect(decodeBase32("MzXw6YtBoI")?.toString("ascii")).toBe("foobar");
  });

  it("refuses characters outside the alphabet, padding, and cut-off lengths", () => {
    expect(decodeBase32("MZXW1YTBOI")).toBeNull();
    expect(decodeBase32("MZXW8YTBOI")).toBeNull();
    expect(decodeBase32("MZXW6YTBOI======")).toBeNull();
    expect(decodeBase32("MZXW-6YTB")).toBeNull();
    expect(decodeBase32("MZXW6YTBO\n")).toBeNull();
    expect(decodeBase32("M")).toBeNull();
    expect(decodeBase32("MZX")).toBeNull();
    expect(decodeBase32("MZXW6Y")).toBeNull();
  });
});

describe("matchTotp", () => {
  // Fixed key and time, so no test depends on two steps happening to share a code.
  const key = rfcSha1Key;
  const nowMs = 1_700_000_012_345;
  const now = totpStep(nowMs);
  const codeAt = (step: number) => hotp(key, step);

  it("accepts the previous, current and next step and reports which one matched", () => {
    expect(matchTotp(key, codeAt(now - 1), nowMs, -1)).toBe(now - 1);
    expect(matchTotp(key, codeAt(now), nowMs, -1)).toBe(now);
    expect(matchTotp(key, codeAt(now + 1), nowMs, -1)).toBe(now + 1);
  });

  it("refuses steps further away", () => {
    expect(matchTotp(key, codeAt(now - 2), nowMs, -1)).toBeNull();
    expect(matchTotp(key, codeAt(now + 2), nowMs, -1)).toBeNull();
    expect(matchTotp(key, codeAt(now - 100), nowMs, -1)).toBeNull();
  });

  it("refuses any step at or before the last one used", () => {
    expect(matchTotp(key, codeAt(now - 1), nowMs, now - 1)).toBeNull();
    expect(matchTotp(key, codeAt(now), nowMs, now - 1)).toBe(now);

    expect(matchTotp(key, codeAt(now - 1), nowMs, now)).toBeNull();
    expect(matchTotp(key, codeAt(now), nowMs, now)).toBeNull();
    expect(matchTotp(key, codeAt(now + 1), nowMs, now)).toBe(now + 1);

    expect(matchTotp(key, codeAt(now + 1), nowMs, now + 1)).toBeNull();
  });

  it("refuses the code of another key", () => {
    expect(hotp(rfcSha256Key, now)).not.toBe(codeAt(now));
    expect(matchTotp(rfcSha256Key, codeAt(now), nowMs, -1)).toBeNull();
  });

  it("returns null, without throwing, for anything but six ASCII digits", () => {
    const code = codeAt(now);
    const malformed = [
      code.slice(0, 5),
      `${code}0`,
      `${code.slice(0, 5)}a`,
      "",
      ` ${code}`,
      `${code}\n`,
      `${code.slice(0, 3)} ${code.slice(3)}`,
      // Full-width digits: six characters, eighteen bytes.
      code.replace(/[0-9]/g, (digit) => String.fromCharCode(0xff10 + Number(digit))),
      "abcdef",
    ];
    for (const typed of malformed) {
      expect(() => matchTotp(key, typed, nowMs, -1)).not.toThrow();
      expect(matchTotp(key, typed, nowMs, -1)).toBeNull();
    }
  });
});

describe("otpauth URIs", () => {
  it("percent-encode issuer and account", () => {
    expect(otpauthUri("Harmont Cloud", "ada lovelace@example.com", "MZXW6YTBOI")).toBe(
      "otpauth://totp/Harmont%20Cloud:ada%20lovelace%40example.com?secret=MZXW6YTBOI&issuer=Harmont%20Cloud&algorithm=SHA1&digits=6&period=30",
    );
    expect(otpauthUri("Acme:Dev", "a:b@example.com", "MZXW6YTBOI")).toBe(
      "otpauth://totp/Acme%3ADev:a%3Ab%40example.com?secret=MZXW6YTBOI&issuer=Acme%3ADev&algorithm=SHA1&digits=6&period=30",
    );
  });
});

describe("interoperability with the otpauth library", () => {
  it("agrees on the code for 100 random secrets and times, and matchTotp finds it", () => {
    for (let index = 0; index < 100; index++) {
      const key = generateTotpSecret();
      const b32 = encodeBase32(key);
      const ms = randomInt(0, 2 ** 47);
      const theirs = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(b32), algorithm: "SHA1", digits: 6, period: 30 }).generate({
        timestamp: ms,
      });
      const step = totpStep(ms);
      expect(hotp(key, step)).toBe(theirs);
      // With the previous step already used, the current one is the first candidate left.
      expect(matchTotp(key, theirs, ms, step - 1)).toBe(step);
    }
  });

  it("parses our URI back to the same secret, issuer and label", () => {
    const b32 = encodeBase32(generateTotpSecret());
    const accounts = ["ada@example.com", "ada lovelace@example.com", "ada:dev@example.com"];
    for (const account of accounts) {
      const parsed = OTPAuth.URI.parse(otpauthUri("Harmont Cloud", account, b32));
      expect(parsed).toBeInstanceOf(OTPAuth.TOTP);
      const totp = parsed as OTPAuth.TOTP;
      expect(totp.secret.base32).toBe(b32);
      expect(totp.issuer).toBe("Harmont Cloud");
      expect(totp.label).toBe(account);
      expect(totp.algorithm).toBe("SHA1");
      expect(totp.digits).toBe(6);
      expect(totp.period).toBe(30);
    }
  });
});
