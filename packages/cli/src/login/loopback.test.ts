import { request } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { startLoopbackListener } from "./loopback.js";

function get(port: number, path: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.host ? { host: options.host } : {} }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

const settled = async (promise: Promise<unknown>) => Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 50))]);

describe("the loopback listener", () => {
  it("answers only GET /callback with the right state, from a Host naming itself", async () => {
    const listener = await startLoopbackListener({ state: "the-state" });
    try {
      expect(listener.port).toBeGreaterThan(0);
      expect((await get(listener.port, "/")).status).toBe(404);
      expect((await get(listener.port, "/favicon.ico")).status).toBe(404);
      expect((await get(listener.port, "/callback")).status).toBe(400);
      expect((await get(listener.port, "/callback?state=other-state")).status).toBe(400);
      expect((await get(listener.port, "/callback?state=the-stat")).status).toBe(400);
      expect((await get(listener.port, "/callback?state=the-state", { method: "POST" })).status).toBe(405);
      // A page on another origin that rebinds its DNS name to 127.0.0.1 sends its own Host.
      expect((await get(listener.port, "/callback?state=the-state", { host: `evil.example:${listener.port}` })).status).toBe(400);
      expect(await settled(listener.callback)).toBe(false);

      const page = await get(listener.port, "/callback?state=the-state");
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(page.headers["cache-control"]).toBe("no-store");
      expect(page.body).toContain("You can close this tab");
      expect(await settled(listener.callback)).toBe(true);
      expect((await get(listener.port, "/callback?state=the-state", { host: `localhost:${listener.port}` })).status).toBe(200);
    } finally {
      await listener.close();
    }
  });

  it("ignores a browser's pre-connect, and closes promptly even with one open", async () => {
    const listener = await startLoopbackListener({ state: "s" });
    const idle = connect(listener.port, "127.0.0.1");
    await new Promise((resolve) => idle.once("connect", resolve));
    const closedByServer = new Promise((resolve) => idle.once("close", resolve));
    expect((await get(listener.port, "/callback?state=s")).status).toBe(200);

    const started = Date.now();
    await listener.close();
    await closedByServer;
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(get(listener.port, "/callback?state=s")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await listener.close(); // twice is fine
  });

  it("two logins at once get two ports", async () => {
    const first = await startLoopbackListener({ state: "a" });
    const second = await startLoopbackListener({ state: "b" });
    expect(first.port).not.toBe(second.port);
    await Promise.all([first.close(), second.close()]);
  });
});
