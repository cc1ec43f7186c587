/**
 * The error pages: docs/api/errors/<code>.md for every code of the server's error table, and
 * docs/api/errors.md listing them. The Markdown comes from the server's own renderer
 * (packages/server/src/docs/error-pages.ts), the one that serves the same pages at each
 * envelope's `doc_url`.
 */
import { sortFiles } from "./lib/openapi.mjs";

export const SCRIPT_PATH = "scripts/generate-error-docs.mjs";

/**
 * @param {Record<string, import("../packages/server/src/errors.js").ErrorDefinition>} errorCodes the server's error table
 * @param {typeof import("../packages/server/src/docs/error-pages.js")} pages the server's page renderer
 */
export function renderErrorDocs(errorCodes, pages) {
  const files = new Map();
  files.set("docs/api/errors.md", pages.renderErrorIndex(errorCodes));
  for (const [code, definition] of Object.entries(errorCodes)) {
    files.set(`docs/api/errors/${code}.md`, pages.renderErrorPage(code, definition));
  }
  return sortFiles(files);
}
