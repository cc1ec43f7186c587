/**
 * Short codes (8-digit email codes, 80-bit paste codes) are stored as HMACs under the server's
 * secret key, so a copy of the database gives no code back. In development the key is made once
 * beside the database and kept, so a code survives a restart.
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteTestDatabase, type TestDatabase } from "../test-support/databases.js";
import { createTestServerWithMail } from "../test-support/harness.js";
import { hashSecret } from "./tokens.js";

type Server = Awaited<ReturnType<typeof createTestServerWithMail>>;
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(database: TestDatabase, env: Record<string, string> = {}) {
  const server = await createTestServerWithMail(database, env);
  servers.push(server);
  return server;
}

/** A database whose files outlive one server, for a restart. */
function keptDatabase(): TestDatabase {
  const database = createSqliteTestDatabase();
  return { ...database, drop: async () => {} };
}

const hmac = (key: Buffer, value: string) => createHmac("sha256", key).update(value).digest("base64url");
const storedEmailCode = async (server: Server, email: string) =>
  (await server.database.db.selectFrom("email_codes").select("code_hash").where("email", "=", email).executeTakeFirstOrThrow()).code_hash;

describe("short codes at rest", () => {
  it("stores an email code as an HMAC under the configured key, never as its plain SHA-256", async () => {
    const key = randomBytes(32);
    const server = await start(createSqliteTestDatabase(), { HARMONT_SECRET_KEY: key.toString("base64url") });
    await server.request("/api/v0/auth/email-code", { json: { email: "ada@example.com" } });
    const code = await server.smtp.latestCode("ada@example.com");
    const stored = await storedEmailCode(server, "ada@example.com");
    expect(stored).not.toBe(hashSecret(code));
    expect(stored).toBe(hmac(key, code));
    // No key file is written when the key is configured.
    const databaseDir = dirname(server.config.databaseUrl.slice("sqlite:".length));
    expect(() => statSync(join(databaseDir, "secret.key"))).toThrow();
  });

  it("stores a paste code as an HMAC too", async () => {
    const key = randomBytes(32);
    const server = await start(createSqliteTestDatabase(), { HARMONT_SECRET_KEY: key.toString("base64url") });
    const signup = await server.request("/api/v0/auth/signup", { json: { email: "grace@example.com", password: "correct horse battery staple" } });
    const { token } = (await signup.json()) as { token: string };
    const minted = await server.request("/api/v0/auth/cli/code", { method: "POST", token });
    const { code } = (await minted.json()) as { code: string };
    const canonical = code.replace(/-/g, "");
    const grant = await server.database.db.selectFrom("grants").select("secret_hash").where("kind", "=", "cli_paste_code").executeTakeFirstOrThrow();
    expect(grant.secret_hash).toBe(hmac(key, canonical));
    expect(grant.secret_hash).not.toBe(hashSecret(canonical));
    expect((await server.request("/api/v0/auth/cli/redeem", { json: { code } })).status).toBe(200);
  });

  it("in development makes a key once beside the database (0600), and a code sent before a restart works after it", async () => {
    const database = keptDatabase();
    const first = await start(database);
    const keyPath = join(dirname(database.url.slice("sqlite:".length)), "secret.key");
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyPath, "utf8");
    await first.request("/api/v0/auth/email-code", { json: { email: "lin@example.com" } });
    const code = await first.smtp.latestCode("lin@example.com");
    expect(await storedEmailCode(first, "lin@example.com")).toBe(hmac(Buffer.from(key.trim(), "base64url"), code));
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    const second = await start(database);
    expect(readFileSync(keyPath, "utf8")).toBe(key);
    const verified = await second.request("/api/v0/auth/email-code/verify", { json: { email: "lin@example.com", code } });
    expect(verified.status).toBe(200);
  });

  it("a different key makes a different digest: the database alone does not tell the code", async () => {
    const one = await start(createSqliteTestDatabase(), { HARMONT_SECRET_KEY: randomBytes(32).toString("base64url") });
    const other = await start(createSqliteTestDatabase(), { HARMONT_SECRET_KEY: randomBytes(32).toString("base64url") });
    expect(one.deps.auth.shortCodes.hash("12345678")).not.toBe(other.deps.auth.shortCodes.hash("12345678"));
  });
});
