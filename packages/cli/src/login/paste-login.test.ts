import { createHarmontClient } from "@harmont/cloud";
import { describe, expect, it } from "vitest";
import { loginWithPasteCode, type PasteLoginEvent } from "./paste-login.js";

const envelope = (status: number, code: string, headers: Record<string, string> = {}) =>
  Response.json({ error: { code, message: code, type: "x", doc_url: "", request_id: "r" } }, { status, headers });

/** An API that accepts one code; records every redeem body. */
function api(goodCode: string, before: Array<Response | Error> = []) {
  const bodies: Array<{ code: string; name?: string }> = [];
  const client = createHarmontClient({
    baseUrl: "http://api.test",
    fetch: async (input) => {
      const body = (await (input as Request).json()) as { code: string; name?: string };
      bodies.push(body);
      const scripted = before.shift();
      if (scripted instanceof Error) throw scripted;
      if (scripted) return scripted;
      return body.code === goodCode ? Response.json({ token: "hmt_pasted" }) : envelope(400, "cli_code_invalid");
    },
  });
  return { client, bodies };
}

const typing = (...lines: Array<string | null>) => {
  const asked: number[] = [];
  return { asked, readCode: async (attempt: { number: number }) => (asked.push(attempt.number), lines.shift() ?? null) };
};

describe("loginWithPasteCode", () => {
  it("redeems the typed code under the session name", async () => {
    const server = api("GOOD");
    const input = typing(" GOOD \n");
    const events: PasteLoginEvent[] = [];
    const result = await loginWithPasteCode({ client: server.client, webUrl: "http://web.test", sessionName: "tool on box", readCode: input.readCode, onEvent: (event) => events.push(event) });
    expect(result).toEqual({ ok: true, token: "hmt_pasted" });
    expect(server.bodies).toEqual([{ code: "GOOD", name: "tool on box" }]);
    expect(events[0]).toEqual({ type: "started", url: "http://web.test/cli-login?paste=true" });
  });

  it("asks again after a mistyped code, three tries in all; blank lines are not tries", async () => {
    const server = api("GOOD");
    const input = typing("", "BAD1", "  ", "BAD2", "GOOD");
    const events: PasteLoginEvent[] = [];
    expect(await loginWithPasteCode({ client: server.client, readCode: input.readCode, onEvent: (event) => events.push(event) })).toEqual({ ok: true, token: "hmt_pasted" });
    expect(events.filter((event) => event.type === "invalid_code")).toEqual([
      { type: "invalid_code", attemptsLeft: 2 },
      { type: "invalid_code", attemptsLeft: 1 },
    ]);

    const wrong = typing("A", "B", "C", "GOOD");
    expect(await loginWithPasteCode({ client: api("GOOD").client, readCode: wrong.readCode })).toEqual({ ok: false, reason: "invalid_code", attempts: 3 });
    expect(wrong.asked).toEqual([1, 2, 3]);
  });

  it("ends when the input ends", async () => {
    expect(await loginWithPasteCode({ client: api("GOOD").client, readCode: typing("BAD").readCode })).toEqual({ ok: false, reason: "no_input" });
  });

  it("waits out a 429 and retries the same code without using a try; gives up after repeated network failures", async () => {
    const limited = api("GOOD", [envelope(429, "rate_limited", { "retry-after": "1" })]);
    const started = Date.now();
    expect(await loginWithPasteCode({ client: limited.client, readCode: typing("GOOD").readCode })).toEqual({ ok: true, token: "hmt_pasted" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(limited.bodies.map((body) => body.code)).toEqual(["GOOD", "GOOD"]);

    const down = api("GOOD", [new TypeError("fetch failed"), new TypeError("fetch failed"), new TypeError("fetch failed")]);
    const result = await loginWithPasteCode({ client: down.client, readCode: typing("GOOD").readCode, maxNetworkFailures: 2 });
    expect(result).toMatchObject({ ok: false, reason: "unreachable" });
  });
});
