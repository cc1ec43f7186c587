/**
 * The error answer a person sees: a browser that asks for a page outside the API (`/docs/…`, a
 * mistyped file under the web app) gets the error as an HTML page in the web app's colours
 * instead of the JSON envelope. API and well-known paths always answer the envelope, whatever
 * they are asked for, so clients never have to parse HTML.
 */
import type { Context } from "hono";
import { escapeHtml, renderHtmlPage } from "../docs/markdown.js";
import { serverPageSecurityPolicy } from "../docs/page-chrome.js";
import type { ApiError } from "../errors.js";
import type { AppEnv } from "./context.js";

/** A GET or HEAD of a page (not of the API), from a client that accepts HTML. */
export function wantsErrorPage(c: Context<AppEnv>): boolean {
  const method = c.req.method;
  if (method !== "GET" && method !== "HEAD") return false;
  const path = c.req.path;
  if (path === "/api" || path.startsWith("/api/") || path.startsWith("/.well-known/")) return false;
  return (c.req.header("accept") ?? "").includes("text/html");
}

/** The page: what went wrong in words, the way on, and the request id for a support question. */
export function renderErrorPage(c: Context<AppEnv>, error: ApiError, options: { docsUrl: string; docUrl: string; requestId: string }): Response {
  // The web app sits one level above the docs (`<public url>/docs`), under any mount path.
  const home = options.docsUrl.endsWith("/docs") ? `${options.docsUrl.slice(0, -"/docs".length)}/` : "/";
  const heading = error.status === 404 ? "Page not found" : "Something went wrong";
  const body = [
    `<h1>${heading}</h1>`,
    `<p>${escapeHtml(error.message)}</p>`,
    `<p><a href="${escapeHtml(home)}">Go to the start page</a> · <a href="${escapeHtml(options.docsUrl)}">API reference</a> · <a href="${escapeHtml(options.docUrl)}">About <code>${escapeHtml(error.code)}</code></a></p>`,
    `<p class="request-id">Request id: <code>${escapeHtml(options.requestId)}</code></p>`,
  ].join("\n");
  c.header("Content-Security-Policy", serverPageSecurityPolicy);
  return c.html(renderHtmlPage(heading, body, { iconHref: `${home}favicon.svg` }), error.status);
}
