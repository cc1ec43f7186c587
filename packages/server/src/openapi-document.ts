/**
 * The committed OpenAPI document: built from the same app the server runs, with fixed values
 * (server URL http://localhost:8080, an in-memory database), so it is the same on every machine.
 */
import { Writable } from "node:stream";
import { loadConfig } from "./config.js";
import { createOpenApiDocument } from "./routes/openapi.js";
import { buildServer, createLogger, serverVersion } from "./server.js";

export const DOCUMENT_SERVER_URL = "http://localhost:8080";

export async function generateOpenApiDocument(): Promise<object> {
  const config = loadConfig({ HARMONT_DATABASE_URL: "sqlite::memory:", HARMONT_LOG_LEVEL: "silent" });
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const built = await buildServer(config, { logger: createLogger(config, silent) });
  try {
    return createOpenApiDocument(built.app, { serverUrl: DOCUMENT_SERVER_URL, version: serverVersion });
  } finally {
    await built.close();
  }
}

/** The document as committed: two-space JSON and a final newline. */
export async function renderOpenApiDocument(): Promise<string> {
  return `${JSON.stringify(await generateOpenApiDocument(), null, 2)}\n`;
}
