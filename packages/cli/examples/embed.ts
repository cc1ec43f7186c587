/**
 * Harmont login inside another tool's CLI, here a made-up `acme`: the browser handoff where a
 * browser can be opened, a paste code elsewhere (SSH, CI with a person nearby) or when opening
 * fails, and the token kept in the OS keychain or in ~/.config/acme/credentials.json (0600).
 *
 * docs/guides/embedding-cli-login.md walks through it. This file is compiled with the package
 * (`npm run build`) and run against a real server by test/embed-example.test.ts.
 */
import { createInterface } from "node:readline/promises";
import { pathToFileURL } from "node:url";
import { createHarmontClient, getMeta, getSession, type Client } from "@harmont/cloud";
import {
  createCredentialStore,
  defaultSessionName,
  detectBrowserSupport,
  loginWithBrowser,
  loginWithPasteCode,
  normalizeApiUrl,
  systemOpener,
  type BrowserOpener,
  type CredentialKey,
} from "@harmont/cli";

export interface AcmeLoginOptions {
  /** The Harmont server, for example `https://auth.acme.dev`. */
  apiUrl: string;
  /** Where acme keeps its token. Default: ~/.config/acme (or $XDG_CONFIG_HOME/acme). */
  configDirectory?: string;
  /** Where the paste code is typed. Default: the terminal. */
  input?: NodeJS.ReadableStream;
  /** Where instructions go. Default: stderr, so stdout stays clean for data. */
  output?: NodeJS.WritableStream;
  /** How to open the browser. Default: the system's way (`open`, `xdg-open`, `start`). */
  open?: BrowserOpener;
  /** Force a way instead of detecting one. */
  way?: "browser" | "paste";
}

/** The credential store of acme: its own directory and keychain service, its own variable. */
function acmeStore(configDirectory?: string) {
  return createCredentialStore({
    appName: "acme",
    tokenVariable: "ACME_TOKEN",
    ...(configDirectory ? { configDirectory } : {}),
  });
}

/** Logs in, stores the token, and says who is logged in. */
export async function loginToAcme(options: AcmeLoginOptions): Promise<{ email: string; storedIn: string }> {
  const apiUrl = normalizeApiUrl(options.apiUrl);
  if (!apiUrl) throw new Error(`not an http(s) URL: ${options.apiUrl}`);
  const say = (line: string) => (options.output ?? process.stderr).write(`${line}\n`);
  const client = createHarmontClient({ baseUrl: apiUrl });
  const sessionName = defaultSessionName("acme CLI");

  // The server says where its web app is; the login pages live there.
  const meta = await getMeta({ client });
  if (!meta.data) throw new Error(`cannot reach ${apiUrl}`);
  const webUrl = meta.data.web_url;

  const support = detectBrowserSupport();
  let way = options.way ?? (support.browser ? "browser" : "paste");
  let token: string | null = null;

  if (way === "browser") {
    const result = await loginWithBrowser({
      client,
      webUrl,
      sessionName,
      open: options.open ?? systemOpener(),
      onEvent: (event) => {
        if (event.type === "started") {
          say(`Opening your browser. If it does not open, visit:\n  ${event.url}`);
          say(`Continue only if the page shows: ${event.phrase}`);
        }
      },
    });
    if (result.ok) token = result.token;
    else if (result.reason === "open_failed") way = "paste";
    else if (result.reason === "denied") throw new Error("the login was denied in the browser");
    else if (result.reason === "timed_out") throw new Error("the login timed out: run `acme login` again");
    else throw new Error(`the login failed: ${result.reason}`);
  }

  if (way === "paste") {
    const prompt = createInterface({ input: options.input ?? process.stdin, output: options.output ?? process.stderr, terminal: false });
    const lines = prompt[Symbol.asyncIterator]();
    try {
      const result = await loginWithPasteCode({
        client,
        webUrl,
        sessionName,
        onEvent: (event) => {
          if (event.type === "started") say(`Open ${event.url}, sign in, and type the code it shows.`);
          if (event.type === "invalid_code") say(`That code did not work; ${event.attemptsLeft} tries left.`);
        },
        readCode: async () => {
          say("Code:");
          const next = await lines.next();
          return next.done ? null : next.value;
        },
      });
      if (!result.ok) throw new Error(`the login failed: ${result.reason}`);
      token = result.token;
    } finally {
      prompt.close();
    }
  }
  if (!token) throw new Error("the login failed");

  const key: CredentialKey = { profile: "default", apiUrl };
  const saved = await acmeStore(options.configDirectory).save(key, token);
  if (saved.keychainSkipped) say(`Keychain not used: ${saved.keychainSkipped}. Token saved in ${saved.location}.`);

  const { data } = await getSession({ client: createHarmontClient({ baseUrl: apiUrl, token }) });
  return { email: data?.user.email ?? "(unknown)", storedIn: saved.location };
}

/** A client that sends acme's stored token (or ACME_TOKEN) with every request. */
export function acmeClient(apiUrl: string, configDirectory?: string): Client {
  const store = acmeStore(configDirectory);
  const key: CredentialKey = { profile: "default", apiUrl };
  return createHarmontClient({ baseUrl: apiUrl, token: async () => (await store.load(key))?.token });
}

// `node dist/examples/embed.js https://auth.acme.dev` logs in for real.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { email, storedIn } = await loginToAcme({ apiUrl: process.argv[2] ?? "http://localhost:8080" });
  console.log(`Logged in as ${email} (token in ${storedIn})`);
}
