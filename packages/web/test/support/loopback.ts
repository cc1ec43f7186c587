/**
 * Stand-ins for the CLI's side: a loopback listener that records what the browser sends to
 * `/callback`, as the real CLI's listener would receive it.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedCallback {
  url: string;
  headers: IncomingHttpHeaders;
}

export interface LoopbackListener {
  port: number;
  /** Resolves with the first request to arrive. */
  received: Promise<ReceivedCallback>;
  close(): Promise<void>;
}

export async function startLoopbackListener(): Promise<LoopbackListener> {
  let arrive!: (callback: ReceivedCallback) => void;
  const received = new Promise<ReceivedCallback>((resolve) => (arrive = resolve));
  const server = createServer((request, response) => {
    arrive({ url: request.url ?? "", headers: request.headers });
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end("<!doctype html><title>Test CLI</title><p>You can close this tab.</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
