/**
 * The HTTP reference: one page per API group at docs/api/reference/<tag>.mdx. For each
 * operation: method and path, whether it takes a bearer, path parameters, the request body's
 * fields, every response with an example body, a curl example against the fixed base
 * http://localhost:8080, and the error envelope it answers with.
 */
import {
  EXAMPLE_BASE_URL,
  EXAMPLE_REQUEST_ID,
  bearerOf,
  codesIn,
  curlExample,
  describeConstraints,
  describeType,
  escapeCell,
  escapeMdx,
  exampleValue,
  formatJson,
  listTags,
  objectShape,
  refName,
  requestBodyOf,
  resolveRef,
  responsesOf,
  sortFiles,
  withoutCodes,
} from "./lib/openapi.mjs";

export const SCRIPT_PATH = "scripts/generate-api-docs.mjs";

/** The envelope as the server sends it for `code`, from the error table. */
export function envelopeExample(errorCodes, code) {
  const definition = errorCodes[code];
  return {
    error: {
      code,
      doc_url: `${EXAMPLE_BASE_URL}/docs/api/errors/${code}`,
      message: definition?.message ?? "string",
      request_id: EXAMPLE_REQUEST_ID,
      type: definition?.type ?? "string",
    },
  };
}

/** `at most 64 characters` → `At most 64 characters.` */
function sentence(note) {
  return `${note[0].toUpperCase()}${note.slice(1)}.`;
}

/**
 * Links are paths between files (docs/api/reference/<tag>.mdx → docs/api/errors/<code>.md), so
 * they work on the repository host as they are; the server maps them to its routes.
 */
const errorPageLink = (code) => `[\`${code}\`](../errors/${code}.md)`;

function linkCodes(text, errorCodes) {
  return text.replace(/`([a-z0-9_]+)`/g, (whole, code) => (code in errorCodes ? errorPageLink(code) : whole));
}

