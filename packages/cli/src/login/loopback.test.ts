import { request } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { startLoopbackListener } from "./loopback.js";

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(port: number, path: string, options: { method?: string; host?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...(options.host ? { host: options.host } : {}), ...options.headers };
    const req = request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

const settled = async (promise: Promise<unknown>, withinMs = 50) =>
  Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), withinMs))]);

const webOrigin = "https://auth.example.com";

describe("the loopback listener", () => {
  it("answers only /callback with the right state, from a Host naming itself", async () => {
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

      // The right state wakes the login, and the answer waits for how it ended.
      const page = get(listener.port, "/callback?state=the-state");
      await listener.callback;
      expect(await settled(page)).toBe(false);
      listener.finish("signed_in");
      const answered = await page;
      expect(answered.status).toBe(200);
      expect(answered.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(answered.headers["cache-control"]).toBe("no-store");
      expect(answered.headers["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'");
      expect(answered.body).toContain("<h1>Your terminal is signed in</h1>");
      expect(answered.body).toContain("You can close this tab");
      // Once it has ended, a callback is answered at once (a second tab, a reload).
      const again = await get(listener.port, "/callback?state=the-state", { host: `localhost:${listener.port}` });
      expect(again.status).toBe(200);
      expect(again.body).toContain("Your terminal is signed in");
    } finally {
      await listener.close();
    }
  });

  it("says so when the login ended without a token, and sends the person back to the terminal when it takes too long", async () => {
    const failed = await startLoopbackListener({ state: "s" });
    const page = get(failed.port, "/callback?state=s");
    await failed.callback;
    failed.finish("not_signed_in");
    failed.finish("signed_in"); // the first ending stands
    const answered = await page;
    expect(answered.status).toBe(500);
    expect(answered.body).toContain("Your terminal did not finish signing in");
    await failed.close();

    const slow = await startLoopbackListener({ state: "s", answerTimeoutMs: 100 });
    const started = Date.now();
    const waited = await get(slow.port, "/callback?state=s");
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(waited.status).toBe(202);
    expect(waited.body).toContain("Go back to your terminal");
    await slow.close();
  });

  it("answers a callback still waiting when it closes, before dropping the connection", async () => {
    const listener = await startLoopbackListener({ state: "s" });
    const page = get(listener.port, "/callback?state=s");
    await listener.callback;
    await listener.close();
    expect((await page).status).toBe(202);
  });

  it("lets only the web app's origin read the answer, and answers its preflight (Private Network Access)", async () => {
    const listener = await startLoopbackListener({ state: "s", webOrigin: `${webOrigin}/some/path` });
    try {
      listener.finish("signed_in");
      const fromWebApp = await get(listener.port, "/callback?state=s", { headers: { origin: webOrigin } });
      expect(fromWebApp.status).toBe(200);
      expect(fromWebApp.headers["access-control-allow-origin"]).toBe(webOrigin);
      expect(fromWebApp.headers.vary).toBe("Origin");

      // Another origin's request still carries the state check, but cannot read the answer.
      const fromElsewhere = await get(listener.port, "/callback?state=s", { headers: { origin: "https://evil.example" } });
      expect(fromElsewhere.status).toBe(200);
      expect(fromElsewhere.headers["access-control-allow-origin"]).toBeUndefined();
      // A wrong state is refused whoever asks.
      expect((await get(listener.port, "/callback?state=x", { headers: { origin: webOrigin } })).status).toBe(400);

      const preflight = (origin: string, method = "GET") =>
        get(listener.port, "/callback?state=s", {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": method, "access-control-request-private-network": "true" },
        });
      const allowed = await preflight(webOrigin);
      expect(allowed.status).toBe(204);
      expect(allowed.headers).toMatchObject({
        "access-control-allow-origin": webOrigin,
        "access-control-allow-methods": "GET",
        "access-control-allow-private-network": "true",
      });
      expect(allowed.body).toBe("");
      expect((await preflight("https://evil.example")).status).toBe(403);
      expect((await preflight(webOrigin, "POST")).status).toBe(403);
      expect((await preflight(webOrigin)).headers["access-control-allow-private-network"]).toBe("true");
      // Without a web origin, no preflight is answered.
      const bare = await startLoopbackListener({ state: "s" });
      const refused = await get(bare.port, "/callback?state=s", { method: "OPTIONS", headers: { origin: webOrigin, "access-control-request-method": "GET" } });
      expect(refused.status).toBe(403);
      await bare.close();
    } finally {
      await listener.close();
    }
  });

  it("ignores a browser's pre-connect, and closes promptly even with one open", async () => {
    const listener = await startLoopbackListener({ state: "s" });
    const idle = connect(listener.port, "127.0.0.1");
    await new Promise((resolve) => idle.once("connect", resolve));
    const closedByServer = new Promise((resolve) => idle.once("close", resolve));
    listener.finish("signed_in");
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
