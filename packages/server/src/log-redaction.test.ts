/**
 * Log redaction goes by what a value is: error codes stay readable, secrets of every shape the
 * server hands out are cut wherever they appear.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generatePasteCode, formatPasteCode } from "./auth/paste-code.js";
import { generateSessionToken } from "./auth/tokens.js";
import { createLogger } from "./server.js";
import { LogCapture } from "./test-support/harness.js";

function capture() {
  const logs = new LogCapture();
  const logger = createLogger({ logLevel: "debug" }, logs);
  const lines = () => logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, logs, lines };
}

describe("log redaction", () => {
  it("keeps database error codes readable", () => {
    const { logger, lines } = capture();
    logger.error({ err: { message: "connect ECONNREFUSED 127.0.0.1:5432", code: "ECONNREFUSED" } }, "database unavailable");
    logger.error({ err: { message: "terminating connection due to administrator command", code: "57P01" } }, "database unavailable");
    logger.warn({ code: "SQLITE_BUSY" }, "busy");
    expect(lines().map((line) => (line.err as { code?: string } | undefined)?.code ?? line.code)).toEqual(["ECONNREFUSED", "57P01", "SQLITE_BUSY"]);
    expect((lines()[0]!.err as { message: string }).message).toBe("connect ECONNREFUSED 127.0.0.1:5432");
  });

  it("cuts session tokens, nonces, paste codes and email codes wherever they appear", () => {
    const { logger, logs } = capture();
    const token = generateSessionToken();
    const nonce = randomBytes(32).toString("base64url");
    const pasteCode = generatePasteCode();
    logger.warn({ detail: `header was Bearer ${token}` }, "odd header");
    logger.warn({ nested: { deeper: [{ value: `nonce ${nonce} seen` }] } }, "nested");
    logger.warn({ typed: formatPasteCode(pasteCode), raw: pasteCode }, "paste");
    logger.info({ code: "04817263" }, "an emailed code under a field named code");
    logger.warn(`a message that embeds ${token}`);
    logger.warn({ err: new Error(`failed for ${token}`) }, "an error object");
    for (const secret of [token, nonce, pasteCode, formatPasteCode(pasteCode), "04817263"]) expect(logs.text).not.toContain(secret);
    expect(logs.text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(7);
  });

  it("cuts fields that only ever hold secrets by their name", () => {
    const { logger, logs } = capture();
    logger.info({ password: "correct horse battery staple", body: { token: "short", nonce: "x" }, req: { headers: { cookie: "a=b" } } }, "fields");
    for (const secret of ["correct horse battery staple", '"short"', '"x"', "a=b"]) expect(logs.text).not.toContain(secret);
  });

  it("leaves ordinary values alone", () => {
    const { logger, lines } = capture();
    logger.info({ route: "/api/v0/auth/session", status: 200, request_id: "req_5b1c2d", count: 12345678 }, "request");
    expect(lines()[0]).toMatchObject({ route: "/api/v0/auth/session", status: 200, request_id: "req_5b1c2d", count: 12345678 });
  });
});
