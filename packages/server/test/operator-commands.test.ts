/**
 * `harmont-server users …` as an operator runs it, beside a running server: the commands find
 * the server's database by the same rule (a relative path against the directory the command was
 * run in, npm's INIT_CWD when npm ran it), print it, and refuse a database no server created,
 * so a command cannot succeed on another, empty file while the server keeps the old state.
 * Runs the built command (`npm test` builds it first).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import * as OTPAuth from "otpauth";
import pg from "pg";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { loadConfig } from "../src/config.js";
import { createPostgresTestDatabase, postgresUrl, reportSkippedPostgres } from "../src/test-support/databases.js";
import { findFreePort } from "../src/test-support/ports.js";

reportSkippedPostgres();

const command = fileURLToPath(new URL("../bin/harmont-server.js", import.meta.url));
const PASSWORD = "an operator passphrase";

/** The environment of a shell with no Harmont settings and not inside npm, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("HARMONT_") && key !== "INIT_CWD" && !key.startsWith("npm_")) env[key] = value;
  }
  return { ...env, HARMONT_LOG_LEVEL: "warn", ...extra };
}

/** What npm passes to a script it runs in `packageDirectory` after being run in `ranIn`. */
function npmEnv(ranIn: string, packageDirectory: string): Record<string, string> {
  return { INIT_CWD: ranIn, npm_package_json: join(packageDirectory, "package.json"), npm_command: "run-script", npm_lifecycle_event: "start" };
}

function run(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }) {
  return spawnSync(process.execPath, [command, ...args], { cwd: options.cwd, env: cleanEnv(options.env), input: options.input ?? "", encoding: "utf8" });
}

function temporaryDirectory(prefix: string): string {
  // realpath: the server prints resolved paths, and the temporary directory may be a symlink.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function waitForServer(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/v0/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("server did not start");
}

