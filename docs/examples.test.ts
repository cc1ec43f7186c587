/**
 * The code in the docs cannot rot: every example file under docs/examples and every `ts` block of
 * the guides is type-checked against @harmont/cloud (the `.ts` ones with browser globals only,
 * the Node scripts, `.mjs`, as JavaScript and again as TypeScript), the SDK reference's import
 * lines and return types are checked to exist, and the example files run against a real,
 * listening server. docs/quick-start.test.ts runs the quick start's script as the page does.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import * as OTPAuth from "otpauth";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../packages/server/src/config.js";
import { createLogger, startServer, type RunningServer } from "../packages/server/src/server.js";
import { createSqliteTestDatabase, type TestDatabase } from "../packages/server/src/test-support/databases.js";
import { findFreePort } from "../packages/server/src/test-support/ports.js";

const docs = new URL("./", import.meta.url).pathname;
const root = new URL("../", import.meta.url).pathname;
const cloudEntry = join(root, "packages/cloud/src/index.ts");

/** The compiler's complaints about `files`; `node` adds Node's globals (for the `.mjs` scripts). */
function typeCheck(files: string[], { node = false } = {}): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    noEmit: true,
    skipLibCheck: true,
    // Browser globals only, what a page or a CLI can rely on without Node's types; Node's for scripts.
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: node ? ["node"] : [],
    allowJs: true,
    checkJs: true,
    // The SDK's sources, so the check needs no build.
    baseUrl: root,
    paths: { "@harmont/cloud": [cloudEntry] },
  };
  const program = ts.createProgram(files, options);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}` : "";
    return `${where} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
  });
}

const exampleFiles = (extension: ".ts" | ".mjs") =>
  readdirSync(join(docs, "examples"))
    .filter((name) => name.endsWith(extension))
    .map((name) => join(docs, "examples", name));

describe("type checking", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), "harmont-docs-"));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("every example file and every other ts block of the guides compiles", () => {
    const files = exampleFiles(".ts");
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const name of readdirSync(join(docs, "guides")).filter((file) => file.endsWith(".md"))) {
      const text = readFileSync(join(docs, "guides", name), "utf8");
      let index = 0;
      for (const match of text.matchAll(/^```(ts|typescript)( [^\n]*)?\n([\s\S]*?)^```$/gm)) {
        // Blocks that quote an example file are checked as that file (generated.test.ts checks the quote).
        if (match[2]?.includes('title="docs/examples/')) continue;
        const path = join(scratch, `${name.replace(/\.md$/, "")}-${index++}.mts`);
        writeFileSync(path, `${match[3]}\nexport {};\n`);
        files.push(path);
      }
    }
    expect(typeCheck(files)).toEqual([]);
  });

  it("the Node scripts type-check as JavaScript, and as TypeScript too", () => {
    const scripts = exampleFiles(".mjs");
    expect(scripts.map((path) => path.slice(docs.length))).toContain("examples/quick-start.mjs");
    const asTypeScript = scripts.map((path) => {
      const copy = join(scratch, path.slice(docs.length).replaceAll("/", "-").replace(/\.mjs$/, ".mts"));
      writeFileSync(copy, readFileSync(path, "utf8"));
      return copy;
    });
    expect(typeCheck([...scripts, ...asTypeScript], { node: true })).toEqual([]);
  });

  it("the SDK reference's import lines and return types exist in @harmont/cloud", () => {
    const lines: string[] = [];
    let index = 0;
    for (const name of readdirSync(join(docs, "sdk/reference"))) {
      const text = readFileSync(join(docs, "sdk/reference", name), "utf8");
      for (const [, line] of text.matchAll(/^(import \{ \w+ \} from "@harmont\/cloud";)$/gm)) lines.push(line!);
      for (const [, functionName, returned] of text.matchAll(/^(\w+)\(options\): RequestResult<(\w+)>$/gm)) {
        lines.push(`import { ${functionName} as check${index} } from "@harmont/cloud";`);
        // An answer without a body (RFC 7009's empty 200) is `unknown`, TypeScript's own type.
        if (returned === "unknown") lines.push(`import type { RequestResult as Result${index} } from "@harmont/cloud";`, `type Returned${index} = unknown;`);
        else lines.push(`import type { ${returned} as Returned${index}, RequestResult as Result${index} } from "@harmont/cloud";`);
        lines.push(`export type Call${index} = typeof check${index};`);
        lines.push(`export const returns${index}: Result${index}<Returned${index}> | undefined = undefined;`);
        index++;
      }
    }
    expect(index).toBeGreaterThan(5);
    const path = join(scratch, "sdk-reference.mts");
    writeFileSync(path, `${lines.join("\n")}\n`);
    expect(typeCheck([path])).toEqual([]);
  });
});

