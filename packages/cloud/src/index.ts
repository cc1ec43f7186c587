/**
 * @harmont/cloud: the typed client for the Harmont API.
 *
 * Everything under `./generated` is produced by `npm run generate` from openapi/openapi.json and
 * re-exported here unchanged: one function per operation, named from its operationId
 * (`cliClaim`, `cliCode`, …), each returning the fetch client's `RequestResult`. This file adds
 * the few helpers the login flows need on both sides (the CLI and the web app): configuring a
 * client, making a nonce, and deriving the verification phrase from it.
 *
 * Nothing here may use Node-only modules: the same build runs in browsers.
 */
import { client as defaultClient } from "./generated/client.gen.js";
import { createClient, createConfig, type Client, type Config } from "./generated/client/index.js";
import type { ErrorEnvelope } from "./generated/types.gen.js";

export * from "./generated/index.js";
export { client } from "./generated/client.gen.js";
export { createClient, createConfig } from "./generated/client/index.js";
export type { Auth, Client, Config, RequestOptions, RequestResult, ResponseStyle } from "./generated/client/index.js";
export { generateNonce, verificationPhrase, verificationWords } from "./nonce.js";

/** A bearer token, or a function that returns one (sync or async) when a request needs it. */
export type TokenSource = string | (() => string | undefined | null | Promise<string | undefined | null>);

export interface HarmontClientOptions {
  /** The server's base URL, for example `https://auth.example.com`. Default: `http://localhost:8080`. */
  baseUrl?: string;
  /**
   * The session token sent as `Authorization: Bearer …` to the operations that take one. A
   * function is called on every such request, so a CLI can read its credential store lazily.
   */
  token?: TokenSource;
  /** A fetch implementation (a test double, a proxy-aware fetch…). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Throw the error envelope instead of returning it as `{ error }`. This changes what happens at
   * run time; for the types to follow, pass `throwOnError: true` in the call's options as well.
   */
  throwOnError?: boolean;
  /** Headers sent with every request (for example a `User-Agent` naming your tool). */
  headers?: Record<string, string>;
}

/** The fetch client configuration these options stand for. */
export function harmontClientConfig(options: HarmontClientOptions = {}): Config {
  const { token } = options;
  const config: Config = {
    baseUrl: (options.baseUrl ?? "http://localhost:8080").replace(/\/+$/, ""),
    throwOnError: options.throwOnError ?? false,
  };
  if (options.fetch) config.fetch = options.fetch;
  if (options.headers) config.headers = options.headers;
  if (token !== undefined) {
    config.auth = typeof token === "function" ? async () => (await token()) ?? undefined : token;
  }
  return config;
}

/**
 * A client for one Harmont server. Pass it to any operation as `client`:
 *
 * ```ts
 * const harmont = createHarmontClient({ baseUrl: "https://auth.example.com", token: () => readToken() });
 * const { data, error } = await getUser({ client: harmont });
 * ```
 */
export function createHarmontClient(options: HarmontClientOptions = {}): Client {
  return createClient(createConfig(harmontClientConfig(options)));
}

/** Configures the shared default client, the one operations use when no `client` is passed. */
export function configureHarmontClient(options: HarmontClientOptions): void {
  defaultClient.setConfig(harmontClientConfig(options));
}

/** The error every operation gives on a non-2xx answer: `{ error: { code, doc_url, message, request_id, type } }`. */
export type HarmontError = ErrorEnvelope;

/**
 * Whether a value is Harmont's error envelope. Useful in a `catch` around calls made with
 * `throwOnError`, where a network failure (a `TypeError` from fetch) can be thrown too.
 */
export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const inner = (value as { error: unknown }).error;
  if (typeof inner !== "object" || inner === null) return false;
  const fields = inner as Record<string, unknown>;
  return typeof fields.code === "string" && typeof fields.message === "string" && typeof fields.type === "string";
}
