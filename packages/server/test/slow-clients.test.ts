/**
 * What a slow or greedy client can hold, against a real listening server: a client that never
 * finishes its headers, or dribbles its body, is cut off at the configured timeout (not Node's
 * minutes), and connections past the cap are closed at once.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { createLogger, startServer, type RunningServer } from "../src/server.js";
import { createSqliteTestDatabase } from "../src/test-support/databases.js";
import { LogCapture } from "../src/test-support/harness.js";

let server: RunningServer | null = null;
const sockets: Socket[] = [];
const database = createSqliteTestDatabase();

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.stop();
  server = null;
  await database.drop();
});

async function start(env: Record<string, string>) {
  const config = loadConfig({ HARMONT_DATABASE_URL: database.url, PORT: "0", HARMONT_HOST: "127.0.0.1", HARMONT_LOG_LEVEL: "warn", ...env });
  server = await startServer(config, { logger: createLogger(config, new LogCapture()) });
  return server;
}

/** Opens a raw connection; resolves what the server sent and how long until it closed. */
function openRaw(port: number, first: string): { socket: Socket; closed: Promise<{ afterMs: number; received: string }> } {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  const opened = Date.now();
  let received = "";
  socket.on("data", (chunk) => (received += chunk.toString("latin1")));
  socket.on("error", () => {});
  socket.write(first);
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) => socket.on("close", () => resolve({ afterMs: Date.now() - opened, received })));
  return { socket, closed };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms))]);

describe("slow and greedy clients", () => {
  it("cuts off a client that never finishes its headers at the headers timeout, with 408", async () => {
    const running = await start({ HARMONT_HEADERS_TIMEOUT: "1s", HARMONT_REQUEST_TIMEOUT: "2s" });
    const { closed } = openRaw(running.port, "GET /api/v0/meta HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    const { afterMs, received } = await within(closed, 6000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(900);
  });

  it("cuts off a client that sends its headers but dribbles its body, at the request timeout", async () => {
    const running = await start({ HARMONT_HEADERS_TIMEOUT: "1s", HARMONT_REQUEST_TIMEOUT: "2s" });
    const head = "POST /api/v0/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n";
    const { socket, closed } = openRaw(running.port, head + '{"email":');
    const dribble = setInterval(() => socket.writable && socket.write(" "), 300);
    try {
      const { afterMs } = await within(closed, 8000);
      expect(afterMs).toBeGreaterThanOrEqual(1900);
    } finally {
      clearInterval(dribble);
    }
  });

  it("serves a prompt client on the same server", async () => {
    const running = await start({ HARMONT_HEADERS_TIMEOUT: "1s", HARMONT_REQUEST_TIMEOUT: "2s" });
    const response = await fetch(`${running.url}/api/v0/meta`);
    expect(response.status).toBe(200);
  });

  it("closes connections past the cap at once and keeps serving the ones it holds", async () => {
    const running = await start({ HARMONT_MAX_CONNECTIONS: "2" });
    const held = [openRaw(running.port, ""), openRaw(running.port, "")];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const extra = openRaw(running.port, "");
    const { afterMs } = await within(extra.closed, 3000);
    expect(afterMs).toBeLessThan(2000);
    held[0]!.socket.write("GET /api/v0/meta HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const { received } = await within(held[0]!.closed, 5000);
    expect(received).toMatch(/^HTTP\/1\.1 200/);
  });

  it("refuses a headers timeout longer than the request timeout", () => {
    expect(() => loadConfig({ HARMONT_HEADERS_TIMEOUT: "40s", HARMONT_REQUEST_TIMEOUT: "30s" })).toThrow(/HARMONT_REQUEST_TIMEOUT/);
  });
});
