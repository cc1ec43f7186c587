import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandOpener, splitCommandLine } from "./opener.js";

const node = (script: string) => `"${process.execPath}" -e "${script.replaceAll('"', '\\"')}"`;

describe("splitCommandLine", () => {
  it("splits on spaces and keeps quoted words whole", () => {
    expect(splitCommandLine("firefox --new-window")).toEqual(["firefox", "--new-window"]);
    expect(splitCommandLine(`"/Applications/My Browser.app/run" --flag 'a b' c\\ d ""`)).toEqual(["/Applications/My Browser.app/run", "--flag", "a b", "c d", ""]);
    expect(splitCommandLine("  ")).toEqual([]);
  });
});

describe("commandOpener", () => {
  it("passes the URL as the last argument and succeeds when the command exits 0", async () => {
    const directory = mkdtempSync(join(tmpdir(), "harmont-opener-"));
    try {
      const out = join(directory, "argv.json");
      const open = commandOpener(`${node(`require('fs').writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))`)} ${JSON.stringify(out)} --flag`);
      expect(await open("http://localhost/cli-login?nonce=a&b=c")).toEqual({ ok: true });
      expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(["--flag", "http://localhost/cli-login?nonce=a&b=c"]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("fails when the command exits non-zero (xdg-open without a browser exits 3) or cannot be started", async () => {
    expect(await commandOpener(node("process.exit(3)"))("http://x")).toEqual({ ok: false, reason: `${process.execPath} exited with code 3` });
    const missing = await commandOpener("/nonexistent/browser --flag")("http://x");
    expect(missing).toEqual({ ok: false, reason: "could not run /nonexistent/browser: ENOENT" });
    expect(await commandOpener("   ")("http://x")).toMatchObject({ ok: false });
  });

  it("takes a launcher still running after the grace period as a success", async () => {
    const started = Date.now();
    expect(await commandOpener(node("setTimeout(() => {}, 1500)"), { graceMs: 150 })("http://x")).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
