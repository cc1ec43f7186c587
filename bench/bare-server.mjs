// The two reference servers, started by run.mjs as a child process:
//   node bench/bare-server.mjs node-http   plain node:http
//   node bench/bare-server.mjs hono        a one-route Hono app on @hono/node-server
// Both answer every GET with the same small JSON object, serialised per request. The server
// listens on 127.0.0.1 on a port the OS picks and reports it to the parent over IPC.
import { createServer } from "node:http";

const kind = process.argv[2];

function payload() {
  return { ok: true, service: "bench", version: "0.0.0" };
}

function report(server) {
  const { port } = server.address();
  if (process.send) process.send({ port });
  else process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
}

if (kind === "node-http") {
  const server = createServer((request, response) => {
    const body = JSON.stringify(payload());
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    response.end(body);
  });
  server.listen(0, "127.0.0.1", () => report(server));
} else if (kind === "hono") {
  const { Hono } = await import("hono");
  const { serve } = await import("@hono/node-server");
  const app = new Hono();
  app.get("/", (c) => c.json(payload()));
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => report(server));
} else {
  process.stderr.write(`bare-server: unknown kind "${kind}" (node-http or hono)\n`);
  process.exit(2);
}
