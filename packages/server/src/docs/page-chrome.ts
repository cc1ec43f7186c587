/**
 * What every docs page shares with the web app: its colours, Harmont's mark, and a bar with the
 * way to the guides, above the API reference and above each guide and error page.
 */

/** The Content-Security-Policy of a page the server renders itself: its own styles and images, nothing else. */
export const serverPageSecurityPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The web app's palette (packages/web/src/styles.css), for pages the server renders itself. */
export const docsPalette = {
  background: "#f5f6f9",
  surface: "#ffffff",
  surfaceMuted: "#f0f2f6",
  text: "#141824",
  muted: "#5a6375",
  border: "#dde1e9",
  accent: "#4f46e5",
  accentText: "#3730a3",
} as const;

export const docsBarCss = `
.harmont-docs-bar { display: flex; align-items: center; gap: 1.25rem; flex-wrap: wrap; padding: 0.6rem 1.25rem;
  border-bottom: 1px solid ${docsPalette.border}; background: ${docsPalette.surface}; font: 500 0.95rem system-ui, sans-serif; }
.harmont-docs-bar a { color: ${docsPalette.accentText}; text-decoration: none; }
.harmont-docs-bar a:hover { text-decoration: underline; }
.harmont-docs-bar .harmont-docs-brand { display: flex; align-items: center; gap: 0.5rem; color: ${docsPalette.text}; font-weight: 700; margin-right: auto; }
.harmont-docs-bar img { width: 24px; height: 24px; }
`;

/** The bar: Harmont's mark and name (to the web app), the guides, the error codes and llms.txt. */
export function renderDocsBar(base: string, linkBase: string): string {
  const links: Array<[string, string]> = [
    [`${linkBase}`, "API reference"],
    [`${linkBase}/guides/quick-start`, "Quick start"],
    [`${linkBase}/guides/cli-login`, "CLI login"],
    [`${linkBase}/guides/self-hosting`, "Self-hosting"],
    [`${linkBase}/api/errors`, "Error codes"],
    [`${base}/llms.txt`, "llms.txt"],
  ];
  return [
    '<nav class="harmont-docs-bar" aria-label="Harmont docs">',
    `<a class="harmont-docs-brand" href="${base}/"><img src="${base}/favicon.svg" alt="">Harmont</a>`,
    ...links.map(([href, label]) => `<a href="${href}">${label}</a>`),
    "</nav>",
  ].join("");
}
