/**
 * The web app (`packages/web`, built by Vite into `packages/web/dist`), served at `/` from this
 * server's own origin, so `npm start` brings up the API and the app together:
 *
 * - `/assets/*`: Vite's content-hashed files, cached for a year (`immutable`);
 * - other files at the top of the build (`/favicon.svg`, …): cached for an hour;
 * - every other GET of a client route (`/`, `/sign-in`, `/cli-login`, `/account`, …): `index.html`
 *   with `Cache-Control: no-store`, and the React app picks the page.
 *
 * `/api/*`, `/.well-known/*` and `/docs*` are never answered here: unknown API and well-known
 * paths get the JSON 404/405 envelope (a client probing for metadata must see a 404, not the
 * app's page with a 200), and the docs keep their own Content-Security-Policy. Everything
 * served here carries the web app's strict policy (scripts and styles from this origin only,
 * nothing inline; the one connection beyond the origin is the nudge to a CLI's loopback listener
 * on `http://127.0.0.1`) and `Referrer-Policy: no-referrer`: `/cli-login` receives a nonce in its
 * URL, and no request the page makes, including that nudge, may carry it in a `Referer`. The
 * access log names route patterns only, never the path with its query.
 *
 * The files are sent by `@hono/node-server`'s `serveStatic` (streamed, with `Content-Length`,
 * `Last-Modified`, ranges and HEAD); only plain names reach it, and the content types and
 * headers are this module's own.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import type { AppDeps } from "../app-deps.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "../http/context.js";

/** The web app's build: from both src/routes/web-app.ts and dist/routes/web-app.js, `packages/web/dist`. */
export const defaultWebDirectory = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

/**
 * The policy of every web app response. The app needs nothing but its own origin, and after
 * Authorize one request to the CLI's loopback listener (`http://127.0.0.1:<port>/callback`), which
 * makes the CLI claim at once; any port, since the system picks the CLI's.
 */
export const webAppSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http://127.0.0.1:*",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
};

/**
 * File names the server will look up: plain names only, so no path can leave the build folder
 * and no dotfile is served. serveStatic refuses `..` and encoded paths too; this is stricter.
 */
const fileNamePattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

function isPlainPath(relative: string[]): boolean {
  return relative.length > 0 && relative.every((segment) => fileNamePattern.test(segment));
}

const missingBuildPage = (base: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Harmont: web app not built</title></head>
<body>
<h1>The web app has not been built</h1>
<p>This server answers the API at <a href="${base}/api/v0/meta">/api/v0</a> and its reference at <a href="${base}/docs">/docs</a>,
but the web app's files (<code>packages/web/dist</code>) are missing.</p>
<p>Run <code>npm run build</code> in the repository, then reload this page. While working on the app, <code>npm run dev</code>
serves it with hot reload.</p>
</body>
</html>
`;

export interface WebAppRouteOptions {
  /** Where the built app is (tests point it elsewhere). */
  webDirectory?: string;
}

function escapeAttribute(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

async function readIndexHtml(directory: string): Promise<string | null> {
  try {
    return await readFile(join(directory, "index.html"), "utf8");
  } catch {
    return null;
  }
}

function typeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return (dot >= 0 ? contentTypes[name.slice(dot).toLowerCase()] : undefined) ?? "application/octet-stream";
}

/** Prefixes the server keeps for itself: the web app's catch-all never answers under them. */
const serverPrefixes = ["/api", "/.well-known", "/docs"];

/** Development pages (`/dev/mail`): in production they do not exist, and answer 404. */
const developmentPrefixes = ["/dev"];

function isUnderPrefix(path: string, prefixes: string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * Serves the built web app. Register it after every other route: its catch-all answers only GET
 * and HEAD paths that no other route took, and passes `/api/*`, `/.well-known/*` and `/docs*` on
 * untouched, to the app's 404/405 envelope.
 */
export function registerWebAppRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, options: WebAppRouteOptions = {}): void {
  const directory = options.webDirectory ?? defaultWebDirectory;
  // Behind a proxy that mounts the server under a path (https://example.com/auth/), the page's
  // links must carry that path; the app reads it from the `harmont-base` meta tag.
  const base = deps.config.publicUrl.pathname.replace(/\/+$/, "");

  const securityHeaders: Array<[string, string]> = [
    ["Content-Security-Policy", webAppSecurityPolicy],
    ["Referrer-Policy", "no-referrer"],
    ["X-Content-Type-Options", "nosniff"],
  ];

  const sendIndex = async (c: Context<AppEnv>) => {
    for (const [name, value] of securityHeaders) c.header(name, value);
    c.header("Cache-Control", "no-store");
    let html = await readIndexHtml(directory);
    if (html === null) return c.html(missingBuildPage(escapeAttribute(base)), 503);
    if (base) {
      html = html
        .replace(/\b(src|href)="\//g, `$1="${base}/`)
        .replace(/<meta name="harmont-base" content="[^"]*"\s*\/?>/, `<meta name="harmont-base" content="${escapeAttribute(base)}">`);
    }
    return c.html(html);
  };

  const serveBuildFile = serveStatic<AppEnv>({
    // `root` is left empty and the path made absolute here instead: given a root, serveStatic
    // writes a warning to the console at start-up when the folder is missing, and an API-only
    // server without the built app is a normal state (the page above says how to build it).
    rewriteRequestPath: (path) => join(directory, path),
    // A directory is never answered with an index inside it: Node refuses a NUL in a path, so
    // this "index" can never be found and the directory counts as missing.
    index: "\0",
  });

  /** The build's file at the request's path, or null when there is none (the caller decides what a miss is). */
  const sendFile = async (c: Context<AppEnv>, relative: string[], cacheControl: string): Promise<Response | null> => {
    if (!isPlainPath(relative)) return null;
    let missing = false;
    const response = await serveBuildFile(c, async () => {
      missing = true;
    });
    if (missing || !response) return null;
    // Set on the finished response: a miss goes on to the 404 envelope without any of them.
    for (const [name, value] of securityHeaders) response.headers.set(name, value);
    response.headers.set("Content-Type", typeOf(relative.at(-1)!));
    response.headers.set("Cache-Control", cacheControl);
    return response;
  };

  app.get("/assets/*", async (c) => {
    c.set("routePattern", "/assets/*");
    const relative = c.req.path.slice("/assets/".length).split("/");
    // Vite puts a content hash in every name under assets/, so a name never changes meaning.
    const response = await sendFile(c, ["assets", ...relative], "public, max-age=31536000, immutable");
    if (!response) throw new ApiError("not_found");
    return response;
  });

  const reserved = deps.config.environment === "production" ? [...serverPrefixes, ...developmentPrefixes] : serverPrefixes;
  app.get("*", async (c, next: Next) => {
    const path = c.req.path;
    if (isUnderPrefix(path, reserved)) return next();
    const lastSegment = path.slice(path.lastIndexOf("/") + 1);
    if (lastSegment.includes(".")) {
      // A file at the top of the build (favicon, robots.txt); anything else is the 404 envelope.
      if (path.indexOf("/", 1) !== -1 || lastSegment === "index.html") return next();
      const response = await sendFile(c, [lastSegment], "public, max-age=3600");
      if (!response) return next();
      c.set("routePattern", "/(web)");
      return response;
    }
    c.set("routePattern", "/(web)");
    return sendIndex(c);
  });
}
