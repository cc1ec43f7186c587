/**
 * The error pages, one per code of the error table. The same Markdown is committed as
 * docs/api/errors/<code>.md (by scripts/generate-error-docs.mjs) and served as HTML at
 * <HARMONT_DOCS_URL>/api/errors/<code>, the envelope's `doc_url`; rendering both from the table
 * means a code cannot exist without its page. Links are paths between the committed files
 * (`../errors.md`), which the server maps to its routes when it renders them.
 */
import type { ErrorDefinition } from "../errors.js";

const reasonPhrases: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** The base URL of the examples on the pages: fixed, so the committed pages are the same everywhere. */
const EXAMPLE_BASE_URL = "http://localhost:8080";
const EXAMPLE_REQUEST_ID = "req_5f0c8e1a2b3d4c6e8f90a1b2c3d4e5f6";

/** Escapes the characters that would start an expression or a tag if the page is read as MDX. */
function escapeProse(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/[{}<]/g, (character) => `\\${character}`)))
    .join("");
}

function statusText(status: number): string {
  const phrase = reasonPhrases[status];
  return phrase ? `${status} ${phrase}` : String(status);
}

function exampleEnvelope(code: string, definition: ErrorDefinition) {
  return {
    error: {
      code,
      doc_url: `${EXAMPLE_BASE_URL}/docs/api/errors/${code}`,
      message: definition.message,
      request_id: EXAMPLE_REQUEST_ID,
      type: definition.type,
    },
  };
}

/** The page of one code, as Markdown. */
export function renderErrorPage(code: string, definition: ErrorDefinition): string {
  const envelope = exampleEnvelope(code, definition);
  return [
    `# \`${code}\``,
    "",
    escapeProse(definition.message),
    "",
    "| | |",
    "| --- | --- |",
    `| HTTP status | \`${statusText(definition.status)}\` |`,
    `| \`error.type\` | \`${definition.type}\` |`,
    `| \`error.code\` | \`${code}\` |`,
    "",
    "## What it means",
    "",
    escapeProse(definition.meaning),
    "",
    "## What to do",
    "",
    escapeProse(definition.remedy),
    "",
    "## Example",
    "",
    "```json",
    JSON.stringify(envelope, null, 2),
    "```",
    "",
    "The `message` may be more specific than this one (for example, naming the field that is wrong); match on `code`, never on `message`. Quote the `request_id` (also in the `X-Request-Id` header) when you report a problem.",
    "",
    "See [every error code](../errors.md).",
    "",
  ].join("\n");
}

/** The list of every code, as Markdown. */
export function renderErrorIndex(table: Record<string, ErrorDefinition>): string {
  const sampleCode = "cli_code_invalid" in table ? "cli_code_invalid" : Object.keys(table)[0]!;
  const rows = Object.entries(table).map(
    ([code, definition]) => `| [\`${code}\`](errors/${code}.md) | ${definition.status} | \`${definition.type}\` | ${escapeProse(definition.message).replace(/\|/g, "\\|")} |`,
  );
  return [
    "# Error codes",
    "",
    "Every answer that is not 2xx has the same JSON body, the error envelope:",
    "",
    "```json",
    JSON.stringify(exampleEnvelope(sampleCode, table[sampleCode]!), null, 2),
    "```",
    "",
    "| Field | Meaning |",
    "| --- | --- |",
    "| `code` | What went wrong, machine-readable and stable: one of the codes below. Branch on it. |",
    "| `type` | The class of the error (`invalid_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `rate_limited`, `server_error`, `service_unavailable`). |",
    "| `message` | A sentence for people. It may change; never parse it. |",
    "| `doc_url` | The page that explains `code` (`<HARMONT_DOCS_URL>/api/errors/<code>`). |",
    "| `request_id` | The request's id, also sent as `X-Request-Id`. Quote it when you report a problem. |",
    "",
    "A `429` and a `503` also have a `Retry-After` header (seconds), and a `401` a `WWW-Authenticate: Bearer` header.",
    "",
    "| Code | Status | Type | Message |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
