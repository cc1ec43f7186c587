import { afterEach, describe, expect, it, vi } from "vitest";
import {
  captureDeviceLoginCode,
  currentDeviceLoginCode,
  finishDeviceLogin,
  formatUserCodeInput,
  keepDeviceLoginCode,
  looksLikeUserCode,
  plainUserCode,
} from "./device-login-request";

describe("the code field", () => {
  it("shows a code as XXXX-XXXX in capitals, whatever the case, spaces and dashes typed", () => {
    expect(formatUserCodeInput("bcdfghjk")).toBe("BCDF-GHJK");
    expect(formatUserCodeInput(" bcdf ghjk ")).toBe("BCDF-GHJK");
    expect(formatUserCodeInput("b-c-d-f-g-h-j-k")).toBe("BCDF-GHJK");
    expect(formatUserCodeInput("BCDF--GHJK")).toBe("BCDF-GHJK");
    // While typing: the dash comes with the fifth character, and an empty field stays empty.
    expect(formatUserCodeInput("")).toBe("");
    expect(formatUserCodeInput("bcd")).toBe("BCD");
    expect(formatUserCodeInput("bcdf")).toBe("BCDF");
    expect(formatUserCodeInput("bcdf-")).toBe("BCDF");
    expect(formatUserCodeInput("bcdfg")).toBe("BCDF-G");
    // Never more than a code.
    expect(formatUserCodeInput("bcdfghjkl")).toBe("BCDF-GHJK");
  });

  it("tells a code's shape (8 letters) from a slip before anything is sent", () => {
    for (const good of ["BCDF-GHJK", "bcdf ghjk", "bcdfghjk", "ＢＣＤＦ－ＧＨＪＫ"]) expect(looksLikeUserCode(good), good).toBe(true);
    for (const bad of ["", "BCDF-GHJ", "BCDF-GHJKL", "BCDF-GHJ1", "BCDF_GHJK", "BCDF.GHJK"]) expect(looksLikeUserCode(bad), bad).toBe(false);
    expect(plainUserCode(" bc-df\tgh jk")).toBe("BCDFGHJK");
  });
});

describe("the code a link brings", () => {
  const storage = new Map<string, string>();
  vi.stubGlobal("sessionStorage", {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => void storage.set(key, value),
    removeItem: (key: string) => void storage.delete(key),
  });
  afterEach(() => storage.clear());

  it("moves the code out of the address bar into this tab's storage, on /device only", () => {
    const replaced: string[] = [];
    captureDeviceLoginCode("/account", "?user_code=BCDF-GHJK", (path) => replaced.push(path));
    captureDeviceLoginCode("/device", "", (path) => replaced.push(path));
    expect(replaced).toEqual([]);
    expect(currentDeviceLoginCode()).toBeNull();
    captureDeviceLoginCode("/device", "?user_code=BCDF-GHJK", (path) => replaced.push(path));
    expect(replaced).toEqual(["/device"]);
    expect(currentDeviceLoginCode()).toMatchObject({ code: "BCDF-GHJK", fromLink: true });
    finishDeviceLogin();
    expect(currentDeviceLoginCode()).toBeNull();
  });

  it("clears an empty code from the address bar too, and keeps nothing for it", () => {
    const replaced: string[] = [];
    captureDeviceLoginCode("/device", "?user_code=", (path) => replaced.push(path));
    expect(replaced).toEqual(["/device"]);
    expect(currentDeviceLoginCode()).toBeNull();
  });

  it("keeps a typed code for the detour through sign-in, and forgets it after 20 minutes or when damaged", () => {
    keepDeviceLoginCode("bcdf ghjk", false, 1_000);
    expect(currentDeviceLoginCode(1_000 + 60_000)).toEqual({ code: "bcdf ghjk", fromLink: false, receivedAt: 1_000 });
    expect(currentDeviceLoginCode(1_000 + 20 * 60_000)).toBeNull();
    expect(storage.size).toBe(0);
    storage.set("harmont.device-login", "{not json");
    expect(currentDeviceLoginCode()).toBeNull();
    storage.set("harmont.device-login", JSON.stringify({ code: "x".repeat(100), fromLink: true, receivedAt: Date.now() }));
    expect(currentDeviceLoginCode()).toBeNull();
  });

  it("keeps at most 32 characters of whatever a link carries", () => {
    captureDeviceLoginCode("/device", `?user_code=${"B".repeat(500)}`, () => undefined);
    expect(currentDeviceLoginCode()?.code).toBe("B".repeat(32));
  });
});
