/**
 * Markdown to HTML for the docs pages the server serves itself (the error pages and the
 * generated references and guides), on markdown-it (CommonMark plus GFM tables).
 *
 * What is added to markdown-it here, for the docs' MDX flavour:
 * - a heading's trailing `[#id]` becomes its `id` (the anchors the references link to); every
 *   other heading gets the id the repository host gives it (GitHub's slug of its text), so a
 *   `#section` link works the same on the served page and on the file;
 * - a line that is only an MDX comment (braces around a block comment) is dropped;
 * - links are written as paths between files (`cli-login.md`, `../api/errors.md#top`), which
 *   the repository host follows as they are; here they are resolved from the page's own path
 *   (`pagePath`) and mapped to the route that serves the target (`<linkBase>/api/errors`). A
 *   link that leaves the docs folder has no page here, so its text is kept without the link;
 * - root-relative links and images get the docs' mount path (`linkBase`).
 *
 * Safety: raw HTML is off (`html: false`), so a `<script>` in a page comes out as text, and a
 * link or image is only rendered when its URL is relative or http(s)/mailto; anything else
 * (`javascript:`, `data:`, `vbscript:`, …) stays plain text.
 */
import { posix } from "node:path";
import markdownIt, { type Env, type MarkdownIt, type StateBlock, type StateCore, type Token } from "markdown-it";
import { docsBarCss, docsPalette } from "./page-chrome.js";

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character]!);
}

export interface RenderOptions {
  /** Where the docs folder is mounted (`/docs`): the prefix of every link to a page. */
  linkBase?: string;
  /**
   * The page's path in the docs folder (`guides/quick-start.md`). Relative links are resolved
   * from it; without it they are left as written.
   */
  pagePath?: string;
}

/** What the rules read per call; markdown-it hands it to every rule as `env`. */
interface RenderEnv extends Env {
  linkBase: string;
  pagePath: string | undefined;
}

function renderEnvOf(env: unknown): RenderEnv {
  const given = env as Partial<RenderEnv> | undefined;
  return { linkBase: given?.linkBase ?? "", pagePath: given?.pagePath };
}

const anyScheme = /^[a-z][a-z0-9+.-]*:/i;
const allowedScheme = /^(?:https?|mailto):/i;

/**
 * An allow-list rather than markdown-it's own block-list: a URL with a scheme must be http(s) or
 * mailto. markdown-it has already decoded entities and percent-encoded spaces and controls by
 * the time it asks, so `&#106;avascript:` arrives as `javascript:` and is refused here.
 */
function isSafeUrl(url: string): boolean {
  const trimmed = url.trim();
  return !anyScheme.test(trimmed) || allowedScheme.test(trimmed);
}

/**
 * The served URL of a link in a docs page, or null when the link leaves the docs folder (there
 * is no page for it on this server).
 *
 * `../api/errors.md#top` in `guides/quick-start.md` → `<linkBase>/api/errors#top`: the path is
 * resolved from the page's folder and a `.md`/`.mdx` extension dropped, because the server
 * serves `<page>.md` as Markdown and `<page>` as HTML. Links with a scheme, protocol-relative
 * links and fragments stay as they are.
 */
