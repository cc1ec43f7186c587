/**
 * @harmont/cli as a library: the login flows and the token storage behind the `harmont` command,
 * for another tool that wants Harmont login in its own CLI.
 *
 * - {@link loginWithBrowser}: the browser handoff (loopback + polling), for a person at a desktop.
 * - {@link loginWithPasteCode}: the paste code, for SSH, containers and browsers elsewhere.
 * - {@link loginWithDeviceCode}: the device code (RFC 8628), approved on any device, with nothing
 *   to type into the terminal: for agents, scripts and terminals without input.
 * - {@link detectBrowserSupport}: which of the two fits this environment.
 * - {@link createCredentialStore}: keychain, else a 0600 file, with an environment override.
 *
 * @see docs/guides/embedding-cli-login.md in the Harmont repository: a complete example.
 */
export {
  DEFAULT_LOGIN_TIMEOUT_MS,
  loginWithBrowser,
  type BrowserLoginEvent,
  type BrowserLoginOptions,
  type BrowserLoginResult,
} from "./login/browser-login.js";
export {
  loginWithPasteCode,
  type PasteAttempt,
  type PasteLoginEvent,
  type PasteLoginOptions,
  type PasteLoginResult,
} from "./login/paste-login.js";
export {
  HARMONT_CLI_CLIENT_ID,
  loginWithDeviceCode,
  type DeviceLoginEvent,
  type DeviceLoginOptions,
  type DeviceLoginResult,
} from "./login/device-login.js";
export { detectBrowserSupport, isContinuousIntegration, type BrowserSupport } from "./login/environment.js";
export { startLoopbackListener, type LoopbackListener, type LoopbackListenerOptions } from "./login/loopback.js";
export { commandOpener, splitCommandLine, systemOpener, type BrowserOpener, type OpenerOptions, type OpenResult } from "./login/opener.js";
export {
  buildBrowserLoginUrl,
  buildPasteUrl,
  cutSessionName,
  defaultSessionName,
  MAX_SESSION_NAME_LENGTH,
  normalizeApiUrl,
  type BrowserLoginUrlParts,
} from "./login/urls.js";
export {
  configDirectoryFor,
  createCredentialStore,
  CredentialStore,
  CredentialStoreError,
  keychainAccount,
  type CredentialKey,
  type CredentialStoreOptions,
  type LoadedCredential,
  type RemoveResult,
  type SaveOptions,
  type SaveResult,
  type TokenSource,
} from "./storage/credential-store.js";
export { osKeychain, KeychainTimeoutError, type Keychain, type KeychainChoice, type OsKeychainOptions } from "./storage/keychain.js";
export { writeFileAtomic, type AtomicWriteOptions } from "./storage/atomic-file.js";
export { createApiClient, type ApiClientOptions } from "./http.js";
export { ExitCode, exitCodeMeanings, type ExitCodeValue } from "./exit-codes.js";
export { runCli, helpText, type RunOptions } from "./cli.js";
export type { Io } from "./context.js";
