/**
 * Reading the OpenAPI document and the SDK generated from it, for the docs generators: tags and
 * their operations, schemas with `$ref`s resolved, example values, and the names @hey-api
 * actually gave each operation's function and types. Nothing here depends on the machine, the
 * date or the environment, so every generator's output is the same everywhere.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));
export const defaultOpenApiPath = join(repositoryRoot, "openapi/openapi.json");
export const defaultSdkDirectory = join(repositoryRoot, "packages/cloud/src/generated");

/** The fixed base URL of every example: never read from the environment. */
export const EXAMPLE_BASE_URL = "http://localhost:8080";
/** A request id for examples, in the server's format. */
export const EXAMPLE_REQUEST_ID = "req_5f0c8e1a2b3d4c6e8f90a1b2c3d4e5f6";

const httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export function readOpenApiDocument(path = defaultOpenApiPath) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** `Auth` → `auth`, `API keys` → `api-keys`. */
export function slugify(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Code-unit order, the same in every locale. */
export function compareStrings(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every operation of the document, with its method, path and a stable id. */
export function listOperations(document) {
  const operations = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of httpMethods) {
      const operation = item[method];
      if (!operation) continue;
      const pathParameters = item.parameters ?? [];
      operations.push({
        method,
        path,
        operation,
        operationId: operation.operationId ?? `${method}${path.replace(/[^A-Za-z0-9]+/g, "_")}`,
        parameters: [...pathParameters, ...(operation.parameters ?? [])].map((parameter) => resolveRef(document, parameter)),
      });
    }
  }
  return operations;
}

/**
 * The tags in the document's order (then any undeclared tag, alphabetically), each with its
 * operations in operationId order. Untagged operations go to "Other".
 */
export function listTags(document) {
  const operations = listOperations(document);
  const declared = (document.tags ?? []).map((tag) => ({ name: tag.name, description: tag.description ?? "" }));
  const used = new Set(operations.flatMap((entry) => (entry.operation.tags?.length ? entry.operation.tags : ["Other"])));
  const tags = declared.filter((tag) => used.has(tag.name));
  const extra = [...used].filter((name) => !declared.some((tag) => tag.name === name)).sort(compareStrings);
  tags.push(...extra.map((name) => ({ name, description: "" })));
  return tags.map((tag) => ({
    ...tag,
    slug: slugify(tag.name),
    operations: operations
      .filter((entry) => (entry.operation.tags?.length ? entry.operation.tags : ["Other"]).includes(tag.name))
      .sort((a, b) => compareStrings(a.operationId, b.operationId)),
  }));
}

