import { createServer, type AddressInfo, type Socket } from "node:net";
import { createHarmontClient, getMeta } from "@harmont/cloud";
import { describe, expect, it } from "vitest";
import { createApiClient, outcomeOf, parseRetryAfter } from "./http.js";

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });
});

describe("outcomeOf", () => {
  const clientAnswering = (respond: () => Response | Promise<Response>) =>
    createHarmontClient({ baseUrl: "http://api.test", fetch: async () => respond() });

  it("tells a success, an error envelope, a bare proxy error and a network failure apart", async () => {
    const ok = await outcomeOf(getMeta({ client: clientAnswering(() => Response.json({ version: "1", web_url: "w", docs_url: "d" })) }));
    expect(ok).toMatchObject({ kind: "ok", data: { web_url: "w" } });

    const envelope = { error: { code: "rate_limited", message: "Slow down", type: "rate_limited", doc_url: "", request_id: "r" } };
    const limited = await outcomeOf(getMeta({ client: clientAnswering(() => Response.json(envelope, { status: 429, headers: { "retry-after": "7" } })) }));
    expect(limited).toEqual({ kind: "error", status: 429, code: "rate_limited", message: "Slow down", retryAfterMs: 7000 });

    const proxy = await outcomeOf(getMeta({ client: clientAnswering(() => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" })) }));
    expect(proxy).toMatchObject({ kind: "error", status: 502, code: "http_502", retryAfterMs: null });

    const down = await outcomeOf(getMeta({ client: clientAnswering(() => Promise.reject(new TypeError("fetch failed"))) }));
    expect(down).toMatchObject({ kind: "network" });
  });
});

describe("createApiClient", () => {
  /** A server that accepts connections and never answers, like a stalled proxy. */
  async function silentServer() {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => {
        for (const socket of sockets) socket.destroy();
        return new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it("gives up on a server that never answers after the request time limit, even across garbage collections", async () => {
    const silent = await silentServer();
    try {
      const client = createApiClient({ apiUrl: silent.url, requestTimeoutMs: 400 });
      const started = Date.now();
      const collecting = setInterval(() => (globalThis as { gc?: () => void }).gc?.(), 50);
      const outcome = await outcomeOf(getMeta({ client })).finally(() => clearInterval(collecting));
      expect(outcome.kind).toBe("network");
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  });

  it("stops every request at once when the client's own signal aborts (the command's Ctrl-C)", async () => {
    const silent = await silentServer();
    try {
      const command = new AbortController();
      const client = createApiClient({ apiUrl: silent.url, requestTimeoutMs: 60_000, signal: command.signal });
      setTimeout(() => command.abort(), 100);
      const started = Date.now();
      expect((await outcomeOf(getMeta({ client }))).kind).toBe("network");
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  });

  it("stops at once when the caller aborts", async () => {
    const silent = await silentServer();
    try {
      const client = createApiClient({ apiUrl: silent.url, requestTimeoutMs: 60_000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const outcome = await outcomeOf(getMeta({ client, signal: controller.signal }));
      expect(outcome.kind).toBe("network");
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  });
});