describe("running the examples against a real server", () => {
  let database: TestDatabase;
  let running: RunningServer;
  let baseUrl: string;

  beforeAll(async () => {
    if (!existsSync(join(root, "packages/cloud/dist/index.js"))) {
      throw new Error("@harmont/cloud is not built: run `npm run build` first (npm test does it)");
    }
    database = createSqliteTestDatabase();
    const config = loadConfig({ HARMONT_DATABASE_URL: database.url, PORT: "0", HARMONT_HOST: "127.0.0.1", HARMONT_LOG_LEVEL: "silent" });
    const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    running = await startServer(config, { logger: createLogger(config, silent) });
    baseUrl = running.url;
  });

  afterAll(async () => {
    await running?.stop();
    await database?.drop();
  });

  const email = () => `example-${Math.random().toString(36).slice(2)}@example.com`;

  /** A new account and its session token, for the examples that start signed in. */
  async function signUp(baseUrl: string, address: string, password: string) {
    const { createHarmontClient, signup } = await import("@harmont/cloud");
    const { data } = await signup({ client: createHarmontClient({ baseUrl }), body: { email: address, password }, throwOnError: true });
    return { token: data.token!, user: data.user };
  }

  it("CLI login, loopback: approve hands the CLI a new token; deny stops it; silence expires", async () => {
    const { answerLoopbackLogin, startLoopbackLogin, waitForLoopbackToken } = await import("./examples/cli-login-loopback.js");
    const { currentUserOrNull } = await import("./examples/errors.js");
    const { token: browserToken, user } = await signUp(baseUrl, email(), "correct horse battery staple");

    const login = await startLoopbackLogin("http://localhost:5173", 49152);
    expect(login.phrase).toMatch(/^[a-z]+-[a-z]+-[a-z]+-[a-z]+$/);
    const page = new URL(login.url);
    expect(page.pathname).toBe("/cli-login");
    expect(page.searchParams.get("nonce")).toBe(login.nonce);
    expect(page.searchParams.get("port")).toBe("49152");

    const waiting = waitForLoopbackToken(baseUrl, login.nonce, { sessionName: "docs example", intervalMs: 20, timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await answerLoopbackLogin(baseUrl, browserToken!, login.nonce, true);
    const cliToken = await waiting;
    expect(cliToken).not.toBe(browserToken);
    expect((await currentUserOrNull(baseUrl, () => cliToken))?.id).toBe(user.id);

    const denied = await startLoopbackLogin("http://localhost:5173", 49153);
    const refused = waitForLoopbackToken(baseUrl, denied.nonce, { intervalMs: 20, timeoutMs: 5000 });
    await answerLoopbackLogin(baseUrl, browserToken!, denied.nonce, false);
    await expect(refused).rejects.toThrow(/^cli_handoff_denied: /);

    const ignored = await startLoopbackLogin("http://localhost:5173", 49154);
    await expect(waitForLoopbackToken(baseUrl, ignored.nonce, { intervalMs: 20, timeoutMs: 100 })).rejects.toThrow(/expired/);
  });

  it("CLI login, paste code: the typed code is redeemed once, in any case and with dashes", async () => {
    const { redeemTypedCode, showPasteCode } = await import("./examples/cli-login-paste.js");
    const { token } = await signUp(baseUrl, email(), "correct horse battery staple");
    const shown = await showPasteCode(baseUrl, token!);
    expect(shown.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(shown.expiresAt.getTime()).toBeGreaterThan(Date.now());
    const typed = shown.code.toLowerCase().replaceAll("-", " ");
    expect(await redeemTypedCode(baseUrl, typed, "docs example")).toMatch(/^hmt_/);
    expect(await redeemTypedCode(baseUrl, typed, "docs example")).toBeNull();
  });

  it("organizations: a team is made, its invitation accepted from the mailed link once, and the CLI works in it", async () => {
    const { acceptFromLink, startTeam, workIn } = await import("./examples/organizations.js");
    // Orgs need a verified address; in development the mail is in the server's inbox.
    const verified = async () => {
      const address = email();
      const { token } = await signUp(baseUrl, address, "correct horse battery staple");
      const inbox = (await (await fetch(`${baseUrl}/api/v0/dev/mail`)).json()) as { messages: Array<{ to: string; subject: string; text: string }> };
      const code = /(\d{8})/.exec(inbox.messages.find((mail) => mail.to === address)!.subject)![1];
      const response = await fetch(`${baseUrl}/api/v0/auth/email/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
      expect(response.status).toBe(200);
      return { address, token };
    };
    const owner = await verified();
    const colleague = await verified();
    const slug = `team-${Math.random().toString(36).slice(2, 8)}`;
    const { org, invitation } = await startTeam(baseUrl, owner.token, { name: "Team", slug, invite: colleague.address });
    expect(invitation.email).toBe(colleague.address);
    const inbox = (await (await fetch(`${baseUrl}/api/v0/dev/mail`)).json()) as { messages: Array<{ to: string; text: string }> };
    const link = /(http\S+\/invitations#token=\S+)/.exec(inbox.messages.find((mail) => mail.to === colleague.address && mail.text.includes("#token="))!.text)![1]!;

    expect(await acceptFromLink(baseUrl, owner.token, link)).toMatchObject({ joined: false, code: "invite_email_mismatch" });
    expect(await acceptFromLink(baseUrl, colleague.token, link)).toEqual({ joined: true, org: "Team", role: "member" });
    expect(await acceptFromLink(baseUrl, colleague.token, link)).toMatchObject({ joined: false, code: "invite_invalid" });
    expect(await workIn(baseUrl, colleague.token, slug)).toEqual({ active: slug, role: "member", orgs: 1 });
    expect(org.role).toBe("owner");
  });

  it("two-step sign-in: a 202 challenge finished with a code from the app, or with an approval from a signed-in device", async () => {
    const { signIn, signInWithApproval } = await import("./examples/two-step-sign-in.js");
    const address = email();
    const password = "correct horse battery staple";
    const { token } = await signUp(baseUrl, address, password);
    const call = async (path: string, json?: unknown) =>
      fetch(`${baseUrl}/api/v0${path}`, {
        method: json === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
    const inbox = (await (await fetch(`${baseUrl}/api/v0/dev/mail`)).json()) as { messages: Array<{ to: string; subject: string }> };
    expect((await call("/auth/email/verify", { code: /(\d{8})/.exec(inbox.messages.find((mail) => mail.to === address)!.subject)![1] })).status).toBe(200);
    const { secret } = (await (await call("/auth/2fa/totp", { password })).json()) as { secret: string };
    const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    expect((await call("/auth/2fa/totp/confirm", { code: app.generate() })).status).toBe(200);

    // The confirming code's time step is spent: the app's next code, within the one-step window.
    const next = app.generate({ timestamp: Date.now() + 30_000 });
    // A mistyped code first: the example asks again.
    const codes = [next === "000000" ? "111111" : "000000", next];
    const result = await signIn(baseUrl, address, password, async () => codes.shift()!);
    expect(result).toMatchObject({ signedIn: true, token: expect.stringMatching(/^hmt_/) });
    expect(codes).toEqual([]);

    const waiting = (await (await fetch(`${baseUrl}/api/v0/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: address, password }) })).json()) as {
      challenge_token: string;
    };
    const approved = signInWithApproval(baseUrl, waiting.challenge_token, (number) => {
      // The person reads the number here and types it on the signed-in device.
      void (async () => {
        const { approvals } = (await (await call("/auth/approvals")).json()) as { approvals: Array<{ id: string }> };
        expect((await call(`/auth/approvals/${approvals[0]!.id}/approve`, { number })).status).toBe(204);
      })();
    });
    expect(await approved).toMatchObject({ signedIn: true, token: expect.stringMatching(/^hmt_/) });
  });

  it("device login: oauth4webapi discovers the server, shows the code, and gets a token once the person approves; sign-out revokes it", async () => {
    const { deviceLogin, signOut } = await import("./examples/device-login.js");
    // A server whose public URL is its address, as a real one's is (the issuer must match), polled every second.
    const port = await findFreePort();
    const issuer = `http://127.0.0.1:${port}`;
    const deviceDatabase = createSqliteTestDatabase();
    const config = loadConfig({
      HARMONT_DATABASE_URL: deviceDatabase.url,
      PORT: String(port),
      HARMONT_HOST: "127.0.0.1",
      HARMONT_PUBLIC_URL: issuer,
      HARMONT_DEVICE_POLL_INTERVAL: "1s",
      HARMONT_LOG_LEVEL: "silent",
    });
    const device = await startServer(config, { logger: createLogger(config, new Writable({ write: (_chunk, _encoding, callback) => callback() })) });
    try {
      const { token: browserToken } = await signUp(issuer, email(), "correct horse battery staple");
      const shown: string[] = [];
      const token = await deviceLogin(issuer, "harmont-cli", (userCode, url) => {
        shown.push(url);
        // The person opens the link on their laptop and approves, signed in there.
        void fetch(`${issuer}/api/v0/auth/device/approve`, {
          method: "POST",
          headers: { authorization: `Bearer ${browserToken}`, "content-type": "application/json" },
          body: JSON.stringify({ user_code: userCode }),
        });
      });
      expect(shown[0]).toMatch(new RegExp(`^${issuer}/device\\?user_code=[A-Z]{4}-[A-Z]{4}$`));
      const session = await fetch(`${issuer}/api/v0/auth/session`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await session.json()) as { session: { client_id: string } }).session.client_id).toBe("harmont-cli");
      await signOut(issuer, "harmont-cli", token);
      expect((await fetch(`${issuer}/api/v0/auth/session`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await device.stop();
      await deviceDatabase.drop();
    }
  });

  it("errors: a revoked token reads as signed out; signing out twice is fine, a malformed token is not", async () => {
    const { currentUserOrNull, signOut } = await import("./examples/errors.js");
    const { token, user } = await signUp(baseUrl, email(), "correct horse battery staple");
    let stored: string | undefined = token;
    expect((await currentUserOrNull(baseUrl, () => stored))?.id).toBe(user.id);
    expect(await signOut(baseUrl, token!)).toBe("signed-out");
    expect(await currentUserOrNull(baseUrl, () => stored)).toBeNull();
    expect(await signOut(baseUrl, token!)).toBe("signed-out");
    stored = undefined;
    expect(await currentUserOrNull(baseUrl, () => stored)).toBeNull();
    const malformed = await signOut(baseUrl, "not-a-token");
    expect(malformed).toMatchObject({ error: { code: "unauthorized" } });
    await expect(currentUserOrNull("http://127.0.0.1:9", () => stored)).rejects.toThrow();
  });
});
