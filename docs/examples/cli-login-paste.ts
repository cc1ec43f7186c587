import { cliCode, cliRedeem, createHarmontClient } from "@harmont/cloud";

/** The browser's half: mint a paste code for the signed-in user, to show on the page. */
export async function showPasteCode(baseUrl: string, sessionToken: string) {
  const harmont = createHarmontClient({ baseUrl, token: sessionToken });
  const { data } = await cliCode({ client: harmont, throwOnError: true });
  // `K7P2QR9MX3WZ4NTV` reads better as `K7P2-QR9M-X3WZ-4NTV`; the server accepts either.
  return { code: data.code.match(/.{1,4}/g)!.join("-"), expiresAt: new Date(data.expires_at) };
}

/** The CLI's half: exchange what the user typed for a session token of its own. */
export async function redeemTypedCode(baseUrl: string, typed: string, sessionName: string) {
  const harmont = createHarmontClient({ baseUrl });
  const { data, error } = await cliRedeem({ client: harmont, body: { code: typed, name: sessionName } });
  if (error) {
    // One answer for wrong, expired and used codes, so a guesser learns nothing.
    if (error.error.code === "cli_code_invalid") return null;
    throw new Error(`${error.error.code}: ${error.error.message}`);
  }
  return data.token;
}
