import { describe, expect, it } from "vitest";
import { Spinner } from "./spinner.js";
import { colorEnabled, createStyle } from "./style.js";

const tty = { isTTY: true };

describe("colour", () => {
  it("only on a terminal, and never with NO_COLOR, --no-color or TERM=dumb", () => {
    expect(colorEnabled(tty, {}, false)).toBe(true);
    expect(colorEnabled({ isTTY: false }, {}, false)).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "1" }, false)).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "" }, false)).toBe(true); // no-color.org: only a non-empty value counts
    expect(colorEnabled(tty, {}, true)).toBe(false);
    expect(colorEnabled(tty, { TERM: "dumb" }, false)).toBe(false);
    expect(createStyle(true).red("x")).toBe("\x1b[31mx\x1b[39m");
    expect(createStyle(false).red("x")).toBe("x");
  });
});

describe("the spinner", () => {
  const recorder = (isTTY: boolean) => {
    const writes: string[] = [];
    return { stream: { isTTY, write: (text: string) => writes.push(text) }, writes };
  };

  it("off a terminal prints its text once, and nothing else", () => {
    const { stream, writes } = recorder(false);
    const spinner = new Spinner(stream, createStyle(false), {});
    spinner.start("Waiting…");
    spinner.update("Still waiting…");
    spinner.log("a note");
    spinner.stop();
    expect(writes).toEqual(["Waiting…\n", "a note\n"]);
  });

  it("on a terminal turns, keeps notes above itself, and gives the cursor back", async () => {
    const { stream, writes } = recorder(true);
    const spinner = new Spinner(stream, createStyle(false), {});
    spinner.start("Waiting…");
    await new Promise((resolve) => setTimeout(resolve, 200));
    spinner.log("a note");
    spinner.stop();
    const text = writes.join("");
    expect(text.startsWith("\x1b[?25l")).toBe(true);
    expect(new Set(text.match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g)).size).toBeGreaterThan(1);
    expect(text).toContain("\r\x1b[2Ka note\n");
    expect(text.endsWith("\r\x1b[2K\x1b[?25h")).toBe(true);
    expect(spinner.running).toBe(false);
  });
});