async function signIn(url: string): Promise<Response> {
  return fetch(`${url}/api/v0/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "op@example.com", password: PASSWORD }),
  });
}

/** Every file under a directory, relative to it. */
function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: "utf8" }).filter((path) => statSync(join(directory, path)).isFile());
}

describe("harmont-server users", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
  });

  it("uses the server's database from the repository root and through npm, and a disable signs the user out of the running server", async () => {
    // A clone: `npm start` runs the server in packages/server with INIT_CWD at the root.
    const root = temporaryDirectory("harmont-clone-");
    const serverPackage = join(root, "packages", "server");
    mkdirSync(serverPackage, { recursive: true });
    const expectedFile = join(root, ".harmont", "harmont.db");

    const port = await findFreePort();
    const child = spawn(process.execPath, [command], {
      cwd: serverPackage,
      env: cleanEnv({ ...npmEnv(root, serverPackage), PORT: String(port), HARMONT_HOST: "127.0.0.1" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let banner = "";
    child.stderr!.on("data", (chunk: Buffer) => (banner += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitForServer(url, child);
    expect(banner).toContain(`Data: ${expectedFile}`);
    expect(existsSync(expectedFile)).toBe(true);
    expect(existsSync(join(serverPackage, ".harmont"))).toBe(false);

    // As the banner suggests: from the root, in a plain shell.
    const created = run(["users", "create", "--email", "Op@Example.com", "--name", "Op"], { cwd: root, input: `${PASSWORD}\n` });
    expect(created.stderr).not.toContain(PASSWORD);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^created op@example\.com \(usr_/);
    expect(created.stderr).toContain(`database ${expectedFile}`);
    expect(run(["users", "create", "--email", "op@example.com"], { cwd: root, input: `${PASSWORD}\n` }).status).toBe(1);
    const weak = run(["users", "create", "--email", "weak@example.com"], { cwd: root, input: "password\n" });
    expect(weak.status).toBe(1);
    expect(weak.stderr).toMatch(/common/);

    // Through npm from the root (`npm exec -w @harmont/server`): the same file.
    const listed = run(["users", "list"], { cwd: serverPackage, env: npmEnv(root, serverPackage) });
    expect(listed.status).toBe(0);
    expect(listed.stderr).toContain(`database ${expectedFile}`);
    const [header, ...rows] = listed.stdout.trimEnd().split("\n");
    expect(header!.split(/\s+/)).toEqual(["EMAIL", "ID", "VERIFIED", "DISABLED", "CREATED"]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split(/\s+/)).toEqual(["op@example.com", expect.stringMatching(/^usr_/), "yes", "no", expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)]);

    // The account signs in on the running server...
    const login = await signIn(url);
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const session = () => fetch(`${url}/api/v0/auth/session`, { headers: { authorization: `Bearer ${token}` } });
    expect((await session()).status).toBe(200);

    // ...and a disable from the root revokes that live session.
    const disabled = run(["users", "disable", "--email", "op@example.com"], { cwd: root });
    expect(disabled.status).toBe(0);
    expect(disabled.stdout).toContain("revoked 1 session");
    expect((await session()).status).toBe(401);
    expect((await signIn(url)).status).toBe(401);

    const json = run(["users", "list", "--json"], { cwd: root });
    expect(JSON.parse(json.stdout)).toEqual([
      { email: "op@example.com", id: expect.stringMatching(/^usr_/), name: "Op", email_verified: true, disabled: true, created_at: expect.any(String) },
    ]);

    const enabled = run(["users", "enable", "--email", "op@example.com"], { cwd: root });
    expect(enabled.status).toBe(0);
    expect(enabled.stdout).toContain("enabled op@example.com");
    expect((await signIn(url)).status).toBe(200);
    // The revoked session stays revoked.
    expect((await session()).status).toBe(401);
    expect(run(["users", "enable", "--email", "op@example.com"], { cwd: root }).stdout).toContain("was not disabled");

    // A lost authenticator: reset-2fa removes it and signs everything out; the password alone signs in again.
    const again = (await (await signIn(url)).json()) as { token: string };
    const call = (path: string, json: unknown) =>
      fetch(`${url}/api/v0${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${again.token}` }, body: JSON.stringify(json) });
    const { secret } = (await (await call("/auth/2fa/totp", { password: PASSWORD })).json()) as { secret: string };
    expect((await call("/auth/2fa/totp/confirm", { code: new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate() })).status).toBe(200);
    expect((await signIn(url)).status).toBe(202);
    const reset = run(["users", "reset-2fa", "--email", "op@example.com"], { cwd: root });
    expect(reset.status).toBe(0);
    expect(reset.stdout).toContain("removed two-step verification from op@example.com");
    expect((await fetch(`${url}/api/v0/auth/session`, { headers: { authorization: `Bearer ${again.token}` } })).status).toBe(401);
    expect((await signIn(url)).status).toBe(200);
    expect(run(["users", "reset-2fa", "--email", "op@example.com"], { cwd: root }).stdout).toContain("has no two-step verification");

    // The operator role: only from here; taking it away signs the account out everywhere.
    expect(run(["users", "grant-operator", "--email", "op@example.com"], { cwd: root }).stdout).toContain("op@example.com is now a platform operator");
    expect(run(["users", "grant-operator", "--email", "op@example.com"], { cwd: root }).stdout).toContain("is an operator already");
    const operatorSession = (await (await signIn(url)).json()) as { token: string };
    const revoked = run(["users", "revoke-operator", "--email", "op@example.com"], { cwd: root });
    expect([revoked.status, revoked.stdout]).toEqual([0, expect.stringContaining("is no longer an operator")]);
    expect((await fetch(`${url}/api/v0/auth/session`, { headers: { authorization: `Bearer ${operatorSession.token}` } })).status).toBe(401);
    expect(run(["users", "revoke-operator", "--email", "op@example.com"], { cwd: root }).stdout).toContain("is not an operator");

    expect(run(["impersonations", "list"], { cwd: root }).stdout).toBe("no support sessions\n");
    const unknownSession = run(["impersonations", "show", "ses_nope"], { cwd: root });
    expect([unknownSession.status, unknownSession.stderr]).toEqual([1, expect.stringContaining("no support session ses_nope")]);
    expect(run(["impersonations"], { cwd: root }).status).toBe(2);

    for (const action of ["disable", "enable", "reset-2fa", "grant-operator", "revoke-operator"]) {
      const unknown = run(["users", action, "--email", "nobody@example.com"], { cwd: root });
      expect(unknown.status, action).toBe(1);
      expect(unknown.stderr, action).toContain(`no account with the email nobody@example.com in ${expectedFile}`);
    }

    child.kill("SIGTERM");
    expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(0);
    // Nothing was made anywhere but the one data directory.
    expect(filesUnder(root).filter((path) => !path.startsWith(".harmont/"))).toEqual([]);
  }, 60_000);

  it("introspection-client new prints a secret once and the settings entry that holds only its hash", () => {
    const dir = temporaryDirectory("harmont-introspection-");
    const made = run(["introspection-client", "new", "billing-api"], { cwd: dir });
    expect(made.status).toBe(0);
    const secret = /^client_secret: ([A-Za-z0-9_-]{43})$/m.exec(made.stdout)![1]!;
    expect(made.stdout).toContain("client_id:     billing-api");
    const entry = /HARMONT_INTROSPECTION_CLIENTS=(\S+)/.exec(made.stderr)![1]!;
    expect(entry).toBe(`billing-api=sha256:${createHash("sha256").update(secret).digest("base64url")}`);
    expect(made.stderr).not.toContain(secret);
    // The entry is one the server accepts.
    expect(loadConfig({ HARMONT_INTROSPECTION_CLIENTS: entry }).oauth.introspectionClients[0]?.id).toBe("billing-api");
    expect(run(["introspection-client", "new", "Bad Id"], { cwd: dir }).status).toBe(2);
    expect(run(["introspection-client"], { cwd: dir }).status).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a missing database with a clear message and creates nothing", () => {
    const dir = temporaryDirectory("harmont-nodb-");
    const elsewhere = join(dir, "nested", "h.db");
    for (const [args, env, input] of [
      [["users", "list"], {}, ""],
      [["users", "create", "--email", "op@example.com"], {}, `${PASSWORD}\n`],
      [["users", "disable", "--email", "op@example.com"], {}, ""],
      [["users", "enable", "--email", "op@example.com"], { HARMONT_DATABASE_URL: `sqlite:${elsewhere}` }, ""],
    ] as Array<[string[], Record<string, string>, string]>) {
      const result = run(args, { cwd: dir, env, input });
      expect(result.status, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toMatch(/there is no database at .*; nothing was changed/);
      expect(result.stderr, args.join(" ")).toMatch(/start it/);
      expect(result.stdout).toBe("");
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a database file no server migrated, and leaves it as it was", () => {
    const dir = temporaryDirectory("harmont-empty-");
    const file = join(dir, "empty.db");
    writeFileSync(file, "");
    const result = run(["users", "list"], { cwd: dir, env: { HARMONT_DATABASE_URL: "sqlite:empty.db" } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`database ${file}`);
    expect(result.stderr).toMatch(/no Harmont tables/);
    expect(statSync(file).size).toBe(0);
    expect(readdirSync(dir)).toEqual(["empty.db"]);
  });

  it.runIf(Boolean(postgresUrl))("refuses a PostgreSQL database no server migrated, and creates no table in it", async () => {
    const database = await createPostgresTestDatabase();
    onTestFinished(() => database.drop());
    const result = run(["users", "create", "--email", "op@example.com"], { cwd: tmpdir(), env: { HARMONT_DATABASE_URL: database.url }, input: `${PASSWORD}\n` });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no Harmont tables/);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const tables = await client.query("select table_name from information_schema.tables where table_schema = 'public'");
      expect(tables.rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it("shows the users help without a subcommand, and refuses an unknown one or a missing --email with exit code 2", () => {
    const dir = temporaryDirectory("harmont-help-");
    for (const args of [["users"], ["users", "--help"], ["users", "help"]]) {
      const help = run(args, { cwd: dir });
      expect(help.status, args.join(" ")).toBe(0);
      for (const action of ["create", "list", "disable", "enable", "reset-2fa", "grant-operator", "revoke-operator"]) expect(help.stdout, args.join(" ")).toContain(`harmont-server users ${action}`);
    }
    const unknown = run(["users", "frobnicate"], { cwd: dir });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "users frobnicate"');
    expect(run(["users", "create"], { cwd: dir }).status).toBe(2);
    expect(run(["users", "disable"], { cwd: dir }).status).toBe(2);
    // No command looked for, or made, a database.
    expect(readdirSync(dir)).toEqual([]);
  });
});
