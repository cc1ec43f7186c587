/**
 * Request ids: a client's `X-Request-Id` is reused when it is 20–200 characters of
 * `[A-Za-z0-9_-]` (so it cannot inject into logs), otherwise a new one is made.
 */
import { randomUUID } from "node:crypto";

const acceptedRequestId = /^[A-Za-z0-9_-]{20,200}$/;

export function chooseRequestId(sent: string | undefined): string {
  return sent !== undefined && acceptedRequestId.test(sent) ? sent : `req_${randomUUID().replaceAll("-", "")}`;
}
