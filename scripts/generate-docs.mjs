/**
 * npm run generate (docs part): writes every generated docs file from openapi/openapi.json, the
 * generated SDK and the server's error and audit-action tables, and deletes generated files that
 * no longer have a source (a tag or an error code that was removed). Hand-written guides are
 * never touched, except for a generated section between marker lines (the security guide's
 * audit actions); such a guide is never deleted.
 *
 *   node scripts/generate-docs.mjs
 *
 * Needs the server's build (packages/server/dist) for its tables; `npm run generate` builds it
 * first. The staleness test calls renderAllDocs() with the tables from the server's sources and
 * compares with the committed files.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderApiDocs } from "./generate-api-docs.mjs";
import { AUDIT_ACTIONS_GUIDE, renderAuditDocs } from "./generate-audit-docs.mjs";
import { renderErrorDocs } from "./generate-error-docs.mjs";
import { renderLlmsDocs } from "./generate-llms-docs.mjs";
import { renderSdkDocs } from "./generate-sdk-docs.mjs";
import { compareStrings, defaultSdkDirectory, readOpenApiDocument, repositoryRoot, sortFiles } from "./lib/openapi.mjs";

/** Where generated files live: a directory and the extension of the files the generators own there. */
export const generatedLocations = [
  { directory: "docs/sdk/reference", extension: ".mdx" },
  { directory: "docs/api/reference", extension: ".mdx" },
  { directory: "docs/api/errors", extension: ".md" },
  { directory: "docs/llms", extension: ".md" },
];
export const generatedSingleFiles = ["docs/api/errors.md", "docs/llms.txt"];
/** Hand-written pages with a generated section: rewritten like generated files, never deleted. */
export const generatedSections = [AUDIT_ACTIONS_GUIDE];

/**
 * Every generated docs file, keyed by its path in the repository.
 * @param {{ document: object, sdkDirectory?: string, errorCodes: Record<string, any>, errorPages: any, auditActions: Record<string, any>, docsDirectory?: string }} sources
 */
export function renderAllDocs({ document, sdkDirectory = defaultSdkDirectory, errorCodes, errorPages, auditActions, docsDirectory }) {
  return sortFiles(
    new Map([
      ...renderSdkDocs(document, sdkDirectory),
      ...renderApiDocs(document, errorCodes),
      ...renderErrorDocs(errorCodes, errorPages),
      ...renderLlmsDocs(document, sdkDirectory, docsDirectory),
      ...renderAuditDocs(auditActions, docsDirectory),
    ]),
  );
}

/** The generated files now in the repository (relative paths). */
export function listGeneratedFiles(root = repositoryRoot) {
  const found = [];
  for (const { directory, extension } of generatedLocations) {
    let names = [];
    try {
      names = readdirSync(join(root, directory));
    } catch {
      continue;
    }
    for (const name of names) if (name.endsWith(extension)) found.push(`${directory}/${name}`);
  }
  for (const path of [...generatedSingleFiles, ...generatedSections]) if (existsSync(join(root, path))) found.push(path);
  return found.sort(compareStrings);
}

async function main() {
  const errors = await import("../packages/server/dist/errors.js");
  const errorPages = await import("../packages/server/dist/docs/error-pages.js");
  const audit = await import("../packages/server/dist/auth/audit-actions.js");
  const files = renderAllDocs({ document: readOpenApiDocument(), errorCodes: errors.errorCodes, errorPages, auditActions: audit.auditActions });
  for (const path of listGeneratedFiles()) {
    if (!files.has(path) && !generatedSections.includes(path)) {
      rmSync(join(repositoryRoot, path));
      process.stdout.write(`removed ${path}\n`);
    }
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(join(repositoryRoot, path)), { recursive: true });
    writeFileSync(join(repositoryRoot, path), content);
  }
  process.stdout.write(`wrote ${files.size} docs files\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