function fieldTable(document, schema) {
  const shape = objectShape(document, schema);
  const rows = Object.entries(shape.properties).map(([name, property]) => {
    const resolved = resolveRef(document, property);
    const notes = [resolved.description ?? "", ...describeConstraints(resolved).map(sentence)]
      .filter(Boolean)
      .join(" ");
    const required = shape.required.includes(name) ? "**yes**" : "no";
    return `| \`${name}\` | \`${escapeCell(describeType(document, property))}\` | ${required} | ${escapeCell(escapeMdx(notes))} |`;
  });
  if (rows.length === 0) return null;
  return ["| Field | Type | Required | Description |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

function renderOperation(document, entry, errorCodes) {
  const { method, path, operation, parameters, operationId } = entry;
  const lines = [`### ${escapeMdx(operation.summary ?? `${method.toUpperCase()} ${path}`)} [#${operationId.toLowerCase()}]`, ""];
  lines.push(`\`${method.toUpperCase()} ${path}\``, "");
  if (operation.description) lines.push(escapeMdx(operation.description), "");

  const bearer = bearerOf(document, operation);
  if (bearer) {
    lines.push(`**Authorization** \`Authorization: Bearer <token>\` (header, required). ${escapeMdx(bearer.description)}`, "");
  } else {
    lines.push("**Authorization** none: this endpoint takes no bearer token.", "");
  }

  const pathParameters = parameters.filter((parameter) => parameter.in === "path");
  const pathExamples = {};
  const queryExamples = {};
  if (parameters.length > 0) {
    lines.push("#### Parameters", "", "| Name | In | Type | Required | Description |", "| --- | --- | --- | --- | --- |");
    for (const parameter of parameters) {
      const description = [parameter.description ?? "", ...describeConstraints(parameter.schema).map(sentence)].filter(Boolean).join(" ");
      lines.push(
        `| \`${parameter.name}\` | ${parameter.in} | \`${escapeCell(describeType(document, parameter.schema))}\` | ${parameter.required ? "**yes**" : "no"} | ${escapeCell(escapeMdx(description))} |`,
      );
    }
    lines.push("");
    for (const parameter of pathParameters) pathExamples[parameter.name] = exampleValue(document, parameter.schema) ?? parameter.name;
    for (const parameter of parameters.filter((entry) => entry.in === "query" && entry.required)) {
      queryExamples[parameter.name] = parameter.example ?? exampleValue(document, parameter.schema) ?? parameter.name;
    }
  }

  const body = requestBodyOf(document, operation);
  let bodyExample;
  if (body) {
    const name = refName(body.schema);
    const typeText = name ? ` · \`${name}\`` : "";
    lines.push("#### Request body", "", `\`${body.mediaType}\`${typeText} · ${body.required ? "required" : "optional"}${body.description ? ` · ${escapeMdx(body.description)}` : ""}`, "");
    const table = fieldTable(document, body.schema);
    if (table) lines.push(table, "");
    bodyExample = exampleValue(document, body.schema, { requiredOnly: true });
  }

  lines.push("#### Responses", "");
  let firstErrorCode = null;
  for (const response of responsesOf(document, operation)) {
    if (response.success) {
      const name = response.schema ? refName(response.schema) : null;
      lines.push(`**${response.status}** ${escapeMdx(response.description)}${name ? ` \`${name}\`` : ""}`, "");
      if (response.schema) lines.push("```json", formatJson(exampleValue(document, response.schema)), "```", "");
      else lines.push("No body.", "");
    } else {
      const codes = codesIn(response.description);
      firstErrorCode ??= codes[0] ?? null;
      const codeText = codes.length > 0 ? `: ${codes.map((code) => (code in errorCodes ? errorPageLink(code) : `\`${code}\``)).join(", ")}` : "";
      lines.push(`**${response.status}** ${escapeMdx(linkCodes(withoutCodes(response.description), errorCodes))}${codeText}`, "");
    }
  }
  if (firstErrorCode) {
    lines.push("Every error answer is the [error envelope](#errors), for example:", "", "```json", formatJson(envelopeExample(errorCodes, firstErrorCode)), "```", "");
  }

  lines.push("#### Example", "", "```sh", curlExample({ method, path, bearer: Boolean(bearer), body: bodyExample, pathExamples, queryExamples }), "```");
  return lines.join("\n");
}

function renderErrorsSection(document, errorCodes) {
  const envelope = document.components?.schemas?.ErrorEnvelope;
  // No explicit [#errors]: the slug of "Errors" is already `errors`, here and on the repository host.
  const lines = ["## Errors", ""];
  lines.push(
    "Every answer that is not 2xx has the same JSON body. `code` is stable and machine-readable; `doc_url` links to the page that explains it; `request_id` is also sent as the `X-Request-Id` header, so you can quote it when reporting a problem.",
    "",
  );
  if (envelope) {
    const inner = objectShape(document, envelope).properties.error;
    const table = inner ? fieldTable(document, inner) : null;
    if (table) lines.push(table, "");
  }
  lines.push("```json", formatJson(envelopeExample(errorCodes, "cli_code_invalid" in errorCodes ? "cli_code_invalid" : Object.keys(errorCodes)[0])), "```", "");
  lines.push("Each code has a page of its own, listed in [error codes](../errors.md).");
  return lines.join("\n");
}

/** The pages, keyed by their path in the repository. */
export function renderApiDocs(document, errorCodes) {
  const files = new Map();
  for (const tag of listTags(document)) {
    const parts = [
      [`# ${tag.name} (/api/reference/${tag.slug})`, "", `{/* Generated by ${SCRIPT_PATH} — do not edit. */}`].join("\n"),
    ];
    if (tag.description) parts.push(escapeMdx(tag.description));
    parts.push(
      `The examples use the base URL \`${EXAMPLE_BASE_URL}\`; replace it with your server's. Request and response bodies are JSON. The same operations are in [\`@harmont/cloud\`](../../sdk/reference/${tag.slug}.mdx).`,
    );
    for (const entry of tag.operations) parts.push(renderOperation(document, entry, errorCodes));
    parts.push(renderErrorsSection(document, errorCodes));
    files.set(`docs/api/reference/${tag.slug}.mdx`, `${parts.join("\n\n")}\n`);
  }
  return sortFiles(files);
}
