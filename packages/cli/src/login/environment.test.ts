import { describe, expect, it } from "vitest";
import { detectBrowserSupport, isContinuousIntegration } from "./environment.js";

describe("detectBrowserSupport", () => {
  const desktop = { DISPLAY: ":0" };

  it("a Linux desktop, macOS and Windows can open a browser", () => {
    expect(detectBrowserSupport(desktop, "linux")).toEqual({ browser: true });
    expect(detectBrowserSupport({ WAYLAND_DISPLAY: "wayland-0" }, "linux")).toEqual({ browser: true });
    expect(detectBrowserSupport({}, "darwin")).toEqual({ browser: true });
    expect(detectBrowserSupport({}, "win32")).toEqual({ browser: true });
  });

  it("SSH, CI, and Linux without a display cannot, each with a reason", () => {
    const cases: Array<[Record<string, string>, NodeJS.Platform, RegExp]> = [
      [{ ...desktop, SSH_CONNECTION: "10.0.0.1 50000 10.0.0.2 22" }, "linux", /SSH/],
      [{ SSH_TTY: "/dev/pts/3" }, "darwin", /SSH/],
      [{ ...desktop, CI: "true" }, "linux", /CI/],
      [{ CI: "1" }, "win32", /CI/],
      [{}, "linux", /DISPLAY/],
      [{ DISPLAY: " " }, "linux", /DISPLAY/],
    ];
    for (const [env, platform, reason] of cases) {
      const support = detectBrowserSupport(env, platform);
      expect(support.browser, JSON.stringify(env)).toBe(false);
      expect(support.browser === false && support.reason).toMatch(reason);
    }
  });

  it("CI=false and CI=0 are not CI", () => {
    expect(isContinuousIntegration({ CI: "false" })).toBe(false);
    expect(isContinuousIntegration({ CI: "0" })).toBe(false);
    expect(isContinuousIntegration({ CI: "" })).toBe(false);
    expect(isContinuousIntegration({ CI: "woodpecker" })).toBe(true);
    expect(detectBrowserSupport({ ...desktop, CI: "false" }, "linux")).toEqual({ browser: true });
  });
});
