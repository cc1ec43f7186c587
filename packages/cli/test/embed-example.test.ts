/**
 * The example the embedding guide points at (examples/embed.ts) works against a real server:
 * through the browser handoff and through a paste code, with its own config directory; and the
 * guide names only what the package exports.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { getSession } from "@harmont/cloud";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { acmeClient, loginToAcme } from "../examples/embed.js";
import { startTestServer, type TestServer } from "./support/harness.js";

let server: TestServer;
let directory: string;
const savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;

beforeAll(async () => {
  server = await startTestServer();
  // The example uses the OS keychain where there is one: keep this test to the file.
  delete process.env.DBUS_SESSION_BUS_ADDRESS;
});
afterAll(async () => {
  if (savedBus !== undefined) process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
  await server?.stop();
});
afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe.runIf(process.platform === "linux")("the embedding example", () => {
  it("logs in through the browser: the opener plays the web app and approves", async () => {
    directory = mkdtempSync(join(tmpdir(), "harmont-embed-"));
    const person = await server.signup();
    const output = new PassThrough();
    let printed = "";
    output.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    const result = await loginToAcme({
      apiUrl: server.url,
      configDirectory: directory,
      output,
      way: "browser",
      open: async (url) => {
        const nonce = new URL(url).searchParams.get("nonce");
        const transfer = await server.api("/api/v0/auth/cli/transfer", { token: person.token, json: { nonce } });
        return transfer.status === 204 ? { ok: true } : { ok: false, reason: `transfer answered ${transfer.status}` };
      },
    });
    expect(result).toEqual({ email: person.email, storedIn: join(directory, "credentials.json") });
    expect(statSync(result.storedIn).mode & 0o777).toBe(0o600);
    expect(printed).toMatch(/Continue only if the page shows: [a-z]+-[a-z]+-[a-z]+-[a-z]+/);

    const { data } = await getSession({ client: acmeClient(server.url, directory) });
    expect(data?.session.name).toMatch(/^acme CLI on /);
  });

  it("logs in with a paste code typed after a mistake", async () => {
    directory = mkdtempSync(join(tmpdir(), "harmont-embed-"));
    const person = await server.signup();
    const code = await server.pasteCode(person.token);
    const result = await loginToAcme({
      apiUrl: server.url,
      configDirectory: directory,
      input: Readable.from([`WRONG-CODE\n${code}\n`]),
      output: new PassThrough(),
      way: "paste",
    });
    expect(result.email).toBe(person.email);
  });
});

describe("the embedding guide", () => {
  const guide = readFileSync(new URL("../../../docs/guides/embedding-cli-login.md", import.meta.url), "utf8");

  it("points at the compiled example", () => {
    expect(guide).toContain("`packages/cli/examples/embed.ts`");
    expect(existsSync(new URL("../examples/embed.ts", import.meta.url))).toBe(true);
  });

  it("names only functions the package exports", async () => {
    const library = (await import("@harmont/cli")) as Record<string, unknown>;
    const table = guide.slice(guide.indexOf("## The parts"), guide.indexOf("## 1."));
    const named = [...table.matchAll(/`(\w+)\(/g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThanOrEqual(8);
    for (const name of named) expect(typeof library[name], name).toBe("function");
  });
});
