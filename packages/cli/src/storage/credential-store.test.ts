import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backdateLock, leaveLocksOfKilledProcess, startLockWorker, useLockWorkers } from "../../test/support/lock-workers.js";
import { configDirectoryFor, createCredentialStore, CredentialStoreError, keychainAccount } from "./credential-store.js";
import { osKeychain, type Keychain } from "./keychain.js";

useLockWorkers();

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "harmont-store-"));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const local = { profile: "default", apiUrl: "http://localhost:8080" };
const staging = { profile: "default", apiUrl: "https://auth.staging.example.com" };
const work = { profile: "work", apiUrl: "http://localhost:8080" };

/** A keychain in memory; `drop` makes it accept writes and keep nothing. */
class MemoryKeychain implements Keychain {
  readonly secrets = new Map<string, string>();
  constructor(private readonly behaviour: "works" | "drops" | "hangs" | "throws" = "works") {}
  async get(account: string) {
    if (this.behaviour === "hangs") return new Promise<string | null>(() => {});
    return this.secrets.get(account) ?? null;
  }
  async set(account: string, secret: string) {
    if (this.behaviour === "hangs") return new Promise<void>(() => {});
    if (this.behaviour === "throws") throw new Error("Platform failure: DBus error: the name is not activatable\nmore detail");
    if (this.behaviour === "works") this.secrets.set(account, secret);
  }
  async delete(account: string) {
    return this.secrets.delete(account);
  }
}

const fileStore = (env: Record<string, string> = {}) =>
  createCredentialStore({ configDirectory: directory, env, keychain: { skip: "no keychain in this test" } });