export function resolveDocsLink(url: string, options: RenderOptions): string | null {
  const linkBase = options.linkBase ?? "";
  if (url === "" || url.startsWith("#") || url.startsWith("//") || anyScheme.test(url)) return url;
  if (url.startsWith("/")) return `${linkBase}${url}`;
  if (options.pagePath === undefined) return url;
  const [, path = "", suffix = ""] = /^([^?#]*)(.*)$/s.exec(url) ?? [];
  if (path === "") return url;
  const resolved = posix.normalize(posix.join(posix.dirname(options.pagePath), path));
  if (resolved === ".." || resolved.startsWith("../") || resolved.startsWith("/")) return null;
  return `${linkBase}/${resolved.replace(/\.mdx?$/, "")}${suffix}`;
}

/** Rewrites every link and image of the page to its served URL; see `resolveDocsLink`. */
function resolveLinks(state: StateCore): void {
  const options = renderEnvOf(state.env);
  for (const block of state.tokens) {
    const children = block.children;
    if (block.type !== "inline" || !children) continue;
    let unlinked = false;
    for (let index = 0; index < children.length; index++) {
      const token = children[index]!;
      if (token.type === "link_open") {
        const href = resolveDocsLink(String(token.attrGet("href") ?? ""), options);
        unlinked = href === null;
        if (href === null) token.meta = { unlinked: true };
        else token.attrSet("href", href);
      } else if (token.type === "link_close" && unlinked) {
        token.meta = { unlinked: true };
        unlinked = false;
      } else if (token.type === "image") {
        const src = resolveDocsLink(String(token.attrGet("src") ?? ""), options);
        if (src !== null) {
          token.attrSet("src", src);
          continue;
        }
        // No image to show here: its description stands in for it.
        const text = new state.Token("text", "", 0);
        text.content = token.content;
        children[index] = text;
      }
    }
  }
}

const headingAnchor = /\s+\[#([\w-]+)\]$/;

/** `### Title [#anchor]` → `<h3 id="anchor">Title</h3>`; runs before the inline text is parsed. */
function takeHeadingAnchors(state: StateCore): void {
  const tokens = state.tokens;
  for (let index = 0; index + 1 < tokens.length; index++) {
    const open = tokens[index]!;
    const inline = tokens[index + 1]!;
    if (open.type !== "heading_open" || inline.type !== "inline") continue;
    const match = headingAnchor.exec(inline.content);
    if (!match) continue;
    open.attrSet("id", match[1]!);
    inline.content = inline.content.slice(0, match.index);
  }
}

/** The text of a heading as a reader sees it: code spans without backticks, link labels without targets. */
function headingText(inline: Token): string {
  return (inline.children ?? [])
    .filter((child) => child.type === "text" || child.type === "code_inline")
    .map((child) => child.content)
    .join("");
}

/**
 * GitHub's heading slug (the one github-slugger makes): lower case, every character that is
 * not a letter, mark, number, `_`, `-` or space removed, spaces turned into `-`; a repeated
 * slug gets `-1`, `-2`… in the order of the page.
 */
export function createHeadingSlugger(): (text: string) => string {
  const occurrences = new Map<string, number>();
  return (text) => {
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "").replace(/ /g, "-");
    let slug = base;
    while (occurrences.has(slug)) {
      const count = occurrences.get(base)! + 1;
      occurrences.set(base, count);
      slug = `${base}-${count}`;
    }
    occurrences.set(slug, 0);
    return slug;
  };
}

/**
 * Every heading's id, as the repository host and this renderer give it: the explicit `[#id]`
 * when there is one, else the GitHub slug. The host slugs a heading's whole text, `[#id]`
 * included, so an explicit heading still takes its slug from the counter.
 */
function assignHeadingIds(state: StateCore): void {
  const slug = createHeadingSlugger();
  const tokens = state.tokens;
  for (let index = 0; index + 1 < tokens.length; index++) {
    const open = tokens[index]!;
    const inline = tokens[index + 1]!;
    if (open.type !== "heading_open" || inline.type !== "inline") continue;
    const explicit = open.attrGet("id");
    const hostSlug = slug(explicit === null ? headingText(inline) : `${headingText(inline)} [#${explicit}]`);
    if (explicit === null) open.attrSet("id", hostSlug);
  }
}

/** CommonMark and GFM tables, nothing added: how the repository host reads a page. */
const plainParser = markdownIt("default", { html: false, linkify: false, typographer: false });

/**
 * The `#fragment`s that lead to a heading of `markdown` on the repository host (GitHub's slugs
 * of the headings' text, as written).
 */
export function repositoryHeadingAnchors(markdown: string): string[] {
  const slug = createHeadingSlugger();
  const tokens = plainParser.parse(markdown, {});
  const anchors: string[] = [];
  for (let index = 0; index + 1 < tokens.length; index++) {
    if (tokens[index]!.type === "heading_open" && tokens[index + 1]!.type === "inline") anchors.push(slug(headingText(tokens[index + 1]!)));
  }
  return anchors;
}

const mdxCommentLine = /^\{\/\*.*\*\/\}\s*$/;

/** A block rule that swallows a line holding only an MDX comment, producing no token. */
function skipMdxComment(state: StateBlock, startLine: number, _endLine: number, silent: boolean): boolean {
  // Indented four or more, the line is code, not a comment.
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  const line = state.src.slice(start, state.eMarks[startLine]);
  if (!mdxCommentLine.test(line)) return false;
  if (!silent) state.line = startLine + 1;
  return true;
}

function createRenderer(): MarkdownIt {
  // `html: false`: raw HTML is escaped, never passed through. Linkify and typographer stay off,
  // so the output is what the source says and nothing more.
  const md = markdownIt("default", { html: false, linkify: false, typographer: false });
  md.validateLink = isSafeUrl;
  md.core.ruler.after("block", "heading_anchors", takeHeadingAnchors);
  md.core.ruler.after("inline", "heading_ids", assignHeadingIds);
  md.core.ruler.after("heading_ids", "docs_links", resolveLinks);
  md.block.ruler.before("paragraph", "mdx_comment", skipMdxComment);

  const unlinked = (token: Token) => (token.meta as { unlinked?: boolean } | null)?.unlinked === true;
  md.renderer.rules.link_open = (tokens, index, options, _env, self) => (unlinked(tokens[index]!) ? "" : self.renderToken(tokens, index, options));
  md.renderer.rules.link_close = (tokens, index, options, _env, self) => (unlinked(tokens[index]!) ? "" : self.renderToken(tokens, index, options));
  return md;
}

const renderer = createRenderer();

function envFor(options: RenderOptions): RenderEnv {
  return { linkBase: options.linkBase ?? "", pagePath: options.pagePath };
}

/**
 * Inline Markdown → HTML (code spans, emphasis, links, backslash escapes), without a `<p>`.
 */
export function renderInline(text: string, options: RenderOptions = {}): string {
  return renderer.renderInline(text, envFor(options));
}

/**
 * Block Markdown → HTML: headings (each with an id), paragraphs, lists, tables, block quotes,
 * fenced code (`class="language-<first word of the info string>"`), rules.
 */
export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  return renderer.render(markdown, envFor(options));
}

/** A complete, self-contained HTML page (no scripts, inline styles only). */
export function renderHtmlPage(title: string, bodyHtml: string, chrome: { bar?: string; iconHref?: string } = {}): string {
  const p = docsPalette;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Harmont</title>
${chrome.iconHref ? `<link rel="icon" href="${escapeHtml(chrome.iconHref)}" type="image/svg+xml">\n` : ""}<style>
body{font:16px/1.6 system-ui,sans-serif;margin:0;color:${p.text};background:${p.background}}
main{max-width:46rem;margin:2rem auto;padding:1.5rem 2rem;background:${p.surface};border:1px solid ${p.border};border-radius:12px}
@media (max-width:40rem){main{margin:0;border-radius:0;border-width:0 0 1px;padding:1rem}}
h1,h2,h3{line-height:1.25}
code,pre{font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace}
code{background:${p.surfaceMuted};padding:.1em .3em;border-radius:4px}
pre{background:${p.surfaceMuted};padding:1rem;overflow:auto;border-radius:8px}pre code{padding:0;background:none}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid ${p.border};padding:.35rem .7rem;text-align:left;vertical-align:top}
a{color:${p.accentText}}hr{border:0;border-top:1px solid ${p.border};margin:2rem 0}
${docsBarCss}
</style>
</head>
<body>
${chrome.bar ?? ""}
<main>
${bodyHtml}
</main>
</body>
</html>
`;
}
