import { createHarmontClient, getUser, signup } from "@harmont/cloud";

/** Creates an account, then reads it back with the session token the sign-up returned. */
export async function signUpAndReadBack(baseUrl: string, email: string, password: string) {
  const anonymous = createHarmontClient({ baseUrl });
  const { data, error } = await signup({ client: anonymous, body: { email, password } });
  if (error) {
    // Every error is the same envelope: branch on `code`, show `message`, link `doc_url`.
    throw new Error(`${error.error.code}: ${error.error.message} (${error.error.doc_url})`);
  }

  const harmont = createHarmontClient({ baseUrl, token: data.token });
  // With throwOnError the call returns the data, or throws the envelope.
  const { data: user } = await getUser({ client: harmont, throwOnError: true });
  return { token: data.token, user };
}
