import { createHarmontClient, getUser, isErrorEnvelope, logout, type HarmontError } from "@harmont/cloud";

/** Who is signed in, or null when the token is no longer valid. Network failures still throw. */
export async function currentUserOrNull(baseUrl: string, readToken: () => string | undefined) {
  // The token is read on every request, so a CLI can keep it in its credential store.
  const harmont = createHarmontClient({ baseUrl, token: readToken, throwOnError: true });
  try {
    const { data } = await getUser({ client: harmont, throwOnError: true });
    return data;
  } catch (caught) {
    if (isErrorEnvelope(caught) && caught.error.code === "unauthorized") return null;
    throw caught;
  }
}

/** Signs out on the server (the token stops working at once), then reports what happened. */
export async function signOut(baseUrl: string, token: string): Promise<"signed-out" | HarmontError> {
  const { error } = await logout({ client: createHarmontClient({ baseUrl, token }) });
  return error ?? "signed-out";
}
