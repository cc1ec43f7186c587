import { createHarmontClient, getUser, listSessions } from "@harmont/cloud";

// The server and the token from the steps above. HARMONT_API_URL names another server, as for the CLI.
const harmont = createHarmontClient({
  baseUrl: process.env.HARMONT_API_URL ?? "http://localhost:8080",
  token: process.env.HARMONT_TOKEN,
});

// With throwOnError a call returns its data, or throws the error envelope.
const { data: user } = await getUser({ client: harmont, throwOnError: true });
console.log(`Signed in as ${user.email}`);

const { data } = await listSessions({ client: harmont, throwOnError: true });
for (const session of data.sessions) {
  console.log(`${session.current ? "*" : " "} ${session.kind} session ${session.id}, expires ${session.expires_at}`);
}
