/**
 * The docs the server serves itself, all from its own origin (no CDN, so they work on closed
 * networks):
 *
 * - `/docs`: the interactive API reference (Scalar), reading `/api/v0/openapi.json`, its script
 *   served at `/docs/scalar.js` from the `@scalar/api-reference` package;
 * - `/docs/api/errors/<code>`: the page of every code of the error table (the envelope's
 *   `doc_url`), rendered from the table itself, so it exists even without the docs folder;
 * - `/llms.txt` and `/docs/llms/<group>.md`: Markdown for language models;
 * - `/docs/<page>`: the repository's generated references and guides as HTML, and
 *   `/docs/<page>.md` as Markdown.
 *
 * Each handler names its route pattern for the access log, never the URL.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { docsBarCss, docsPalette, renderDocsBar, serverPageSecurityPolicy } from "../docs/page-chrome.js";
import type { Context } from "hono";
import type { AppDeps } from "../app-deps.js";
import { renderErrorIndex, renderErrorPage } from "../docs/error-pages.js";
import { renderHtmlPage, renderMarkdown } from "../docs/markdown.js";
import { ApiError, errorCodes, type ErrorCode } from "../errors.js";
import type { AppEnv } from "../http/context.js";

/** The repository's docs folder: four levels up from both src/routes/docs.ts and dist/routes/docs.js. */
export const defaultDocsDirectory = fileURLToPath(new URL("../../../../docs/", import.meta.url));

/** Pages are plain documents: no scripts at all, inline styles only. */

interface DocsPage {
  /** The page's Markdown (or MDX) source. */
  markdown: string;
  title: string;
  /** Its file in the docs folder (`guides/quick-start.md`): its relative links start there. */
  path: string;
}

/** Every .md and .mdx file under the docs folder, keyed by its path without the extension. */
function loadPages(directory: string): Map<string, DocsPage> {
  const pages = new Map<string, DocsPage>();
  const walk = (relative: string) => {
    let names: string[];
    try {
      names = readdirSync(join(directory, relative));
    } catch {
      return;
    }
    for (const name of names) {
      const path = relative ? `${relative}/${name}` : name;
      if (statSync(join(directory, path)).isDirectory()) {
        if (name !== "examples" && name !== "node_modules") walk(path);
        continue;
      }
      const match = /^(.*)\.(md|mdx)$/.exec(path);
      if (!match) continue;
      const markdown = readFileSync(join(directory, path), "utf8");
      const heading = /^#\s+(.+?)(?:\s+\(\/[^)]*\))?\s*$/m.exec(markdown)?.[1] ?? match[1]!;
      pages.set(match[1]!, { markdown, title: heading.replaceAll("`", ""), path });
    }
  };
  walk("");
  return pages;
}

function resolveScalarBundle(): string | null {
  try {
    return createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js");
  } catch {
    return null;
  }
}

