/**
 * Module hooks that let a plain `node` child process import the CLI's TypeScript sources, so a
 * test can race real processes against the code as it is in src/ (not a build that may be old):
 * `./x.js` imported from a `.ts` file resolves to `./x.ts` beside it, and `.ts` files are
 * transpiled with TypeScript's `transpileModule` (no type check; `npm run typecheck` does that).
 *
 * Use: node --import ./test/support/typescript-loader.mjs script.mjs
 */
import { readFile } from "node:fs/promises";
import ts from "typescript";

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fromTypeScript = context.parentURL?.endsWith(".ts") ?? false;
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !fromTypeScript || !specifier.endsWith(".js")) throw error;
    return nextResolve(`${specifier.slice(0, -".js".length)}.ts`, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const source = await readFile(new URL(url), "utf8");
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: "module", source: outputText, shortCircuit: true };
}
