/**
 * Every link in the repository's Markdown (README.md, the packages' READMEs, docs/README.md, the
 * guides and the generated references) works on the repository host: a relative link names a
 * file or folder that exists, and its `#fragment` names a heading of that page (GitHub's slug).
 * The server serves the same files and maps these links to its routes;
 * packages/server/src/routes/docs-links.test.ts follows them there.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import markdownIt from "markdown-it";
import type { Token } from "markdown-it";
import { describe, expect, it } from "vitest";
import { repositoryHeadingAnchors } from "../packages/server/src/docs/markdown.js";

const root = new URL("../", import.meta.url).pathname;

/** Folders that hold no hand-written or generated docs: dependencies, builds, test output, dot folders. */
const skippedFolders = new Set(["node_modules", "dist", "coverage", "test-results"]);

function listMarkdownFiles(directory = root): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".") || skippedFolders.has(entry.name)) return [];
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return listMarkdownFiles(path);
    return /\.mdx?$/.test(entry.name) ? [relative(root, path).split(sep).join("/")] : [];
  });
}

// html: true, so that a raw <a href> or <img src> (which the repository host renders) is seen too.
const parser = markdownIt("default", { html: true });

interface Link {
  url: string;
  line: number;
}

/** Every link and image target of a page, outside code, with its line. */
function listLinks(markdown: string): Link[] {
  const links: Link[] = [];
  const visit = (tokens: Token[], line: number) => {
    for (const token of tokens) {
      const at = token.map ? token.map[0] + 1 : line;
      if (token.type === "link_open") links.push({ url: String(token.attrGet("href")), line: at });
      if (token.type === "image") links.push({ url: String(token.attrGet("src")), line: at });
      if (token.type === "html_inline" || token.type === "html_block") {
        for (const [, url] of token.content.matchAll(/\b(?:href|src)="([^"]*)"/g)) links.push({ url: url!, line: at });
      }
      if (token.children) visit(token.children, at);
    }
  };
  visit(parser.parse(markdown, {}), 1);
  return links;
}

const isFile = (path: string) => statSync(join(root, path), { throwIfNoEntry: false })?.isFile() ?? false;
const exists = (path: string) => statSync(join(root, path), { throwIfNoEntry: false }) !== undefined;

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (!anchors) {
    anchors = new Set(repositoryHeadingAnchors(readFileSync(join(root, path), "utf8")));
    anchorCache.set(path, anchors);
  }
  return anchors;
}

/** What is wrong with one link of `page`, or null when it works on the repository host. */
function checkLink(page: string, url: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith("//")) return null; // another site: not followed here
  if (url.startsWith("/")) return "is root-relative: the repository host and the served docs read it differently; write a path relative to this file";
  const [, encodedPath = "", fragment] = /^([^#?]*)(?:\?[^#]*)?(?:#(.*))?$/s.exec(url) ?? [];
  const path = decodeURIComponent(encodedPath);
  const target = path === "" ? page : posix.normalize(posix.join(posix.dirname(page), path));
  if (target === ".." || target.startsWith("../")) return "leaves the repository";
  if (!exists(target)) return `names ${target}, which does not exist`;
  if (page.startsWith("docs/") && !target.startsWith("docs/")) {
    return "leaves the docs folder: the served docs have no page for it";
  }
  if (fragment !== undefined && /\.mdx?$/.test(target) && isFile(target) && !anchorsOf(target).has(decodeURIComponent(fragment))) {
    return `names #${fragment}, which is no heading of ${target}`;
  }
  return null;
}

describe("links in the repository's Markdown", () => {
  const pages = listMarkdownFiles();

  it("cover the READMEs, the guides and the generated references", () => {
    for (const page of ["README.md", "docs/README.md", "docs/guides/quick-start.md", "docs/api/errors.md", "docs/api/reference/auth.mdx", "docs/sdk/reference/auth.mdx"]) {
      expect(pages).toContain(page);
    }
    expect(pages.every((page) => !page.includes("node_modules/"))).toBe(true);
  });

  it("each resolve to a file or folder of the repository, and each #fragment to a heading", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of pages) {
      for (const { url, line } of listLinks(readFileSync(join(root, page), "utf8"))) {
        checked++;
        const problem = checkLink(page, url);
        if (problem) broken.push(`${page}:${line}: ${url} ${problem}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it("a Markdown guide has no [#id] heading anchors, which the repository host shows as text", () => {
    for (const page of pages.filter((path) => path.endsWith(".md"))) {
      const text = readFileSync(join(root, page), "utf8").replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
      expect(text, page).not.toMatch(/^#{1,6} .*\[#[\w-]+\]\s*$/m);
    }
  });

  it("the checker itself finds what is broken", () => {
    expect(checkLink("docs/guides/quick-start.md", "cli-login.md#choosing-the-path")).toBeNull();
    expect(checkLink("docs/guides/quick-start.md", "../api/errors.md")).toBeNull();
    expect(checkLink("docs/guides/quick-start.md", "#next")).toBeNull();
    expect(checkLink("docs/guides/quick-start.md", "https://example.com/nowhere")).toBeNull();
    expect(checkLink("docs/guides/quick-start.md", "/guides/cli-login")).toMatch(/root-relative/);
    expect(checkLink("docs/guides/quick-start.md", "cli-login")).toMatch(/does not exist/);
    expect(checkLink("docs/guides/quick-start.md", "cli-login.md#no-such-heading")).toMatch(/no heading/);
    expect(checkLink("docs/guides/quick-start.md", "../../README.md")).toMatch(/leaves the docs folder/);
    expect(checkLink("README.md", "docs/guides/quick-start.md")).toBeNull();
    expect(checkLink("README.md", "../elsewhere.md")).toMatch(/leaves the repository/);
  });

  it("see links in tables, lists, reference definitions and raw HTML, and none in code", () => {
    const links = listLinks(
      ["| [a](a.md) |", "| --- |", "", "- [b][ref]", "", "[ref]: b.md", "", '<img src="c.png">', "", "```md", "[d](d.md)", "```", "", "`[e](e.md)`"].join("\n"),
    );
    expect(links.map((link) => link.url)).toEqual(["a.md", "b.md", "c.png"]);
  });
});
