/**
 * The served docs, walked like a reader would: every page the server serves from the docs folder
 * (as HTML and as Markdown), every error page, /llms.txt and /docs are requested in process, and
 * every link on them to this server is followed and must answer 200; a `#fragment` must name an
 * element of the HTML page it leads to. Also: the guides render as they are written (headings are
 * headings, code blocks are code blocks, nothing is left as diagram source).
 * docs/links.test.ts checks the same links as files on the repository host.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import markdownIt from "markdown-it";
import type { Token } from "markdown-it";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodes } from "../errors.js";
import { createSqliteTestDatabase } from "../test-support/databases.js";
import { createTestServer, type TestServer } from "../test-support/harness.js";
import { defaultDocsDirectory } from "./docs.js";

const origin = "http://harmont.test";
let server: TestServer;

beforeAll(async () => {
  server = await createTestServer(createSqliteTestDatabase(), { HARMONT_PUBLIC_URL: origin, HARMONT_ENV: "development", HARMONT_LOG_LEVEL: "silent" });
});

afterAll(async () => {
  await server?.close();
});

/** The docs folder's pages as the server keys them: paths without `.md`/`.mdx`, examples left out. */
function listPages(directory = defaultDocsDirectory, prefix = ""): Array<{ key: string; file: string }> {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return name === "examples" || name === "node_modules" ? [] : listPages(path, `${prefix}${name}/`);
    const match = /^(.*)\.mdx?$/.exec(name);
    return match ? [{ key: `${prefix}${match[1]}`, file: path }] : [];
  });
}

const markdown = markdownIt("default", { html: false });

function markdownLinks(text: string): string[] {
  const links: string[] = [];
  const visit = (tokens: Token[]) => {
    for (const token of tokens) {
      if (token.type === "link_open") links.push(String(token.attrGet("href")));
      if (token.type === "image") links.push(String(token.attrGet("src")));
      if (token.children) visit(token.children);
    }
  };
  visit(markdown.parse(text, {}));
  return links;
}

const decodeAttribute = (value: string) =>
  value.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

function htmlLinks(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((match) => decodeAttribute(match[1]!));
}

interface Fetched {
  status: number;
  type: string;
  body: string;
}

describe("the served docs", () => {
  const fetched = new Map<string, Fetched>();
  const linkedFrom = new Map<string, string>();
  const fragments: Array<{ target: string; fragment: string; from: string }> = [];
  const htmlLinksToMarkdown: string[] = [];

  beforeAll(async () => {
    const start = ["/docs", "/llms.txt", "/docs/api/errors", ...Object.keys(errorCodes).map((code) => `/docs/api/errors/${code}`)];
    for (const { key } of listPages()) start.push(`/docs/${key}`, `/docs/${key}.md`);
    const queue = [...new Set(start)];
    for (const path of queue) linkedFrom.set(path, "(a page of the docs folder)");
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (fetched.has(path)) continue;
      const response = await server.request(path);
      const type = response.headers.get("content-type") ?? "";
      const readable = /^text\/(html|markdown|plain)/.test(type);
      const body = readable ? await response.text() : (await response.arrayBuffer(), "");
      fetched.set(path, { status: response.status, type, body });
      if (response.status !== 200 || !readable) continue;
      const links = type.startsWith("text/html") ? htmlLinks(body) : markdownLinks(body);
      for (const link of links) {
        const url = new URL(link, `${origin}${path}`);
        if (url.origin !== origin) continue;
        const target = `${url.pathname}${url.search}`;
        if (type.startsWith("text/html") && /\.mdx?$/.test(url.pathname) && url.pathname !== path) htmlLinksToMarkdown.push(`${path} → ${link}`);
        if (url.hash.length > 1) fragments.push({ target, fragment: decodeURIComponent(url.hash.slice(1)), from: path });
        if (!fetched.has(target) && !linkedFrom.has(target)) {
          linkedFrom.set(target, path);
          queue.push(target);
        }
      }
    }
  });

  it("walk every page of the docs folder, every error page and what they link to", () => {
    expect(fetched.size).toBeGreaterThan(2 * listPages().length);
    for (const path of ["/docs/guides/quick-start", "/docs/api/reference/auth", "/docs/sdk/reference/auth", "/docs/scalar.js", "/api/v0/openapi.json"]) {
      expect(fetched.has(path), path).toBe(true);
    }
  });

  it("every internal link answers 200", () => {
    const broken = [...fetched].filter(([, page]) => page.status !== 200).map(([path, page]) => `${path} (${page.status}), linked from ${linkedFrom.get(path)}`);
    expect(broken).toEqual([]);
  });

  it("every #fragment names an element of the page it leads to", () => {
    const missing = fragments
      .filter(({ target }) => fetched.get(target)?.type.startsWith("text/html"))
      .filter(({ target, fragment }) => !fetched.get(target)!.body.includes(` id="${fragment}"`))
      .map(({ target, fragment, from }) => `${from} → ${target}#${fragment}`);
    expect(missing).toEqual([]);
    expect(fragments.length).toBeGreaterThan(0);
  });

  it("HTML pages link to HTML pages: links between files are mapped to routes", () => {
    expect(htmlLinksToMarkdown).toEqual([]);
  });
});

describe("the guides, served", () => {
  const guides = listPages().filter(({ key }) => key.startsWith("guides/"));

  /** The source outside fenced code, and the number of fenced blocks. */
  function outline(source: string) {
    let fences = 0;
    let inFence: string | null = null;
    const headings: string[] = [];
    for (const line of source.split("\n")) {
      const fence = /^(`{3,}|~{3,})/.exec(line)?.[1];
      if (inFence) {
        if (fence && fence[0] === inFence[0] && fence.length >= inFence.length && line.trim() === fence) inFence = null;
        continue;
      }
      if (fence) {
        inFence = fence;
        fences++;
        continue;
      }
      const heading = /^(#{1,6}) /.exec(line);
      if (heading) headings.push(`h${heading[1]!.length}`);
    }
    return { fences, headings };
  }

  it.each(guides.map(({ key, file }) => [key, file]))("%s: headings stay headings and every code block is one block", async (key, file) => {
    const source = readFileSync(file, "utf8");
    const response = await server.request(`/docs/${key}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    const { fences, headings } = outline(source);
    expect([...html.matchAll(/<(h[1-6])[ >]/g)].map((match) => match[1])).toEqual(headings);
    expect(html.match(/<pre>/g)?.length ?? 0).toBe(fences);
  });

  it("no page holds a diagram the served site would show as source", () => {
    for (const { key, file } of listPages()) expect(readFileSync(file, "utf8"), key).not.toMatch(/^```\s*mermaid/m);
  });
});
