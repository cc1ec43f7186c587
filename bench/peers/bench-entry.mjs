// What bench/run.mjs calls to measure the peer: starts better-auth-server.mjs on a SQLite file,
// fills it with `sessions` sessions, and answers the URL to load, a bearer token for it, the
// child process (for its RSS and to stop it) and a check of one answer's body (Better Auth
// answers an unknown token with `200 null`, so a status alone proves nothing).
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { BETTER_AUTH_SESSION_PATH, checkBetterAuthSession, prepareBetterAuthFixtures } from "./better-auth-fixtures.mjs";

const serverScript = fileURLToPath(new URL("./better-auth-server.mjs", import.meta.url));

export async function startPeer({ dbPath, sessions, track = (child) => child }) {
  const secret = randomBytes(32).toString("base64url");
  const child = track(
    fork(serverScript, [dbPath], { env: { ...process.env, BETTER_AUTH_SECRET: secret }, execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] }),
  );
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the Better Auth peer did not report its port within 20s")), 20_000);
    child.once("message", (message) => {
      clearTimeout(timer);
      child.disconnect();
      resolve(message.port);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the Better Auth peer exited (${signal ?? `code ${code}`}) before listening`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const fixtures = await prepareBetterAuthFixtures(base, { count: sessions, dbPath, secret });
  return {
    child,
    url: `${base}${BETTER_AUTH_SESSION_PATH}`,
    token: fixtures.token,
    sessions: fixtures.counted?.sessions ?? sessions,
    /** Throws unless get-session names the fixture's user and session. */
    verify: () => checkBetterAuthSession(base, fixtures.token, { userId: fixtures.userId, sessionId: fixtures.sessionId }),
  };
}
