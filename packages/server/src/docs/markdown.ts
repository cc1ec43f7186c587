/**
 * Markdown to HTML for the docs pages the server serves itself (the error pages and the
 * generated references and guides), on markdown-it (CommonMark plus GFM tables).
 *
 * What is added to markdown-it here, for the docs' MDX flavour:
 * - a heading's trailing `[#id]` becomes its `id` (the anchors the references link to);
 * - a line that is only an MDX comment (braces around a block comment) is dropped;
 * - root-relative links and images get the docs' mount path (`linkBase`).
 *
 * Safety: raw HTML is off (`html: false`), so a `<script>` in a page comes out as text, and a
 * link or image is only rendered when its URL is relative or http(s)/mailto; anything else
 * (`javascript:`, `data:`, `vbscript:`, …) stays plain text.
 */
import markdownIt, { type Env, type MarkdownIt, type StateBlock, type StateCore } from "markdown-it";

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character]!);
}

export interface RenderOptions {
  /** Prefixed to root-relative links (`/api/errors` → `/docs/api/errors`): the docs are mounted under it. */
  linkBase?: string;
}

/** What the render rules read per call; markdown-it hands it to every rule as `env`. */
interface RenderEnv extends Env {
  linkBase: string;
}

function linkBaseOf(env: unknown): string {
  return (env as Partial<RenderEnv> | undefined)?.linkBase ?? "";
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

function withLinkBase(url: string, env: unknown): string {
  return url.startsWith("/") && !url.startsWith("//") ? `${linkBaseOf(env)}${url}` : url;
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
  md.block.ruler.before("paragraph", "mdx_comment", skipMdxComment);

  md.renderer.rules.link_open = (tokens, index, options, env, self) => {
    const token = tokens[index]!;
    const href = token.attrGet("href");
    if (typeof href === "string") token.attrSet("href", withLinkBase(href, env));
    return self.renderToken(tokens, index, options);
  };
  const renderImage = md.renderer.rules.image!;
  md.renderer.rules.image = (tokens, index, options, env, self) => {
    const token = tokens[index]!;
    const src = token.attrGet("src");
    if (typeof src === "string") token.attrSet("src", withLinkBase(src, env));
    return renderImage(tokens, index, options, env, self);
  };
  return md;
}

const renderer = createRenderer();

function envFor(options: RenderOptions): RenderEnv {
  return { linkBase: options.linkBase ?? "" };
}

/**
 * Inline Markdown → HTML (code spans, emphasis, links, backslash escapes), without a `<p>`.
 */
export function renderInline(text: string, options: RenderOptions = {}): string {
  return renderer.renderInline(text, envFor(options));
}

/**
 * Block Markdown → HTML: headings (with `[#id]` anchors), paragraphs, lists, tables, block
 * quotes, fenced code (`class="language-<first word of the info string>"`), rules.
 */
export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  return renderer.render(markdown, envFor(options));
}

/** A complete, self-contained HTML page (no scripts, inline styles only). */
export function renderHtmlPage(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px/1.6 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;background:#fff}
code,pre{font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace}
code{background:#f2f2f4;padding:.1em .3em;border-radius:4px}
pre{background:#f2f2f4;padding:1rem;overflow:auto;border-radius:6px}pre code{padding:0;background:none}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d8d8dc;padding:.35rem .7rem;text-align:left;vertical-align:top}
a{color:#0b57d0}hr{border:0;border-top:1px solid #d8d8dc;margin:2rem 0}
@media (prefers-color-scheme:dark){body{color:#e8e8ea;background:#161618}code,pre{background:#26262a}th,td{border-color:#3a3a40}a{color:#8ab4f8}hr{border-top-color:#3a3a40}}
</style>
</head>
<body>
${bodyHtml}
</body>
</html>
`;
}
