/**
 * The loopback listener: after Authorize, the web app sends a background request to
 * `http://127.0.0.1:<port>/callback?state=…`, and the CLI claims at once instead of at its next
 * poll. (Older web apps, and other pages built on these parts, send the whole tab there instead.)
 *
 * It is only a speed-up (polling alone finishes the login), so it is strict: it listens on
 * 127.0.0.1 on a port the system picks (never a fixed one that may be taken), answers only
 * `/callback` with the right `state` and a Host naming this listener (against DNS rebinding),
 * ignores browser pre-connects and everything else, and closes when the login ends.
 *
 * A callback is answered once the login knows how it ended (`finish`), so the page a browser
 * shows says what really happened: "Your terminal is signed in", or that it did not finish. The
 * web app's origin (`webOrigin`) may read that answer (CORS), and gets an answer to a preflight,
 * with `Access-Control-Allow-Private-Network` for browsers that ask for it.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How the login ended, as the browser is told: the CLI holds its token, or it does not. */
export type LoopbackOutcome = "signed_in" | "not_signed_in";

export interface LoopbackListener {
  /** The port the system gave the listener. */
  readonly port: number;
  /** Resolves when the browser arrives with the right state. Never rejects. */
  readonly callback: Promise<void>;
  /**
   * Says how the login ended: answers the callbacks waiting for it, and any later one. The
   * first call wins; later calls do nothing.
   */
  finish(outcome: LoopbackOutcome): void;
  /**
   * Answers the callbacks still waiting (with the outcome, else a page that sends the person
   * back to the terminal), then stops listening and drops open connections (pre-connects
   * included). Safe to call twice.
   */
  close(): Promise<void>;
}

export interface LoopbackListenerOptions {
  /** The value the callback must carry in `?state=`. */
  state: string;
  /** Shown in the tab after the callback; default names Harmont. */
  productName?: string;
  /**
   * The web app's origin (`https://auth.example.com`), whose background request to the callback
   * may read the answer. Other origins still wake the login (the state is what proves a callback),
   * but cannot read what it says.
   */
  webOrigin?: string;
  /** How long a callback waits for `finish` before it is answered without an outcome. Default 10 s. */
  answerTimeoutMs?: number;
}

const DEFAULT_ANSWER_TIMEOUT_MS = 10_000;
/** How long `close` lets the last answers reach the browser before it drops the connections. */
const FLUSH_TIMEOUT_MS = 1000;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

const styles = [
  ":root{color-scheme:light dark;--bg:#f5f6f9;--card:#fff;--text:#141824;--muted:#5a6375;--border:#dde1e9}",
  "@media (prefers-color-scheme:dark){:root{--bg:#0f121a;--card:#171b26;--text:#e8ebf2;--muted:#9aa3b5;--border:#2a3142}}",
  "body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
  "main{box-sizing:border-box;width:min(30rem,calc(100vw - 2rem));padding:28px;background:var(--card);border:1px solid var(--border);border-radius:14px}",
  ".mark{display:inline-grid;place-items:center;width:40px;height:40px;border-radius:50%;font-weight:700;font-size:1.2rem}",
  ".mark--done{background:#e5f5ec;color:#157347}.mark--other{background:#eef0f5;color:#5a6375}",
  "h1{font-size:1.35rem;line-height:1.3;margin:14px 0 8px}p{margin:0;color:var(--muted)}",
].join("");

