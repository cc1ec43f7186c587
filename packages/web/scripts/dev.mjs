#!/usr/bin/env node
/**
 * `npm run dev`: harmont-server (the built packages/server) and Vite's dev server with hot
 * reload, on one origin. The browser talks to Vite (http://localhost:5173); Vite passes /api,
 * /docs and /llms.txt to the server. The server's public URL is Vite's address, so the links it
 * builds (and the page the CLI opens: `harmont login --api-url http://localhost:5173`) point at
 * the hot-reloading app, and the cookie-write Origin check accepts it.
 *
 * Settings: PORT (the server, default 8080), HARMONT_WEB_DEV_PORT (Vite, default 5173); every
 * other HARMONT_* variable reaches the server unchanged. Mail is written to the server's log
 * unless HARMONT_SMTP_URL is set.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";

const webDirectory = fileURLToPath(new URL("..", import.meta.url));
const serverMain = fileURLToPath(new URL("../../server/dist/main.js", import.meta.url));

const apiPort = Number(process.env.PORT ?? 8080);
const webPort = Number(process.env.HARMONT_WEB_DEV_PORT ?? 5173);
const webOrigin = `http://localhost:${webPort}`;

if (!existsSync(serverMain)) {
  process.stderr.write("harmont dev: packages/server is not built: run `npm run build` (or `npm run dev` at the repository root).\n");
  process.exit(1);
}

const server = spawn(process.execPath, [serverMain], {
  // The same data directory as `npm start`: relative to where `npm run dev` was run.
  cwd: process.env.INIT_CWD || process.cwd(),
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: String(apiPort),
    HARMONT_PUBLIC_URL: process.env.HARMONT_PUBLIC_URL ?? webOrigin,
  },
});

const vite = await createServer({
  root: webDirectory,
  configFile: fileURLToPath(new URL("../vite.config.ts", import.meta.url)),
  server: {
    port: webPort,
    strictPort: true,
    proxy: {
      "/api": { target: `http://127.0.0.1:${apiPort}` },
      "/docs": { target: `http://127.0.0.1:${apiPort}` },
      "/llms.txt": { target: `http://127.0.0.1:${apiPort}` },
    },
  },
});
await vite.listen();
process.stderr.write(`\n  Harmont web app with hot reload: ${webOrigin}  (API and docs proxied to harmont-server on port ${apiPort})\n\n`);

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
  await vite.close();
  process.exit(code);
};
server.once("exit", (code) => {
  if (!stopping) process.stderr.write(`harmont dev: harmont-server stopped (exit code ${code ?? "none"})\n`);
  void stop(code ?? 1);
});
process.once("SIGINT", () => void stop(0));
process.once("SIGTERM", () => void stop(0));