export function resolveRef(document, value) {
  let current = value;
  const seen = new Set();
  while (current && typeof current === "object" && typeof current.$ref === "string") {
    if (seen.has(current.$ref)) throw new Error(`circular $ref ${current.$ref}`);
    seen.add(current.$ref);
    const pointer = current.$ref.replace(/^#\//, "").split("/").map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
    current = pointer.reduce((node, key) => node?.[key], document);
    if (current === undefined) throw new Error(`unresolved $ref ${[...seen].at(-1)}`);
  }
  return current;
}

/** The component name of a `$ref` schema (`#/components/schemas/User` → `User`), or null. */
export function refName(schema) {
  return schema && typeof schema.$ref === "string" ? schema.$ref.split("/").at(-1) : null;
}

/** An object schema's properties, with `allOf` merged. */
export function objectShape(document, schema) {
  const resolved = resolveRef(document, schema);
  if (!resolved || typeof resolved !== "object") return { properties: {}, required: [] };
  const properties = { ...(resolved.properties ?? {}) };
  const required = [...(resolved.required ?? [])];
  for (const part of resolved.allOf ?? []) {
    const shape = objectShape(document, part);
    Object.assign(properties, shape.properties);
    required.push(...shape.required);
  }
  return { properties, required: [...new Set(required)] };
}

function schemaTypes(schema) {
  if (Array.isArray(schema.type)) return schema.type;
  if (schema.type) return [schema.type];
  if (schema.nullable) return ["null"];
  return [];
}

/** A short, TypeScript-like description of a schema's type: `string`, `"web" | "cli"`, `Session[]`. */
export function describeType(document, schema) {
  if (!schema) return "unknown";
  const name = refName(schema);
  if (name) return name;
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return alternatives.map((part) => describeType(document, part)).join(" | ");
  if (schema.allOf) {
    const named = schema.allOf.map(refName).filter(Boolean);
    return named.length > 0 ? named.join(" & ") + (schema.allOf.length > named.length ? " & object" : "") : "object";
  }
  const types = schemaTypes(schema);
  const parts = types.map((type) => {
    if (type === "array") {
      const item = describeType(document, schema.items);
      return /[ |&]/.test(item) ? `(${item})[]` : `${item}[]`;
    }
    if (type === "string" && schema.format) return `string (${schema.format})`;
    return type;
  });
  return parts.length > 0 ? parts.join(" | ") : "unknown";
}

/** Constraints worth showing beside a field: lengths, pattern, range. */
export function describeConstraints(schema) {
  const resolved = schema ?? {};
  const notes = [];
  if (resolved.minLength !== undefined && resolved.maxLength !== undefined) notes.push(`${resolved.minLength}–${resolved.maxLength} characters`);
  else if (resolved.minLength !== undefined) notes.push(`at least ${resolved.minLength} characters`);
  else if (resolved.maxLength !== undefined) notes.push(`at most ${resolved.maxLength} characters`);
  if (resolved.pattern) notes.push(`pattern \`${resolved.pattern}\``);
  if (resolved.minimum !== undefined) notes.push(`minimum ${resolved.minimum}`);
  if (resolved.maximum !== undefined) notes.push(`maximum ${resolved.maximum}`);
  return notes;
}

const placeholderByFormat = {
  "date-time": "2026-01-01T00:00:00.000Z",
  date: "2026-01-01",
  email: "ada@example.com",
  uri: "https://example.com",
  url: "https://example.com",
  uuid: "00000000-0000-4000-8000-000000000000",
};

/**
 * An example value for a schema: the schema's own example when it has one, otherwise one built
 * from its properties (all of them, or the required ones only for request bodies).
 */
export function exampleValue(document, schema, options = {}, depth = 0) {
  if (!schema || depth > 8) return null;
  const resolved = resolveRef(document, schema);
  if (resolved.example !== undefined) return resolved.example;
  if (Array.isArray(resolved.examples) && resolved.examples.length > 0) return resolved.examples[0];
  if (resolved.default !== undefined) return resolved.default;
  if (resolved.enum) return resolved.enum[0];
  if (resolved.const !== undefined) return resolved.const;
  const alternatives = resolved.oneOf ?? resolved.anyOf;
  if (alternatives) return exampleValue(document, alternatives[0], options, depth + 1);
  const types = schemaTypes(resolved).filter((type) => type !== "null");
  const type = types[0] ?? (resolved.properties || resolved.allOf ? "object" : undefined);
  switch (type) {
    case "object": {
      const shape = objectShape(document, resolved);
      const example = {};
      for (const [name, property] of Object.entries(shape.properties)) {
        if (options.requiredOnly && !shape.required.includes(name)) continue;
        example[name] = exampleValue(document, property, { requiredOnly: false }, depth + 1);
      }
      return example;
    }
    case "array":
      return [exampleValue(document, resolved.items, { requiredOnly: false }, depth + 1)];
    case "string":
      return placeholderByFormat[resolved.format] ?? "string";
    case "integer":
    case "number":
      return resolved.minimum ?? 0;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return null;
  }
}

/** The JSON schema of an operation's `application/json` request body, with its metadata. */
export function requestBodyOf(document, operation) {
  if (!operation.requestBody) return null;
  const body = resolveRef(document, operation.requestBody);
  const media = body.content?.["application/json"] ?? Object.values(body.content ?? {})[0];
  if (!media) return null;
  const mediaType = body.content?.["application/json"] ? "application/json" : Object.keys(body.content)[0];
  return { required: body.required === true, description: body.description ?? "", schema: media.schema, mediaType };
}

/** The operation's responses in status order, each with its JSON schema (or null for no body). */
export function responsesOf(document, operation) {
  return Object.entries(operation.responses ?? {})
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([status, response]) => {
      const resolved = resolveRef(document, response);
      const media = resolved.content?.["application/json"] ?? Object.values(resolved.content ?? {})[0];
      return { status, description: resolved.description ?? "", schema: media?.schema ?? null, success: /^2/.test(status) };
    });
}

/** Whether the operation takes a bearer token, and the scheme's description. */
export function bearerOf(document, operation) {
  const requirements = operation.security ?? document.security ?? [];
  const schemes = document.components?.securitySchemes ?? {};
  for (const requirement of requirements) {
    for (const name of Object.keys(requirement)) {
      const scheme = schemes[name];
      if (scheme?.type === "http" && scheme.scheme?.toLowerCase() === "bearer") return { name, description: scheme.description ?? "" };
    }
  }
  return null;
}