/** The listener's own page: one heading, one sentence, styled inline (its CSP allows nothing else). */
function page(title: string, body: string, tone: "done" | "other" = "other"): string {
  const mark = tone === "done" ? "✓" : "i";
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>${styles}</style></head>
<body><main><span class="mark mark--${tone}" aria-hidden="true">${mark}</span><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></main></body>
</html>
`;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface WaitingCallback {
  response: ServerResponse;
  corsOrigin: string | null;
  timer: NodeJS.Timeout;
}

/** Starts the listener on 127.0.0.1 and a free port. */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const product = options.productName ?? "Harmont";
  const webOrigin = options.webOrigin ? new URL(options.webOrigin).origin : null;
  const answerTimeoutMs = options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  let arrived!: () => void;
  const callback = new Promise<void>((resolve) => (arrived = resolve));
  let port = 0;
  let outcome: LoopbackOutcome | null = null;
  const waiting = new Set<WaitingCallback>();
  const answered = new Set<Promise<void>>();

  const plainText: Record<number, string> = { 400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed" };
  /** Answers with `html`, a plain-text status line when there is none, or nothing on 204. */
  const answer = (response: ServerResponse, status: number, html: string | null, extra: Record<string, string> = {}) => {
    const contentType = status === 204 ? {} : { "Content-Type": html === null ? "text/plain; charset=utf-8" : "text/html; charset=utf-8" };
    response.writeHead(status, {
      ...contentType,
      "Cache-Control": "no-store",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
      Connection: "close",
      ...extra,
    });
    const sent = new Promise<void>((resolve) => {
      response.once("finish", resolve);
      response.once("close", resolve);
    });
    answered.add(sent);
    void sent.then(() => answered.delete(sent));
    response.end(status === 204 ? undefined : (html ?? `${plainText[status] ?? "Bad request"}\n`));
  };

  /** Only the web app may read what the callback says (and it must say `Vary`, since it depends on Origin). */
  const corsHeaders = (corsOrigin: string | null): Record<string, string> =>
    corsOrigin ? { "Access-Control-Allow-Origin": corsOrigin, Vary: "Origin" } : { Vary: "Origin" };

  const answerCallback = (waiter: Pick<WaitingCallback, "response" | "corsOrigin">, ended: LoopbackOutcome | null) => {
    const headers = corsHeaders(waiter.corsOrigin);
    if (ended === "signed_in") {
      answer(waiter.response, 200, page("Your terminal is signed in", `The ${product} CLI is signed in. You can close this tab and return to your terminal.`, "done"), headers);
    } else if (ended === "not_signed_in") {
      answer(waiter.response, 500, page("Your terminal did not finish signing in", "Go back to your terminal: it says what happened. You can close this tab."), headers);
    } else {
      // Still finishing (the server is slow to answer the claim): the terminal has the approval.
      answer(waiter.response, 202, page("Go back to your terminal", `The ${product} CLI has the approval and is finishing the sign-in. You can close this tab.`), headers);
    }
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const host = request.headers.host ?? "";
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return answer(response, 400, null);
    const url = new URL(request.url ?? "/", `http://127.0.0.1:${port}`);
    if (url.pathname !== "/callback") return answer(response, 404, null);
    const origin = request.headers.origin ?? null;
    const corsOrigin = webOrigin !== null && origin === webOrigin ? webOrigin : null;

    if (request.method === "OPTIONS") {
      // A preflight: only the web app's origin gets one, and only for GET.
      if (corsOrigin === null || request.headers["access-control-request-method"] !== "GET") return answer(response, 403, null, { Vary: "Origin" });
      return answer(response, 204, null, {
        ...corsHeaders(corsOrigin),
        "Access-Control-Allow-Methods": "GET",
        "Access-Control-Max-Age": "60",
        ...(request.headers["access-control-request-private-network"] === "true" ? { "Access-Control-Allow-Private-Network": "true" } : {}),
      });
    }
    if (request.method !== "GET") return answer(response, 405, null, { Allow: "GET, OPTIONS" });
    const state = url.searchParams.get("state");
    if (state === null || !sameSecret(state, options.state)) {
      return answer(
        response,
        400,
        page("This link is not for this login", "It does not match the login waiting in your terminal. Start again from the terminal."),
        corsHeaders(corsOrigin),
      );
    }
    arrived();
    if (outcome !== null) return answerCallback({ response, corsOrigin }, outcome);
    // Hold the answer until the login knows how it ended (the claim this callback starts).
    const waiter: WaitingCallback = {
      response,
      corsOrigin,
      timer: setTimeout(() => {
        waiting.delete(waiter);
        answerCallback(waiter, null);
      }, answerTimeoutMs),
    };
    waiting.add(waiter);
    response.once("close", () => {
      clearTimeout(waiter.timer);
      waiting.delete(waiter);
    });
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

  const answerWaiting = () => {
    for (const waiter of waiting) {
      clearTimeout(waiter.timer);
      answerCallback(waiter, outcome);
    }
    waiting.clear();
  };

  let closing: Promise<void> | null = null;
  return {
    port,
    callback,
    finish(ended) {
      if (outcome !== null) return;
      outcome = ended;
      answerWaiting();
    },
    close() {
      closing ??= (async () => {
        answerWaiting();
        // Let the last answers reach the browser, but never wait on a client that stopped reading.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(answered), new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)))]);
        clearTimeout(timer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
