/**
 * The packages can be published as they stand: `npm pack` of each publishable workspace holds
 * what its `exports`, `types` and `bin` name, every file those load (relative imports and
 * `new URL(…, import.meta.url)` reads), and nothing that is not for users (sources, tests, build
 * caches, stale output). Each tarball is then unpacked into a bare `node_modules`, next to the
 * dependencies it declares, and its entry points are imported and its commands run from there,
 * the way an installed copy runs them. The quick start tells users to install @harmont/cloud
 * from such a tarball.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = new URL("../", import.meta.url).pathname;

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const workspaces = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
const manifests = workspaces.map((folder) => ({ folder, manifest: JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8")) as Manifest }));
const publishable = manifests.filter(({ manifest }) => !manifest.private);

/**
 * Files outside a package that it reads when they are there, and does without when installed:
 * the server serves the web app's build and the repository's docs from the clone, and answers 404
 * for them otherwise (the error pages come from its own table either way).
 */
const outsideByDesign: Record<string, string[]> = {
  "@harmont/server": ["../web/dist/", "../../docs/"],
};

/** Every file path an `exports` value names (conditions and subpaths included). */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value && typeof value === "object") return Object.values(value).flatMap(exportTargets);
  return [];
}

const normalize = (path: string) => posix.normalize(path).replace(/^\.\//, "");

function packedFiles(folder: string): string[] {
  const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: join(root, folder), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const [result] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
  return result!.files.map((file) => file.path).sort();
}

/** The relative specifiers a module loads: static and dynamic imports, re-exports, and URLs made from import.meta.url. */
function relativeReferences(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of [
    /\b(?:import|export)\s[^"';]*?\sfrom\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
    /\bnew URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g,
  ]) {
    for (const [, specifier] of source.matchAll(pattern)) found.add(specifier!);
  }
  return [...found];
}

/** The packages a module imports by name (`hono`, `@hono/node-server/serve-static` → `@hono/node-server`). */
function packageImports(source: string): string[] {
  const found = new Set<string>();
  for (const [, specifier] of source.matchAll(/\b(?:import|export)\s[^"';]*?\sfrom\s*["']([^"'.][^"']*)["']|\bimport\s*\(?\s*["']([^"'.][^"']*)["']/g)) {
    if (!specifier || specifier.startsWith("node:")) continue;
    const parts = specifier.split("/");
    found.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
  }
  return [...found];
}

describe.each(publishable.map(({ folder, manifest }) => [manifest.name, folder, manifest] as const))("%s, packed", (name, folder, manifest) => {
  let files: string[];
  let packed: Set<string>;
  beforeAll(() => {
    if (!existsSync(join(root, folder, "dist"))) throw new Error(`${folder} is not built: run \`npm run build\` first (npm test does it)`);
    files = packedFiles(folder);
    packed = new Set(files);
  }, 60_000);

  it("holds every exports, main, types and bin target", () => {
    const targets = [...exportTargets(manifest.exports), manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})].filter((target): target is string => Boolean(target));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(packed.has(normalize(target)), `${target} is not in the tarball`).toBe(true);
    // A JavaScript entry point without declarations next to it gives TypeScript users nothing.
    for (const target of exportTargets(manifest.exports).filter((path) => path.endsWith(".js"))) {
      expect(packed.has(normalize(target).replace(/\.js$/, ".d.ts")), `${target} has no .d.ts`).toBe(true);
    }
  });

  it("holds every file its modules load, and a shebang on each command", () => {
    const missing: string[] = [];
    for (const file of files.filter((path) => /\.(js|mjs)$/.test(path))) {
      const source = readFileSync(join(root, folder, file), "utf8");
      for (const specifier of relativeReferences(source)) {
        const target = posix.normalize(posix.join(posix.dirname(file), specifier));
        if (target.startsWith("../")) {
          if (!(outsideByDesign[name] ?? []).includes(target)) missing.push(`${file} reads ${specifier}, outside the package`);
          continue;
        }
        const isFolder = specifier.endsWith("/");
        if (isFolder ? !files.some((path) => path.startsWith(target)) : !packed.has(target)) missing.push(`${file} loads ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
    for (const bin of Object.values(manifest.bin ?? {})) expect(readFileSync(join(root, folder, bin), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it("declares every package its modules import", () => {
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const undeclared = new Set<string>();
    for (const file of files.filter((path) => /\.(js|mjs)$/.test(path))) {
      for (const imported of packageImports(readFileSync(join(root, folder, file), "utf8"))) if (!declared.has(imported) && imported !== name) undeclared.add(`${file}: ${imported}`);
    }
    expect([...undeclared]).toEqual([]);
  });

  it("holds nothing that is not for users: no sources, tests, build caches or stale output", () => {
    for (const file of files) {
      expect(file, file).not.toMatch(/(^|\/)(src|test|test-support|examples|scripts)\//);
      expect(file, file).not.toMatch(/\.test\.|\.tsbuildinfo$|(^|\/)tsconfig[^/]*\.json$/);
    }
    // tsc never deletes the output of a source that was removed: such a file would ship.
    const stale = files
      .filter((file) => file.startsWith("dist/"))
      .map((file) => file.slice("dist/".length).replace(/(\.d\.ts|\.js\.map|\.js)$/, ""))
      .filter((stem) => !existsSync(join(root, folder, "src", `${stem}.ts`)) && !existsSync(join(root, folder, "src", `${stem}.tsx`)));
    expect([...new Set(stale)], `stale build output in ${folder}/dist: delete the folder and run npm run build`).toEqual([]);
  });
});

describe("the tarballs, installed", () => {
  let scratch: string;
  let modules: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), "harmont-packages-"));
    modules = join(scratch, "project", "node_modules");
    mkdirSync(modules, { recursive: true });
    for (const { folder, manifest } of publishable) {
      const output = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: join(root, folder), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      const [{ filename }] = JSON.parse(output) as [{ filename: string }];
      const target = join(modules, manifest.name);
      mkdirSync(target, { recursive: true });
      execFileSync("tar", ["-xzf", join(scratch, filename), "-C", target, "--strip-components=1"]);
    }
    // The other dependencies, as npm install would fetch them: the ones this clone installed.
    for (const { manifest } of publishable) {
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        const target = join(modules, dependency);
        if (existsSync(target)) continue;
        mkdirSync(dirname(target), { recursive: true });
        symlinkSync(join(root, "node_modules", dependency), target, "dir");
      }
    }
  }, 120_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: join(scratch, "project"), encoding: "utf8", timeout: 30_000, env: { ...process.env, NO_COLOR: "1" } });

  it("each package's entry points import", () => {
    for (const { manifest } of publishable) {
      const result = run(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(manifest.name)}); if (Object.keys(m).length === 0) process.exit(3);`]);
      expect(result.status, `${manifest.name}: ${result.stderr}`).toBe(0);
    }
  });

  it("@harmont/cloud works on its own: no dependencies, a client and a nonce", () => {
    const cloud = publishable.find(({ manifest }) => manifest.name === "@harmont/cloud")!.manifest;
    expect(Object.keys(cloud.dependencies ?? {})).toEqual([]);
    const script = 'import { createHarmontClient, generateNonce } from "@harmont/cloud"; createHarmontClient({ baseUrl: "http://127.0.0.1:9" }); console.log(generateNonce().length);';
    const result = run(process.execPath, ["--input-type=module", "-e", script]);
    expect(result.stderr).toBe("");
    expect(Number(result.stdout.trim())).toBeGreaterThanOrEqual(22);
  });

  it("each command runs from the installed copy", () => {
    for (const { manifest } of publishable) {
      for (const [command, path] of Object.entries(manifest.bin ?? {})) {
        const result = run(process.execPath, [join(modules, manifest.name, path), "--version"]);
        expect(result.status, `${command} --version: ${result.stderr}`).toBe(0);
        expect(result.stdout.trim(), command).toContain(manifest.version);
      }
    }
  });
});