/** The error codes named in a response description: "… (codes: `a`, `b`)". */
export function codesIn(description) {
  const match = /codes?:\s*([^)]*)\)?\s*$/.exec(description);
  if (!match) return [];
  return [...match[1].matchAll(/`([a-z0-9_]+)`/g)].map((found) => found[1]);
}

/** The response description without its trailing code list. */
export function withoutCodes(description) {
  return description.replace(/\s*\(codes?:[^)]*\)\s*$/, "");
}

/**
 * The names @hey-api gave each operation in the generated SDK: its function, its request body
 * type, its response type and its path parameters, read from sdk.gen.ts and types.gen.ts so
 * the docs always show the names the package really exports.
 */
export function readSdkNames(sdkDirectory = defaultSdkDirectory) {
  const sdk = readFileSync(join(sdkDirectory, "sdk.gen.ts"), "utf8");
  const types = readFileSync(join(sdkDirectory, "types.gen.ts"), "utf8");
  const exportedTypes = new Set([...types.matchAll(/^export type (\w+)\b/gm)].map((match) => match[1]));
  const dataBlocks = new Map();
  for (const match of types.matchAll(/^export type (\w+)Data = \{\n([\s\S]*?)^\};/gm)) {
    dataBlocks.set(match[1], match[2]);
  }
  const names = new Map();
  for (const chunk of sdk.split(/^export const /m).slice(1)) {
    const functionName = /^(\w+)/.exec(chunk)?.[1];
    const call = /\.(get|put|post|delete|options|head|patch|trace)<(\w+)Responses\b/.exec(chunk);
    const url = /\burl: '([^']+)'/.exec(chunk)?.[1];
    if (!functionName || !call || !url) continue;
    const [, method, prefix] = call;
    const data = dataBlocks.get(prefix) ?? "";
    const body = /^ {4}body(\?)?: ([^;\n]+)/m.exec(data);
    const hasBody = body !== null && body[2] !== "never";
    // A named schema is its type name; an inline one is only reachable through the Data type.
    const bodyType = hasBody ? (/^\w+$/.test(body[2]) ? body[2] : `${prefix}Data["body"]`) : null;
    const path = /^ {4}path(\?)?: \{\n([\s\S]*?)^ {4}\};/m.exec(data);
    const responseType = exportedTypes.has(`${prefix}Response`) ? `${prefix}Response` : "unknown";
    names.set(`${method} ${url}`, {
      functionName,
      typePrefix: prefix,
      bodyType,
      bodyOptional: hasBody ? body[1] === "?" : false,
      pathParameters: path ? [...path[2].matchAll(/^ {8}(\w+)\??:/gm)].map((match) => match[1]) : [],
      responseType,
    });
  }
  return names;
}

/** Escapes text for MDX prose: `{`, `}` and `<` start expressions and JSX; code spans stay as they are. */
export function escapeMdx(text) {
  return text
    .split(/(`[^`]*`)/)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/[{}<]/g, (character) => `\\${character}`)))
    .join("");
}

/** Escapes text for a Markdown table cell. */
export function escapeCell(text) {
  return text.replace(/\|/g, "\\|").replace(/\n+/g, " ");
}

export function formatJson(value) {
  return JSON.stringify(value, null, 2);
}

/** A curl command line for an operation, against the fixed example base URL. */
export function curlExample({ method, path, bearer, body, pathExamples = {}, queryExamples = {} }) {
  const query = new URLSearchParams(Object.entries(queryExamples).map(([name, value]) => [name, String(value)])).toString();
  const url = EXAMPLE_BASE_URL + path.replace(/\{(\w+)\}/g, (_, name) => String(pathExamples[name] ?? `<${name}>`)) + (query ? `?${query}` : "");
  const lines = [`curl -X ${method.toUpperCase()} "${url}"`];
  if (bearer) lines.push(`  -H "Authorization: Bearer $HARMONT_TOKEN"`);
  if (body !== undefined) {
    lines.push(`  -H "Content-Type: application/json"`);
    const json = formatJson(body).replaceAll("'", "'\\''").split("\n").join("\n  ");
    lines.push(`  -d '${json}'`);
  }
  return lines.join(" \\\n");
}

/** Files a generator owns, as `{ path relative to the repository: content }`, in path order. */
export function sortFiles(files) {
  return new Map([...files].sort(([a], [b]) => compareStrings(a, b)));
}
