/** The development inbox: every message sent, newest first, in development only. */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServerWithMail } from "../test-support/harness.js";
import { createDevInbox, DEV_INBOX_CAPACITY } from "../email/dev-inbox.js";

type Server = Awaited<ReturnType<typeof createTestServerWithMail>>;
let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Listed {
  messages: Array<{ id: string; sent_at: string; to: string; subject: string; text: string }>;
}

describe("development", () => {
  it("lists every message the server sent, newest first, and still sends it", async () => {
    server = await createTestServerWithMail(await createSqliteTestDatabase());
    expect((await (await server.request("/api/v0/dev/mail")).json()) as Listed).toEqual({ messages: [] });

    expect((await server.request("/api/v0/auth/email-code", { json: { email: "ada@example.com" } })).status).toBe(202);
    server.clock.advance(1_000);
    expect((await server.request("/api/v0/auth/email-code", { json: { email: "grace@example.com" } })).status).toBe(202);
    await server.smtp.waitForMail("grace@example.com");

    const response = await server.request("/api/v0/dev/mail");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { messages } = (await response.json()) as Listed;
    expect(messages.map((message) => message.to)).toEqual(["grace@example.com", "ada@example.com"]);
    expect(Date.parse(messages[0]!.sent_at) - Date.parse(messages[1]!.sent_at)).toBe(1_000);
    expect(messages[0]!.text).toMatch(/\b\d{6,8}\b/);
    expect(new Set(messages.map((message) => message.id)).size).toBe(2);
  });

  it("answers only a client on this machine", async () => {
    server = await createTestServerWithMail(await createSqliteTestDatabase());
    expect((await server.request("/api/v0/dev/mail", { ip: "::1" })).status).toBe(200);
    expect((await server.request("/api/v0/dev/mail", { ip: "::ffff:127.0.0.1" })).status).toBe(200);
    const remote = await server.request("/api/v0/dev/mail", { ip: "192.0.2.10" });
    expect(remote.status).toBe(404);
    expect(((await remote.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("keeps the newest messages only", () => {
    let now = 0;
    const inbox = createDevInbox({ now: () => now++ });
    for (let index = 0; index < DEV_INBOX_CAPACITY + 5; index++) inbox.record({ to: `${index}@example.com`, subject: "s", text: "t", html: "h" });
    const listed = inbox.list();
    expect(listed).toHaveLength(DEV_INBOX_CAPACITY);
    expect(listed[0]!.to).toBe(`${DEV_INBOX_CAPACITY + 4}@example.com`);
    expect(listed.at(-1)!.to).toBe("5@example.com");
  });
});

describe("production", () => {
  it("has no inbox: the API and the page both answer 404, and nothing is kept", async () => {
    server = await createTestServerWithMail(await createSqliteTestDatabase(), {
      HARMONT_ENV: "production",
      HARMONT_SECRET_KEY: randomBytes(32).toString("base64url"),
    });
    expect((await server.request("/api/v0/auth/email-code", { json: { email: "ada@example.com" } })).status).toBe(202);
    await server.smtp.waitForMail("ada@example.com");
    expect(server.deps.devInbox).toBeNull();
    expect((await server.request("/api/v0/dev/mail")).status).toBe(404);
    expect((await server.request("/dev/mail")).status).toBe(404);
    // The rest of the web app is still served.
    expect((await server.request("/sign-in")).status).toBe(200);
  });
});
