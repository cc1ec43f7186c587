/**
 * The keychain's guards: a D-Bus session bus that accepts a connection and never answers must
 * turn into a quick, explained fallback to the file, never a hung command.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createCredentialStore } from "./credential-store.js";
import { KeychainTimeoutError, osKeychain, sessionBusAnswers, unixBusSocket } from "./keychain.js";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Unix socket that accepts connections and answers with `reply`, or never when it is null. */
async function busSocket(reply: string | null): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), "harmont-bus-"));
  const path = join(directory, "bus");
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    if (reply !== null) socket.once("data", () => socket.write(reply));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return path;
}

describe("unixBusSocket", () => {
  it("reads path and abstract addresses, and leaves other transports alone", () => {
    expect(unixBusSocket("unix:path=/run/user/1000/bus")).toBe("/run/user/1000/bus");
    expect(unixBusSocket("unix:abstract=/tmp/dbus-AbC,guid=0123")).toBe("\0/tmp/dbus-AbC");
    expect(unixBusSocket("unix:path=/tmp/with%20space")).toBe("/tmp/with space");
    expect(unixBusSocket("tcp:host=127.0.0.1,port=5555;unix:path=/second")).toBe("/second");
    expect(unixBusSocket("tcp:host=127.0.0.1,port=5555")).toBeNull();
  });
});

describe("sessionBusAnswers", () => {
  it("is true for a bus that answers the handshake, whatever it says", async () => {
    expect(await sessionBusAnswers(`unix:path=${await busSocket("REJECTED EXTERNAL\r\n")}`, 2000)).toBe(true);
    expect(await sessionBusAnswers(`unix:path=${await busSocket("OK 0123456789abcdef\r\n")}`, 2000)).toBe(true);
  });

  it("is false for a silent bus within the time limit, and for a socket that is not there", async () => {
    const started = Date.now();
    expect(await sessionBusAnswers(`unix:path=${await busSocket(null)}`, 300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await sessionBusAnswers("unix:path=/nonexistent/harmont/bus", 300)).toBe(false);
  });
});

describe("osKeychain on Linux with a silent session bus", () => {
  it("fails each call quickly instead of hanging, and the store falls back to the file with the reason", async () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${await busSocket(null)}` };
    const choice = osKeychain({ env, platform: "linux", timeoutMs: 300 });
    if (!("use" in choice)) throw new Error("expected the keychain to be tried");
    await expect(choice.use.get("account")).rejects.toBeInstanceOf(KeychainTimeoutError);

    const directory = mkdtempSync(join(tmpdir(), "harmont-store-"));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const store = createCredentialStore({ configDirectory: directory, env, keychain: choice, keychainTimeoutMs: 1000 });
    const started = Date.now();
    const saved = await store.save({ profile: "default", apiUrl: "http://127.0.0.1:1" }, "hmt_token");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(saved.storage).toBe("file");
    expect(saved.keychainSkipped).toContain("D-Bus session bus did not answer");
  });
});
