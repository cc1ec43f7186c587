/**
 * `harmont open [path]`: the web app, signed in as this CLI's account. The CLI session mints a
 * one-time code (60 seconds, single use) and opens `<web>/cli-open#code=…&next=<path>`; the page
 * trades the code for a browser session that is a child of the CLI session. The code is never
 * printed unless `--print-url` asks for it, and none is minted where no browser can be opened.
 */
import { createCliBrowserToken, getMeta } from "@harmont/cloud";
import { reportUnreachable, type Context } from "../context.js";
import { ExitCode, type ExitCodeValue } from "../exit-codes.js";
import { describeServerAnswer, outcomeOf } from "../http.js";
import { targetOf, type OpenJson } from "../json-output.js";
import { detectBrowserSupport } from "../login/environment.js";
import { commandOpener, systemOpener, type BrowserOpener } from "../login/opener.js";
import { normalizeApiUrl } from "../login/urls.js";
import { checkSession, loginHint, reportSessionProblem } from "./session-check.js";

export const DEFAULT_OPEN_PATH = "/account";

/** A path of the web app: one absolute path on the same site, never another origin (`//host`, `/\host`). */
export function isWebAppPath(path: string): boolean {
  return /^\/(?![/\\])[^\s]*$/.test(path) && path.length <= 2048;
}

export interface OpenFlags {
  path: string;
  printUrl: boolean;
  /** Tests and embedders pass their own. */
  open?: BrowserOpener;
}

/** The web app's address where no answer gives it: `HARMONT_WEB_URL`, else the server's advertised one. */
async function advertisedWebUrl(context: Context): Promise<string> {
  const given = context.io.env.HARMONT_WEB_URL?.trim() || undefined;
  if (given !== undefined) return normalizeApiUrl(given) ?? given;
  const meta = await outcomeOf(getMeta({ client: context.client(), signal: context.signal }));
  return meta.kind === "ok" && meta.data.web_url ? meta.data.web_url.replace(/\/+$/, "") : new URL(context.apiUrl).origin;
}

export async function runOpen(context: Context, flags: OpenFlags): Promise<ExitCodeValue> {
  const { print, io } = context;
  const json = (value: Omit<OpenJson, "api_url" | "profile">) => {
    if (context.json) print.json({ ...targetOf(context), ...value } satisfies OpenJson);
  };

  const check = await checkSession(context);
  if (check.kind !== "live") return reportSessionProblem(context, check);
  const { user, session } = check.current;
  if (session.kind !== "cli") {
    print.error(`this token is not a CLI session (it is ${session.kind === "api" ? "an API token" : "a web session"}), so it cannot open the web app: run ${loginHint(context)}`);
    return ExitCode.failure;
  }

  // Nothing is minted where nothing could use it: a code sent to nowhere is still a live secret.
  const launcher = io.env.HARMONT_BROWSER?.trim();
  if (!flags.printUrl && !flags.open && !launcher) {
    const support = detectBrowserSupport(io.env, io.platform);
    if (!support.browser) {
      const plain = `${await advertisedWebUrl(context)}${flags.path}`;
      print.error(
        `no browser here (${support.reason}): open ${plain} and sign in, or use --print-url to carry a one-time link to another machine's browser`,
      );
      json({ opened: false, web_url: plain, url: null, expires_at: null, reason: "no_browser" });
      return ExitCode.needsTerminal;
    }
  }

  const minted = await outcomeOf(createCliBrowserToken({ client: context.client(check.credential.token), signal: context.signal }));
  if (minted.kind === "network") {
    if (context.signal.aborted) return ExitCode.interrupted;
    return reportUnreachable(context, minted.error);
  }
  if (minted.kind === "error") {
    if (minted.status === 401) return reportSessionProblem(context, { kind: "revoked", credential: check.credential });
    if (minted.code === "rate_limited") print.error("too many links opened in the last minute: wait a moment and try again");
    else print.error(describeServerAnswer(minted));
    return ExitCode.failure;
  }
  const { url: codeUrl, expires_at: expiresAt } = minted.data;
  const oneTimeUrl = `${codeUrl}&next=${encodeURIComponent(flags.path)}`;
  // The page's address without the code: what is safe to show.
  const webUrl = `${codeUrl.slice(0, codeUrl.indexOf("/cli-open#"))}${flags.path}`;

  if (flags.printUrl) {
    print.warn("this link works once, within 60 seconds, and anyone who has it can sign in as you: do not paste it into chats or tickets");
    if (context.json) json({ opened: false, web_url: webUrl, url: oneTimeUrl, expires_at: expiresAt, reason: null });
    else print.result(oneTimeUrl);
    return ExitCode.ok;
  }

  const open = flags.open ?? (launcher ? commandOpener(launcher) : systemOpener());
  const opened = await open(oneTimeUrl);
  if (!opened.ok) {
    print.error(`could not open a browser (${opened.reason}): open ${webUrl} and sign in there`);
    json({ opened: false, web_url: webUrl, url: null, expires_at: null, reason: "open_failed" });
    return ExitCode.failure;
  }
  print.note(`Opened ${print.err.bold(webUrl)} in your browser (as ${user.email}).`);
  json({ opened: true, web_url: webUrl, url: null, expires_at: expiresAt, reason: null });
  return ExitCode.ok;
}
