import * as oauth from "oauth4webapi";

/** Plain http only for a server on this machine (development); everything else must be https. */
function transport(issuer: URL) {
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(issuer.hostname);
  return { [oauth.allowInsecureRequests]: issuer.protocol === "http:" && loopback };
}

/**
 * Signs a tool in with the device authorization grant (RFC 8628), as any OAuth client would:
 * discovery, the codes, then polling at the server's pace. `show` tells the person where to go.
 */
export async function deviceLogin(issuerUrl: string, clientId: string, show: (userCode: string, url: string) => void): Promise<string> {
  const issuer = new URL(issuerUrl);
  const options = transport(issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: "oauth2" }));
  const client: oauth.Client = { client_id: clientId };

  const codes = await oauth.processDeviceAuthorizationResponse(
    as,
    client,
    await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { name: "docs example" }, options),
  );
  show(codes.user_code, codes.verification_uri_complete ?? codes.verification_uri);

  let interval = codes.interval ?? 5;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    try {
      const response = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), codes.device_code, options);
      return (await oauth.processDeviceCodeResponse(as, client, response)).access_token;
    } catch (error) {
      if (!(error instanceof oauth.ResponseBodyError)) throw error;
      if (error.error === "authorization_pending") continue;
      // RFC 8628 §3.5: five seconds more, for this poll and every later one.
      if (error.error === "slow_down") {
        interval += 5;
        continue;
      }
      // access_denied, expired_token: the person said no, or nobody answered in time.
      throw new Error(`login ended: ${error.error}`);
    }
  }
}

/** Signs the tool out: the token stops working at once, on every server process (RFC 7009). */
export async function signOut(issuerUrl: string, clientId: string, token: string): Promise<void> {
  const issuer = new URL(issuerUrl);
  const options = transport(issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: "oauth2" }));
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, { client_id: clientId }, oauth.None(), token, options));
}