describe("the file store", () => {
  it("keeps one token per profile and API URL, in a 0600 file, and says why the keychain was not used", async () => {
    const store = fileStore();
    const saved = await store.save(local, "hmt_local");
    expect(saved).toEqual({ storage: "file", location: join(directory, "credentials.json"), keychainSkipped: "no keychain in this test" });
    await store.save(staging, "hmt_staging");
    await store.save(work, "hmt_work");
    expect(statSync(store.filePath).mode & 0o777).toBe(0o600);

    expect(await store.load(local)).toMatchObject({ token: "hmt_local", source: "file", location: store.filePath, expiresAt: null });
    expect((await store.load(staging))?.token).toBe("hmt_staging");
    expect((await store.load(work))?.token).toBe("hmt_work");
    expect(await store.load({ profile: "other", apiUrl: local.apiUrl })).toBeNull();
  });

  it("keeps every profile's token when several log in at the same time", async () => {
    const profiles = Array.from({ length: 8 }, (_, index) => ({ profile: `p${index}`, apiUrl: "http://localhost:8080" }));
    // One store each, as separate processes would have.
    await Promise.all(profiles.map((key, index) => fileStore().save(key, `hmt_token_${index}`)));
    const reader = fileStore();
    for (const [index, key] of profiles.entries()) expect((await reader.loadStored(key))?.token).toBe(`hmt_token_${index}`);
    await Promise.all(profiles.slice(0, 4).map((key) => fileStore().remove(key)));
    for (const [index, key] of profiles.entries()) expect((await reader.loadStored(key))?.token ?? null).toBe(index < 4 ? null : `hmt_token_${index}`);
  });

  it("keeps every token when separate processes save at the same time, many times over", async () => {
    const profiles = ["ada", "grace"];
    const count = 30;
    const workers = profiles.map((profile) => startLockWorker({ kind: "save", directory, profile, count }));
    for (const exit of await Promise.all(workers.map((worker) => worker.exited))) expect(exit.code, exit.stderr).toBe(0);

    const reader = fileStore();
    const missing: string[] = [];
    for (const profile of profiles) {
      for (let index = 0; index < count; index++) {
        const loaded = await reader.loadStored({ profile, apiUrl: `http://127.0.0.1:${10_000 + index}` });
        if (loaded?.token !== `hmt_${profile}_${index}`) missing.push(`${profile} ${index}`);
      }
    }
    expect(missing).toEqual([]);
    expect(readdirSync(directory)).toEqual(["credentials.json"]);
  });

  it("saves past the lock of a process killed while it held it", async () => {
    const store = fileStore();
    await store.save(local, "hmt_before");
    await leaveLocksOfKilledProcess([store.filePath]);
    backdateLock(`${store.filePath}.lock`); // instead of waiting the 10 s after which it is stale
    await store.save(work, "hmt_after");
    expect((await store.loadStored(local))?.token).toBe("hmt_before");
    expect((await store.loadStored(work))?.token).toBe("hmt_after");
    expect(readdirSync(directory)).toEqual(["credentials.json"]);
  });

  it("remembers the API URL a profile last logged in to, even after logout", async () => {
    const store = fileStore();
    expect(await store.rememberedApiUrl("default")).toBeNull();
    await store.save(local, "a");
    await store.save(staging, "b");
    expect(await store.rememberedApiUrl("default")).toBe(staging.apiUrl);
    expect(await store.remove(staging)).toEqual({ removed: true, keychainError: null });
    expect(await store.load(staging)).toBeNull();
    expect((await store.load(local))?.token).toBe("a");
    expect(await store.rememberedApiUrl("default")).toBe(staging.apiUrl);
    expect(await store.remove(staging)).toEqual({ removed: false, keychainError: null });
  });

  it("HARMONT_TOKEN overrides the stored token; loadStored ignores it", async () => {
    const store = fileStore({ HARMONT_TOKEN: " hmt_from_env \n" });
    await store.save(local, "hmt_stored");
    expect(await store.load(local)).toEqual({ token: "hmt_from_env", source: "env", location: "HARMONT_TOKEN", expiresAt: null, savedAt: null });
    expect((await store.loadStored(local))?.token).toBe("hmt_stored");
    const other = createCredentialStore({ configDirectory: directory, env: { HARMONT_TOKEN: "x", ACME_TOKEN: "y" }, tokenVariable: "ACME_TOKEN", keychain: { skip: "-" } });
    expect((await other.load(local))?.token).toBe("y");
    const none = createCredentialStore({ configDirectory: directory, env: { HARMONT_TOKEN: "x" }, tokenVariable: null, keychain: { skip: "-" } });
    expect((await none.load(local))?.token).toBe("hmt_stored");
  });

  it("records the session's expiry at login and when the server reports a later one", async () => {
    const store = fileStore();
    await store.save(local, "hmt_local", { expiresAt: "2030-01-01T00:00:00.000Z" });
    const loaded = (await store.loadStored(local))!;
    expect(loaded.expiresAt).toBe("2030-01-01T00:00:00.000Z");
    expect(loaded.savedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    await store.recordExpiry(local, loaded, "2030-02-01T00:00:00.000Z");
    expect((await store.loadStored(local))?.expiresAt).toBe("2030-02-01T00:00:00.000Z");
    // Saved without one (the account could not be read): nothing recorded, rather than a guess.
    await store.save(work, "hmt_work");
    expect((await store.loadStored(work))?.expiresAt).toBeNull();
  });

  it("does not put one token's expiry on another that replaced it meanwhile, nor on an environment token", async () => {
    const store = fileStore();
    await store.save(local, "hmt_old", { expiresAt: "2030-01-01T00:00:00.000Z" });
    const old = (await store.loadStored(local))!;
    await store.save(local, "hmt_new", { expiresAt: "2031-01-01T00:00:00.000Z" });
    await store.recordExpiry(local, old, "2030-06-01T00:00:00.000Z");
    expect(await store.loadStored(local)).toMatchObject({ token: "hmt_new", expiresAt: "2031-01-01T00:00:00.000Z" });

    const fromEnvironment = fileStore({ HARMONT_TOKEN: "hmt_env" });
    const environmentCredential = (await fromEnvironment.load(local))!;
    await fromEnvironment.recordExpiry(local, environmentCredential, "2032-01-01T00:00:00.000Z");
    expect(readFileSync(store.filePath, "utf8")).not.toContain("2032");
    // Gone meanwhile (logged out): nothing is written back.
    await store.remove(local);
    await store.recordExpiry(local, old, "2030-06-01T00:00:00.000Z");
    expect(await store.loadStored(local)).toBeNull();
  });

  it("reads a file written before expiries were recorded", async () => {
    writeFileSync(
      join(directory, "credentials.json"),
      JSON.stringify({ version: 1, profiles: { default: { api_url: local.apiUrl, tokens: { [local.apiUrl]: { storage: "file", token: "hmt_old", saved_at: "2025-01-01T00:00:00.000Z" } } } } }),
    );
    expect(await fileStore().loadStored(local)).toEqual({ token: "hmt_old", source: "file", location: join(directory, "credentials.json"), expiresAt: null, savedAt: "2025-01-01T00:00:00.000Z" });
  });

  it("refuses a file it does not understand instead of overwriting it", async () => {
    writeFileSync(join(directory, "credentials.json"), "{ not json");
    const store = fileStore();
    await expect(store.load(local)).rejects.toBeInstanceOf(CredentialStoreError);
    await expect(store.save(local, "t")).rejects.toBeInstanceOf(CredentialStoreError);
    expect(readFileSync(join(directory, "credentials.json"), "utf8")).toBe("{ not json");
  });
});

describe("the keychain", () => {
  it("holds the token when it works: proved by reading it back, the file keeps no secret", async () => {
    const keychain = new MemoryKeychain();
    const store = createCredentialStore({ configDirectory: directory, env: {}, keychain: { use: keychain } });
    expect(await store.save(local, "hmt_secret")).toEqual({ storage: "keychain", location: "harmont", keychainSkipped: null });
    expect(keychain.secrets.get(keychainAccount(local))).toBe("hmt_secret");
    expect(readFileSync(store.filePath, "utf8")).not.toContain("hmt_secret");
    expect(await store.load(local)).toMatchObject({ token: "hmt_secret", source: "keychain", location: "harmont" });
    // The expiry is kept in the file beside the entry: it is no secret.
    await store.recordExpiry(local, (await store.load(local))!, "2030-01-01T00:00:00.000Z");
    expect((await store.load(local))?.expiresAt).toBe("2030-01-01T00:00:00.000Z");
    await store.remove(local);
    expect(keychain.secrets.size).toBe(0);
    expect(await store.load(local)).toBeNull();
  });

  it.each([
    ["accepts the token but keeps nothing", "drops", /did not give it back/],
    ["fails", "throws", /^the keychain failed: Platform failure: DBus error: the name is not activatable$/],
    ["never answers", "hangs", /did not answer within 0\.2 s/],
  ] as const)("falls back to the file when it %s, with one line saying why", async (_what, behaviour, reason) => {
    const store = createCredentialStore({ configDirectory: directory, env: {}, keychain: { use: new MemoryKeychain(behaviour) }, keychainTimeoutMs: 200 });
    const started = Date.now();
    const saved = await store.save(local, "hmt_secret");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(saved.storage).toBe("file");
    expect(saved.keychainSkipped).toMatch(reason);
    expect(saved.keychainSkipped).not.toContain("\n");
    expect(await store.load(local)).toMatchObject({ token: "hmt_secret", source: "file", location: store.filePath });
    expect(statSync(store.filePath).mode & 0o777).toBe(0o600);
  });

  it("on Linux, only with a D-Bus session bus (the Secret Service); never on unknown platforms", () => {
    expect(osKeychain({ env: {}, platform: "linux" })).toEqual({ skip: "no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)" });
    expect("use" in osKeychain({ env: { DBUS_SESSION_BUS_ADDRESS: "unix:path=/run/user/1000/bus" }, platform: "linux" })).toBe(true);
    expect("use" in osKeychain({ env: {}, platform: "darwin" })).toBe(true);
    expect("use" in osKeychain({ env: {}, platform: "win32" })).toBe(true);
    expect(osKeychain({ env: {}, platform: "aix" })).toEqual({ skip: "no supported keychain on aix" });
  });
});

describe("configDirectoryFor", () => {
  it("follows XDG_CONFIG_HOME when absolute, else ~/.config", () => {
    expect(configDirectoryFor("harmont", { XDG_CONFIG_HOME: "/x/config", HOME: "/home/ada" })).toBe("/x/config/harmont");
    expect(configDirectoryFor("harmont", { XDG_CONFIG_HOME: "relative", HOME: "/home/ada" })).toBe("/home/ada/.config/harmont");
    expect(configDirectoryFor("acme", { HOME: "/home/ada" })).toBe("/home/ada/.config/acme");
  });
});
