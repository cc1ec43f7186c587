/**
 * The docs generators take any OpenAPI document, not just today's: new groups, groups the
 * document does not declare, untagged operations, path and query parameters, inline bodies.
 * The SDK is generated from the same made-up document, so the names in the docs are checked
 * against what @hey-api really produces for it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditActions } from "../packages/server/src/auth/audit-actions.js";
import * as errorPages from "../packages/server/src/docs/error-pages.js";
import { errorCodes } from "../packages/server/src/errors.js";
import { AUDIT_ACTIONS_BEGIN, AUDIT_ACTIONS_END, renderAuditActionsTable, replaceGeneratedSection } from "../scripts/generate-audit-docs.mjs";
import { renderAllDocs } from "../scripts/generate-docs.mjs";
import { generateSdk } from "../scripts/generate-sdk.mjs";

const envelope = { $ref: "#/components/schemas/ErrorEnvelope" };
const document = {
  openapi: "3.1.0",
  info: { title: "Made up", version: "0.0.0", description: "A document with shapes the real one does not have yet." },
  servers: [{ url: "http://localhost:8080" }],
  tags: [{ name: "API keys", description: "Keys for machines." }],
  components: {
    securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } },
    schemas: {
      ErrorEnvelope: {
        type: "object",
        properties: {
          error: {
            type: "object",
            properties: { code: { type: "string" }, doc_url: { type: "string" }, message: { type: "string" }, request_id: { type: "string" }, type: { type: "string" } },
            required: ["code", "doc_url", "message", "request_id", "type"],
          },
        },
        required: ["error"],
      },
      ApiKey: {
        type: "object",
        properties: { id: { type: "string", example: "key_1" }, scopes: { type: "array", items: { type: "string", enum: ["read", "write"] } } },
        required: ["id", "scopes"],
      },
    },
  },
  paths: {
    "/api/v0/keys": {
      get: {
        operationId: "listApiKeys",
        tags: ["API keys"],
        summary: "List keys",
        security: [{ bearerAuth: [] }],
        parameters: [{ name: "limit", in: "query", required: true, schema: { type: "integer", minimum: 1, maximum: 100, example: 20 } }],
        responses: {
          200: { description: "The keys.", content: { "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/ApiKey" } } } } },
          401: { description: "Missing credentials (codes: `unauthorized`)", content: { "application/json": { schema: envelope } } },
        },
      },
      post: {
        operationId: "createApiKey",
        tags: ["API keys"],
        summary: "Create a key {with braces} and <angles>",
        security: [{ bearerAuth: [] }],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { type: "object", properties: { label: { type: "string", description: "Shown | in lists" } }, required: ["label"] } } },
        },
        responses: { 201: { description: "Created.", content: { "application/json": { schema: { $ref: "#/components/schemas/ApiKey" } } } } },
      },
    },
    "/api/v0/keys/{keyId}": {
      delete: {
        operationId: "deleteApiKey",
        tags: ["API keys"],
        security: [{ bearerAuth: [] }],
        parameters: [{ name: "keyId", in: "path", required: true, schema: { type: "string", example: "key_1" } }],
        responses: { 204: { description: "Deleted." }, 404: { description: "Not found (codes: `not_found`)", content: { "application/json": { schema: envelope } } } },
      },
    },
    "/api/v0/ping": { get: { operationId: "ping", responses: { 200: { description: "Pong.", content: { "application/json": { schema: { type: "object", properties: { ok: { type: "boolean" } } } } } } } } },
    "/api/v0/teams": { get: { operationId: "listTeams", tags: ["Teams"], responses: { 200: { description: "Teams." } } } },
  },
};

let scratch: string;
let files: Map<string, string>;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "harmont-generators-"));
  const input = join(scratch, "openapi.json");
  writeFileSync(input, JSON.stringify(document));
  await generateSdk(join(scratch, "sdk"), input);
  files = renderAllDocs({ document, sdkDirectory: join(scratch, "sdk"), errorCodes, errorPages, auditActions, docsDirectory: join(scratch, "no-docs") });
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("docs generators on another document", () => {
  it("make pages for declared, undeclared and missing tags", () => {
    for (const slug of ["api-keys", "teams", "other"]) {
      expect(files.has(`docs/sdk/reference/${slug}.mdx`), slug).toBe(true);
      expect(files.has(`docs/api/reference/${slug}.mdx`), slug).toBe(true);
      expect(files.has(`docs/llms/${slug}.md`), slug).toBe(true);
    }
    expect(files.get("docs/sdk/reference/api-keys.mdx")).toMatch(/^# API keys \(\/sdk\/reference\/api-keys\)\n/);
    expect(files.get("docs/llms.txt")).toContain("- [API keys](/docs/llms/api-keys.md)");
  });

  it("name the SDK's real functions and types, inline bodies included", () => {
    const page = files.get("docs/sdk/reference/api-keys.mdx")!;
    const names = [...page.matchAll(/^### `(\w+)`/gm)].map((match) => match[1]);
    expect(names).toEqual(["createApiKey", "deleteApiKey", "listApiKeys"]);
    expect(page).toContain('**Body** `CreateApiKeyData["body"]`\n');
    expect(page).toContain("createApiKey(options): RequestResult<CreateApiKeyResponse>");
    expect(page).toContain("**Path** `keyId`");
    expect(page).toContain("Create a key \\{with braces\\} and \\<angles>");
  });

  it("write curl examples with path and query values, and tables that survive pipes", () => {
    const page = files.get("docs/api/reference/api-keys.mdx")!;
    expect(page).toContain('curl -X GET "http://localhost:8080/api/v0/keys?limit=20"');
    expect(page).toContain('curl -X DELETE "http://localhost:8080/api/v0/keys/key_1"');
    expect(page).toContain("| `label` | `string` | **yes** | Shown \\| in lists |");
    expect(page).toContain("| `limit` | query | `integer` | **yes** | Minimum 1. Maximum 100. |");
    expect(page).toContain('"scopes": [\n      "read"\n    ]');
  });
});

describe("the generated section of a guide", () => {
  const markers = { path: "guide.md", begin: AUDIT_ACTIONS_BEGIN, end: AUDIT_ACTIONS_END };

  it("replaces only what is between the markers, and gives the same page twice", () => {
    const guide = ["# Guide", "", "Before.", "", AUDIT_ACTIONS_BEGIN, "stale", AUDIT_ACTIONS_END, "", "After.", ""].join("\n");
    const once = replaceGeneratedSection(guide, "fresh", markers);
    expect(once).toBe(["# Guide", "", "Before.", "", AUDIT_ACTIONS_BEGIN, "", "fresh", "", AUDIT_ACTIONS_END, "", "After.", ""].join("\n"));
    expect(replaceGeneratedSection(once, "fresh", markers)).toBe(once);
  });

  it("refuses a guide whose markers are missing, repeated or out of order", () => {
    expect(() => replaceGeneratedSection("# Guide\n", "x", markers)).toThrow(/guide\.md/);
    expect(() => replaceGeneratedSection([AUDIT_ACTIONS_END, AUDIT_ACTIONS_BEGIN].join("\n"), "x", markers)).toThrow();
    expect(() => replaceGeneratedSection([AUDIT_ACTIONS_BEGIN, AUDIT_ACTIONS_END, AUDIT_ACTIONS_BEGIN, AUDIT_ACTIONS_END].join("\n"), "x", markers)).toThrow();
  });

  it("renders the audit actions as one table row each, pipes escaped", () => {
    const table = renderAuditActionsTable({ "x.happened": { happened: "a | b", actor: "the user", target: "none" } });
    expect(table.split("\n")).toEqual(["| action | what happened | actor | target |", "| --- | --- | --- | --- |", "| `x.happened` | a \\| b | the user | none |"]);
  });
});
