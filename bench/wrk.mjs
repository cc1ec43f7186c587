// Running wrk and reading its --latency report.
import { spawn, spawnSync } from "node:child_process";

/** Whether the wrk binary can be started (wrk has no --version flag; -v prints it and exits 1). */
export function wrkVersion() {
  const probe = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  if (probe.error) return null;
  const text = `${probe.stdout ?? ""}${probe.stderr ?? ""}`;
  const match = /^wrk\s+(\S+)/m.exec(text);
  return match ? match[1] : "unknown";
}

const timeUnitsMs = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "812.00us", "3.41ms", "1.02s" → milliseconds. */
export function parseWrkTime(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`cannot read wrk time "${text}"`);
  return Number(match[1]) * timeUnitsMs[match[2]];
}

/** Reads the numbers this bench uses out of wrk's report. Throws when a required one is absent. */
export function parseWrkReport(report) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(report);
  const p99 = /^\s+99(?:\.0+)?%\s+(\S+)/m.exec(report);
  const p50 = /^\s+50(?:\.0+)?%\s+(\S+)/m.exec(report);
  const total = /^\s+(\d+) requests in ([\d.]+\w+)/m.exec(report);
  if (!rps || !p99 || !total) {
    throw new Error(`wrk report is missing Requests/sec, the 99% line or the request count:\n${report}`);
  }
  const non2xx = /^\s+Non-2xx or 3xx responses:\s+(\d+)/m.exec(report);
  // Written by a script from `countStatuses` (wrk itself only counts answers outside 2xx/3xx).
  const statuses = Object.fromEntries([...report.matchAll(/^status (\d{3}): (\d+)$/gm)].map((match) => [match[1], Number(match[2])]));
  const socket = /^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/m.exec(report);
  return {
    requestsPerSec: Number(rps[1]),
    p50Ms: p50 ? parseWrkTime(p50[1]) : null,
    p99Ms: parseWrkTime(p99[1]),
    requests: Number(total[1]),
    elapsed: total[2],
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    ...(Object.keys(statuses).length > 0 ? { statuses } : {}),
    socketErrors: socket
      ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

/**
 * Starts one wrk run and resolves with its full stdout. `track` registers the child so the
 * caller can kill it on error; wrk also stops by itself after its duration.
 */
export function runWrk({ args, url, script, headers = [], track }) {
  const argv = [...args];
  for (const header of headers) argv.push("-H", header);
  if (script) argv.push("-s", script);
  argv.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", argv, { stdio: ["ignore", "pipe", "pipe"] });
    track?.(child);
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (err += chunk));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`wrk ${argv.join(" ")} ended with ${signal ?? `code ${code}`}:\n${out}${err}`));
    });
  });
}

/**
 * Lua that counts every answer by status, per wrk thread, and prints `status <code>: <count>`
 * lines at the end, so a run that saw other answers than it expected says which.
 */
const countStatuses = [
  "local threads = {}",
  "function setup(thread) table.insert(threads, thread) end",
  "function init(args) statuses = {} end",
  "function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end",
  "function done(summary, latency, requests)",
  "  local total = {}",
  "  for _, thread in ipairs(threads) do",
  '    for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end',
  "  end",
  '  for status, count in pairs(total) do io.write(string.format("status %d: %d\\n", status, count)) end',
  "end",
].join("\n");

/** A wrk Lua script that sends one fixed request with a JSON body (and, with `statuses`, counts the answers by status). */
export function jsonPostScript(body, { statuses = false } = {}) {
  // A JSON string literal of ASCII text is also a valid Lua string literal.
  const literal = JSON.stringify(JSON.stringify(body));
  if (!/^[\x20-\x7e]*$/.test(literal)) throw new Error("request bodies for wrk must be printable ASCII");
  return [
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    `wrk.body = ${literal}`,
    ...(statuses ? [countStatuses] : []),
    "",
  ].join("\n");
}