/** The Content-Security-Policy of the reference page: its inline configuration script is allowed by hash. */
function scalarSecurityPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash("sha256").update(match[1]!).digest("base64")}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(" ")}`,
    // The reference injects its styles at run time.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export interface DocsRouteOptions {
  /** Where the docs folder is (tests point it elsewhere). */
  docsDirectory?: string;
}

export function registerDocsRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, options: DocsRouteOptions = {}): void {
  const pages = loadPages(options.docsDirectory ?? defaultDocsDirectory);
  // The server may live under a path (https://example.com/auth/): links are built from it.
  const base = deps.config.publicUrl.pathname.replace(/\/+$/, "");
  const linkBase = `${base}/docs`;
  const docsBar = renderDocsBar(base, linkBase);

  // `pagePath` is the page's file in the docs folder: links between files (`../api/errors.md`)
  // are resolved from it to the routes below.
  const sendHtml = (c: Context<AppEnv>, title: string, markdown: string, pagePath: string) => {
    c.header("Content-Security-Policy", serverPageSecurityPolicy);
    c.header("Cache-Control", "no-cache");
    return c.html(renderHtmlPage(title, renderMarkdown(markdown, { linkBase, pagePath }), { bar: docsBar, iconHref: `${base}/favicon.svg` }));
  };
  const sendMarkdown = (c: Context<AppEnv>, markdown: string, type = "text/markdown") => {
    c.header("Content-Type", `${type}; charset=utf-8`);
    c.header("Cache-Control", "no-cache");
    return c.body(markdown);
  };

  // The interactive reference, configured to load nothing from outside this server.
  const scalar = Scalar<AppEnv>({
    url: `${base}/api/v0/openapi.json`,
    cdn: `${base}/docs/scalar.js`,
    pageTitle: "Harmont API reference",
    favicon: `${base}/favicon.svg`,
    withDefaultFonts: false,
    telemetry: false,
    // Scalar's own API client app, its developer toolbar and its dark-mode switch are not part
    // of Harmont's docs.
    hideClientButton: true,
    hideDarkModeToggle: true,
    showDeveloperTools: "never",
    customCss: `.light-mode, .dark-mode { --scalar-color-accent: ${docsPalette.accent}; }\n${docsBarCss}`,
  });
  let scalarPolicy: string | null = null;
  app.get("/docs", async (c, next) => {
    c.set("routePattern", "/docs");
    const response = await scalar(c, next);
    if (!response) throw new ApiError("not_found");
    const html = (await response.text()).replace(/<body([^>]*)>/, (body) => `${body}\n${docsBar}`);
    scalarPolicy ??= scalarSecurityPolicy(html);
    c.header("Content-Security-Policy", scalarPolicy);
    c.header("Cache-Control", "no-cache");
    return c.html(html);
  });
  app.get("/docs/", (c) => {
    c.set("routePattern", "/docs/");
    return c.redirect(`${base}/docs`, 301);
  });

  const bundlePath = resolveScalarBundle();
  let bundle: ArrayBuffer | null = null;
  app.get("/docs/scalar.js", (c) => {
    c.set("routePattern", "/docs/scalar.js");
    if (!bundlePath) throw new ApiError("not_found");
    if (!bundle) {
      const file = readFileSync(bundlePath);
      bundle = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
    }
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(bundle);
  });

  // The error pages, from the table: a 200 for every code, the 404 envelope for anything else.
  const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(errorCodes, code);
  app.get("/docs/api/errors", (c) => {
    c.set("routePattern", "/docs/api/errors");
    return sendHtml(c, "Error codes", renderErrorIndex(errorCodes), "api/errors.md");
  });
  app.get("/docs/api/errors.md", (c) => {
    c.set("routePattern", "/docs/api/errors.md");
    return sendMarkdown(c, renderErrorIndex(errorCodes));
  });
  app.get("/docs/api/errors/:code", (c) => {
    c.set("routePattern", "/docs/api/errors/:code");
    const requested = c.req.param("code");
    const asMarkdown = requested.endsWith(".md");
    const code = asMarkdown ? requested.slice(0, -3) : requested;
    if (!isErrorCode(code)) throw new ApiError("not_found");
    const markdown = renderErrorPage(code, errorCodes[code]);
    return asMarkdown ? sendMarkdown(c, markdown) : sendHtml(c, `${code}: Harmont error`, markdown, `api/errors/${code}.md`);
  });

  // For language models: the index, and one page per API group (served below as /docs/llms/<group>.md).
  let llmsIndex: string | null = null;
  try {
    llmsIndex = readFileSync(join(options.docsDirectory ?? defaultDocsDirectory, "llms.txt"), "utf8");
  } catch {
    // No docs folder next to this build: /llms.txt answers 404.
  }
  for (const pattern of ["/llms.txt", "/docs/llms.txt"]) {
    app.get(pattern, (c) => {
      c.set("routePattern", pattern);
      if (llmsIndex === null) throw new ApiError("not_found");
      return sendMarkdown(c, llmsIndex, "text/plain");
    });
  }

  // Everything else in the docs folder: `/docs/<page>` as HTML, `/docs/<page>.md` as Markdown.
  app.get("/docs/*", (c) => {
    c.set("routePattern", "/docs/*");
    const rest = c.req.path.slice(`/docs/`.length).replace(/\/+$/, "");
    const asMarkdown = /\.mdx?$/.test(rest);
    const key = rest.replace(/\.mdx?$/, "");
    // Only plain page paths: no dot segments, nothing outside the docs folder.
    if (!/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/i.test(key)) throw new ApiError("not_found");
    const page = pages.get(key) ?? pages.get(`${key}/index`);
    if (!page) throw new ApiError("not_found");
    return asMarkdown ? sendMarkdown(c, page.markdown) : sendHtml(c, `${page.title}: Harmont docs`, page.markdown, page.path);
  });
}
