import { createHarmontClient, getLoginApprovalStatus, login, requestLoginApproval, verifySecondFactor } from "@harmont/cloud";

/**
 * A sign-in that may need a second step: `askForCode` is how your app asks the person for the
 * code from their authenticator app. The challenge token stays in this function's memory.
 */
export async function signIn(baseUrl: string, email: string, password: string, askForCode: () => Promise<string>) {
  const harmont = createHarmontClient({ baseUrl });
  const first = await login({ client: harmont, body: { email, password } });
  if (first.error) return { signedIn: false as const, code: first.error.error.code };
  // 200: signed in. 202: the account has two-step verification, and this is its challenge.
  if (!("second_factor_required" in first.data)) return { signedIn: true as const, token: first.data.token! };
  const challenge = first.data;
  // Five wrong codes end the challenge; then the person starts again with the password.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { data, error } = await verifySecondFactor({
      client: harmont,
      body: { challenge_token: challenge.challenge_token, method: "totp", code: await askForCode() },
    });
    if (data?.token) return { signedIn: true as const, token: data.token };
    if (error?.error.code !== "second_factor_invalid") return { signedIn: false as const, code: error?.error.code ?? "unknown" };
  }
  return { signedIn: false as const, code: "login_challenge_invalid" };
}

/**
 * The other way to pass the second step: ask the person's signed-in devices. `showNumber` puts
 * the number on this screen; the person types it on the other device to approve.
 */
export async function signInWithApproval(baseUrl: string, challengeToken: string, showNumber: (number: string) => void) {
  const harmont = createHarmontClient({ baseUrl });
  const asked = await requestLoginApproval({ client: harmont, body: { challenge_token: challengeToken } });
  if (asked.error) return { signedIn: false as const, code: asked.error.error.code };
  showNumber(asked.data.approval_number);
  for (;;) {
    const { data, error } = await getLoginApprovalStatus({ client: harmont, body: { challenge_token: challengeToken } });
    if (error) return { signedIn: false as const, code: error.error.code };
    if (data.status === "approved" && data.token) return { signedIn: true as const, token: data.token };
    await new Promise((resolve) => setTimeout(resolve, (data.interval ?? asked.data.interval) * 1000));
  }
}
