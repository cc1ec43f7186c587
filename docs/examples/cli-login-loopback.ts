import { cliClaim, cliDeny, cliTransfer, createHarmontClient, generateNonce, isErrorEnvelope, verificationPhrase } from "@harmont/cloud";

/** The CLI's first step: a fresh nonce, the phrase to print, and the page to open in the browser. */
export async function startLoopbackLogin(webUrl: string, port: number) {
  const nonce = generateNonce();
  const phrase = await verificationPhrase(nonce);
  const url = new URL("/cli-login", webUrl);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("port", String(port));
  return { nonce, phrase, url: url.href };
}

/**
 * The CLI's second step: claim the session token parked under the nonce. `cli_code_invalid`
 * means "not there yet": keep polling until the window ends. Any other error ends the login.
 */
export async function waitForLoopbackToken(
  baseUrl: string,
  nonce: string,
  options: { sessionName?: string; intervalMs?: number; timeoutMs?: number } = {},
): Promise<string> {
  const { intervalMs = 1000, timeoutMs = 60_000 } = options;
  const harmont = createHarmontClient({ baseUrl });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data, error, response } = await cliClaim({
      client: harmont,
      body: options.sessionName ? { nonce, name: options.sessionName } : { nonce },
    });
    if (data) return data.token;
    // A proxy may answer with something else than the envelope: name the status then.
    const code = isErrorEnvelope(error) ? error.error.code : `HTTP ${response.status}`;
    let waitMs = intervalMs;
    if (code === "rate_limited") {
      waitMs = Math.max(intervalMs, Number(response.headers.get("retry-after") ?? "1") * 1000);
    } else if (code !== "cli_code_invalid") {
      throw new Error(isErrorEnvelope(error) ? `${code}: ${error.error.message}` : code);
    }
    if (Date.now() + waitMs > deadline) throw new Error("The login expired: run `harmont login` again.");
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/** The browser's answer, as the web app gives it: Approve parks a new token for the CLI, Deny refuses. */
export async function answerLoopbackLogin(baseUrl: string, sessionToken: string, nonce: string, approve: boolean) {
  const harmont = createHarmontClient({ baseUrl, token: sessionToken });
  const answer = approve ? cliTransfer : cliDeny;
  await answer({ client: harmont, body: { nonce }, throwOnError: true });
}
