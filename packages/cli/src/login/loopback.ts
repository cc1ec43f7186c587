/**
 * The loopback listener: after Authorize, the web app sends the browser to
 * `http://127.0.0.1:<port>/callback?state=…`, and the CLI claims at once instead of at its next poll.
 *
 * It is only a speed-up (polling alone finishes the login), so it is strict: it listens on
 * 127.0.0.1 on a port the system picks (never a fixed one that may be taken), answers only
 * `GET /callback` with the right `state` and a Host naming this listener (against DNS rebinding),
 * ignores browser pre-connects and everything else, and closes when the login ends.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackListener {
  /** The port the system gave the listener. */
  readonly port: number;
  /** Resolves when the browser arrives with the right state. Never rejects. */
  readonly callback: Promise<void>;
  /** Stops listening and drops open connections (pre-connects included). Safe to call twice. */
  close(): Promise<void>;
}

export interface LoopbackListenerOptions {
  /** The value the callback must carry in `?state=`. */
  state: string;
  /** Shown in the tab after the callback; default names Harmont. */
  productName?: string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#1f2328}h1{font-size:1.4rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body>
</html>
`;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Starts the listener on 127.0.0.1 and a free port. */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const product = options.productName ?? "Harmont";
  let arrived!: () => void;
  const callback = new Promise<void>((resolve) => (arrived = resolve));
  let port = 0;

  const answer = (response: ServerResponse, status: number, html: string | null, extra: Record<string, string> = {}) => {
    response.writeHead(status, {
      "Content-Type": html === null ? "text/plain; charset=utf-8" : "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
      Connection: "close",
      ...extra,
    });
    response.end(html ?? `${status === 404 ? "Not found" : "Bad request"}\n`);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const host = request.headers.host ?? "";
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return answer(response, 400, null);
    const url = new URL(request.url ?? "/", `http://127.0.0.1:${port}`);
    if (url.pathname !== "/callback") return answer(response, 404, null);
    if (request.method !== "GET") return answer(response, 405, null, { Allow: "GET" });
    const state = url.searchParams.get("state");
    if (state === null || !sameSecret(state, options.state)) {
      return answer(
        response,
        400,
        page("This link is not for this login", "It does not match the login waiting in your terminal. Start again from the terminal."),
      );
    }
    answer(response, 200, page(`${product} CLI`, "You can close this tab and return to your terminal."));
    arrived();
  });
  // A browser's pre-connect opens a socket and may never send on it: drop idle sockets quickly.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.removeListener("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  server.unref();

  let closing: Promise<void> | null = null;
  return {
    port,
    callback,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
