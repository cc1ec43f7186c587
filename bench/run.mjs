#!/usr/bin/env node
// npm run bench: throughput and p99 of Harmont's hot endpoints next to two ceilings, all in one
// run on one machine, so the figures compare with each other and not with other machines.
// See bench/README.md.
import { fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { insertFixtures, markUsedNow } from "./fixtures.mjs";
import { jsonPostScript, parseWrkReport, runWrk, wrkVersion } from "./wrk.mjs";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const benchDir = fileURLToPath(new URL(".", import.meta.url));
const serverMain = join(repoRoot, "packages/server/dist/main.js");

// ---------------------------------------------------------------------------------------------
// Settings

function readSeconds(name, fallback) {
  const raw = (process.env[name] ?? "").trim() || fallback;
  const match = /^(\d+)(s|m)?$/.exec(raw);
  if (!match || Number(match[1]) <= 0) throw new UsageError(`${name} must be a whole number of seconds like 10 or 10s (got "${raw}")`);
  return Number(match[1]) * (match[2] === "m" ? 60 : 1);
}

function readCount(name, fallback) {
  const raw = (process.env[name] ?? "").trim() || String(fallback);
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new UsageError(`${name} must be a positive whole number (got "${raw}")`);
  return Number(raw);
}

class UsageError extends Error {}

const WARMUP_SECONDS = 2;
/** How long sign-ins run alone before the session check starts next to them. */
const SIGN_IN_LEAD_SECONDS = 2;
const FIXTURE_COUNT = 10_000;
const FIXTURE_PASSWORD = "bench fixture password";
const LOGIN_EMAIL = "bench-login@bench.example.com";
const LOGIN_PASSWORD = "bench sign-in password";

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked and stopped at the end, on error and on a signal.

const children = new Set();
/** The run's temporary directory (database, wrk scripts), removed however the run ends. */
let tmp = null;
const removeTmp = () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = null;
};

function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

const hasExited = (child) => child.exitCode !== null || child.signalCode !== null;

/** SIGTERM (the server shuts down gracefully and writes a CPU profile if asked), then SIGKILL. */
async function stopChild(child, graceMs = 5000) {
  if (hasExited(child)) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (!hasExited(child)) child.kill("SIGKILL");
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

const stopAll = () => Promise.all([...children].map((child) => stopChild(child)));

process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  removeTmp();
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

async function request(url, init = {}) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: left null, the caller's check fails with the text shown
  }
  return { status: response.status, json, text };
}

/** One request before (and after) a target is loaded: anything unexpected stops the bench. */
async function expectResponse(label, url, init, { status, check }) {
  const got = await request(url, init);
  const problem = got.status !== status ? `status ${got.status}, expected ${status}` : check?.(got.json) ?? null;
  if (problem) throw new Error(`${label}: ${problem}\n  ${init.method ?? "GET"} ${url}\n  body: ${got.text.slice(0, 500)}`);
  return got.json;
}

function startBareServer(kind) {
  const child = track(
    fork(join(benchDir, "bare-server.mjs"), [kind], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] }),
  );
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${kind} server did not report its port within 10s`)), 10_000);
    child.once("message", (message) => {
      clearTimeout(timer);
      child.disconnect();
      resolveStart({ child, url: `http://127.0.0.1:${message.port}/` });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the ${kind} server exited (${signal ?? `code ${code}`}) before listening`));
    });
  });
}

async function startHarmont({ dbPath, profileDir, main = serverMain }) {
  const port = await freePort();
  // Inherited HARMONT_* settings would make runs incomparable: only these apply.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("HARMONT_")));
  Object.assign(env, harmontEnv(port, dbPath));
  const nodeArgs = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  // stdout and stderr go to /dev/null: the access log is still formatted and written.
  const child = track(spawn(process.execPath, [...nodeArgs, main], { cwd: repoRoot, env, stdio: ["ignore", "ignore", "ignore"] }));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new Error(
        `the Harmont server exited (${child.signalCode ?? `code ${child.exitCode}`}) before answering; ` +
          `start it by hand with the same environment to see why: PORT=${port} HARMONT_DATABASE_URL=sqlite:${dbPath} node ${main}`,
      );
    }
    try {
      const meta = await request(`${base}/api/v0/meta`);
      if (meta.status === 200) return { child, base };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the Harmont server did not answer GET /api/v0/meta within 20s on ${base}`);
}

function harmontEnv(port, dbPath) {
  return {
    PORT: String(port),
    HARMONT_HOST: "127.0.0.1",
    HARMONT_DATABASE_URL: `sqlite:${dbPath}`,
    HARMONT_LOG_LEVEL: "info",
    HARMONT_ACCESS_LOG: "on",
    HARMONT_LIMIT_CLI_PER_IP: "0",
    HARMONT_LIMIT_LOGIN_PER_IP: "0",
  };
}

const round = (value, digits) => (value === null ? null : Number(value.toFixed(digits)));

// ---------------------------------------------------------------------------------------------
// The run

async function main() {
  const version = wrkVersion();
  if (!version) {
    process.stderr.write("bench: wrk was not found on PATH.\ninstall wrk: apt-get install -y wrk\n");
    return 1;
  }
  if (!existsSync(serverMain)) {
    process.stderr.write(`bench: ${serverMain} is missing; build the server first: npm run build\n`);
    return 1;
  }

  const duration = readSeconds("BENCH_DURATION", "10s");
  const connections = readCount("BENCH_CONNECTIONS", 50);
  const loginConnections = readCount("BENCH_LOGIN_CONNECTIONS", 8);
  const profileDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;
  const wrkArgs = ["-t1", `-c${connections}`, `-d${duration}s`, "--latency"];
  const warmupArgs = ["-t1", `-c${connections}`, `-d${WARMUP_SECONDS}s`];

  const cpus = os.cpus();
  console.log(`Harmont bench: node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model?.trim() ?? "unknown"}), wrk ${version}`);
  console.log(`wrk ${wrkArgs.join(" ")} per target, after a ${WARMUP_SECONDS}s warm-up; every server on 127.0.0.1.\n`);

  tmp = await mkdtemp(join(os.tmpdir(), "harmont-bench-"));
  const targets = [];
  let fixtureDb = null;

  /** Warm-up, then the measured run; checks the run's own status counts against `expect`. */
  async function measure(target, { url, headers = [], script, expect }) {
    process.stdout.write(`  ${target.name}: `);
    await runWrk({ args: warmupArgs, url, headers, script, track });
    const report = parseWrkReport(await runWrk({ args: wrkArgs, url, headers, script, track }));
    checkCounts(target.name, report, expect);
    console.log(`${report.requestsPerSec.toFixed(0)} req/s, p99 ${report.p99Ms.toFixed(2)} ms`);
    const row = { ...target, ...report };
    targets.push(row);
    return row;
  }

  async function measureBare(kind, target) {
    const { child, url } = await startBareServer(kind);
    await expectResponse(kind, url, {}, { status: 200, check: (json) => (json?.ok === true ? null : "unexpected body") });
    const row = await measure(target, { url, expect: 200 });
    await stopChild(child);
    return row;
  }

  try {
    // 1. node:http, the ceiling; 2. Hono on @hono/node-server.
    const ceilingTarget = { id: "node-http", name: "node:http, fixed JSON", request: "GET /", expectedStatus: 200 };
    await measureBare("node-http", ceilingTarget);
    await measureBare("hono", { id: "hono", name: "Hono (node-server), fixed JSON", request: "GET /", expectedStatus: 200 });

    // The Harmont server, on a fresh SQLite file.
    const dbPath = join(tmp, "bench.db");
    if (profileDir) await mkdir(profileDir, { recursive: true });
    const harmont = await startHarmont({ dbPath, profileDir });
    console.log(
      "\n  Harmont runs with HARMONT_LIMIT_CLI_PER_IP=0 and HARMONT_LIMIT_LOGIN_PER_IP=0 (per-IP limits off, so the" +
        "\n  claim and sign-in figures measure the handlers, not 429s); logging at info to /dev/null.",
    );

    const fixtures = await insertFixtures(dbPath, { count: FIXTURE_COUNT, password: FIXTURE_PASSWORD });
    fixtureDb = fixtures.db;
    if (fixtures.counted.users < FIXTURE_COUNT || fixtures.counted.sessions < FIXTURE_COUNT) {
      throw new Error(`fixtures: expected ${FIXTURE_COUNT} users and sessions, found ${JSON.stringify(fixtures.counted)}`);
    }
    console.log(`  fixtures: ${fixtures.counted.users} users, ${fixtures.counted.sessions} sessions (one shared argon2 hash)\n`);

    const chosen = fixtures.sessions[Math.floor(fixtures.sessions.length / 2) + Math.floor(Math.random() * 1000)];
    const sessionUrl = `${harmont.base}/api/v0/auth/session`;
    const bearer = `Authorization: Bearer ${chosen.token}`;
    const sessionInit = { headers: { authorization: `Bearer ${chosen.token}` } };
    const sessionExpectation = {
      status: 200,
      check: (json) => (json?.user?.id === chosen.userId && json?.session?.id === chosen.sessionId ? null : "the answer names another session"),
    };

    // 3. The session check.
    await expectResponse("session check", sessionUrl, sessionInit, sessionExpectation);
    markUsedNow(fixtureDb, chosen.sessionId);
    const sessionTarget = { id: "session-check", name: "Harmont session check", request: "GET /api/v0/auth/session", expectedStatus: 200 };
    const unloaded = await measure(sessionTarget, { url: sessionUrl, headers: [bearer], expect: 200 });
    await expectResponse("session check (after the run)", sessionUrl, sessionInit, sessionExpectation);

    // 3b. Optionally, the same session check on another build of the server (BENCH_BASELINE: the
    // dist/main.js of another checkout), so a change is compared with what it replaces in one run.
    const baselineMain = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : null;
    if (baselineMain) {
      const baselineDb = join(tmp, "baseline.db");
      const baseline = await startHarmont({ dbPath: baselineDb, main: baselineMain });
      const baselineFixtures = await insertFixtures(baselineDb, { count: FIXTURE_COUNT, password: FIXTURE_PASSWORD });
      const pick = baselineFixtures.sessions[Math.floor(baselineFixtures.sessions.length / 2)];
      const baselineUrl = `${baseline.base}/api/v0/auth/session`;
      await expectResponse("baseline session check", baselineUrl, { headers: { authorization: `Bearer ${pick.token}` } }, { status: 200, check: () => null });
      markUsedNow(baselineFixtures.db, pick.sessionId);
      baselineFixtures.db.close();
      await measure(
        { ...sessionTarget, id: "session-check-baseline", name: "Harmont session check, baseline build" },
        { url: baselineUrl, headers: [`Authorization: Bearer ${pick.token}`], expect: 200 },
      );
      await stopChild(baseline.child, 15_000);
      // The current build once more, so drift between the two is visible.
      markUsedNow(fixtureDb, chosen.sessionId);
      await measure({ ...sessionTarget, id: "session-check-again", name: "Harmont session check, this build again" }, { url: sessionUrl, headers: [bearer], expect: 200 });
    }

    // 4. CLI claim with a well-formed nonce nobody parked: 400 cli_code_invalid by design.
    const claimUrl = `${harmont.base}/api/v0/auth/cli/claim`;
    const claimBody = { nonce: randomBytes(32).toString("base64url") };
    const claimInit = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(claimBody) };
    const claimExpectation = { status: 400, check: (json) => (json?.error?.code === "cli_code_invalid" ? null : `code ${json?.error?.code}`) };
    await expectResponse("cli claim", claimUrl, claimInit, claimExpectation);
    const claimScript = join(tmp, "claim.lua");
    await writeFile(claimScript, jsonPostScript(claimBody));
    await measure(
      { id: "cli-claim-unknown", name: "Harmont CLI claim, unknown nonce (400)", request: "POST /api/v0/auth/cli/claim", expectedStatus: 400 },
      { url: claimUrl, script: claimScript, expect: 400 },
    );
    await expectResponse("cli claim (after the run)", claimUrl, claimInit, claimExpectation);

    // 5. The session check while password sign-ins saturate the server.
    const signupInit = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: LOGIN_EMAIL, password: LOGIN_PASSWORD }),
    };
    await expectResponse("sign-up", `${harmont.base}/api/v0/auth/signup`, signupInit, {
      status: 201,
      check: (json) => (typeof json?.token === "string" ? null : "no token"),
    });
    const loginUrl = `${harmont.base}/api/v0/auth/login`;
    const loginBody = { email: LOGIN_EMAIL, password: LOGIN_PASSWORD };
    const loginInit = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(loginBody) };
    await expectResponse("sign-in", loginUrl, loginInit, {
      status: 200,
      check: (json) => (typeof json?.token === "string" && json.token.startsWith("hmt_") ? null : "no token"),
    });
    const loginScript = join(tmp, "login.lua");
    await writeFile(loginScript, jsonPostScript(loginBody));
    const loginSeconds = SIGN_IN_LEAD_SECONDS + WARMUP_SECONDS + duration + 1;
    const loginArgs = ["-t1", `-c${loginConnections}`, `-d${loginSeconds}s`, "--latency"];
    console.log(`\n  sign-ins in the background: wrk ${loginArgs.join(" ")} POST /api/v0/auth/login`);
    const signIns = runWrk({ args: loginArgs, url: loginUrl, script: loginScript, track });
    signIns.catch(() => {}); // awaited below; this keeps an early failure from going unhandled
    await sleep(SIGN_IN_LEAD_SECONDS * 1000);
    markUsedNow(fixtureDb, chosen.sessionId);
    const loaded = await measure(
      { ...sessionTarget, id: "session-check-under-sign-ins", name: "Harmont session check, sign-ins saturating" },
      { url: sessionUrl, headers: [bearer], expect: 200 },
    );
    const signInReport = parseWrkReport(await signIns);
    checkCounts("password sign-ins", signInReport, 200);
    targets.push({
      id: "sign-ins-background",
      name: "  (password sign-ins, same time)",
      request: "POST /api/v0/auth/login",
      expectedStatus: 200,
      connections: loginConnections,
      background: true,
      ...signInReport,
    });
    await expectResponse("session check (after the loaded run)", sessionUrl, sessionInit, sessionExpectation);

    fixtureDb.close();
    fixtureDb = null;
    await stopChild(harmont.child, 15_000);

    // The ceiling once more: how much the machine's own load moved while the run went on.
    console.log("");
    const ceilingAgain = await measureBare("node-http", { ...ceilingTarget, id: "node-http-end", name: "node:http again (drift check)" });

    // Report.
    const ceiling = targets.find((target) => target.id === "node-http").requestsPerSec;
    const ceilingDrift = round(ceilingAgain.requestsPerSec / ceiling - 1, 3);
    for (const target of targets) target.ratioToCeiling = round(target.requestsPerSec / ceiling, 3);
    printTable(targets);
    const underLoad = {
      requestsPerSecRatio: round(loaded.requestsPerSec / unloaded.requestsPerSec, 3),
      p99Ratio: round(loaded.p99Ms / unloaded.p99Ms, 2),
      signInsPerSec: signInReport.requestsPerSec,
    };
    console.log(
      `\nSession check, unloaded: ${unloaded.requestsPerSec.toFixed(0)} req/s, p99 ${unloaded.p99Ms.toFixed(2)} ms; ` +
        `while sign-ins saturate: ${loaded.requestsPerSec.toFixed(0)} req/s, p99 ${loaded.p99Ms.toFixed(2)} ms ` +
        `(${(underLoad.requestsPerSecRatio * 100).toFixed(0)}% of the req/s, ${underLoad.p99Ratio}x the p99; ` +
        `${signInReport.requestsPerSec.toFixed(1)} sign-ins/s alongside).`,
    );
    const driftText = `${ceilingDrift >= 0 ? "+" : ""}${(ceilingDrift * 100).toFixed(0)}%`;
    console.log(`The node:http ceiling moved ${driftText} between the start and the end of the run.`);
    if (Math.abs(ceilingDrift) > 0.15) {
      console.log("  More than 15%: other work on the machine changed during the run; treat these ratios with care, or run again.");
    }
    console.log("Figures are ratios within this run on a shared machine, not absolute performance.");

    const results = {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpuCount: cpus.length,
      cpuModel: cpus[0]?.model?.trim() ?? null,
      wrk: { version, args: wrkArgs, warmupSeconds: WARMUP_SECONDS, signInArgs: loginArgs },
      fixtures: { users: fixtures.counted.users, sessions: fixtures.counted.sessions },
      harmontEnv: { HARMONT_LOG_LEVEL: "info", HARMONT_ACCESS_LOG: "on", HARMONT_LIMIT_CLI_PER_IP: "0", HARMONT_LIMIT_LOGIN_PER_IP: "0", database: "sqlite" },
      ceiling: "node-http",
      ceilingDrift,
      targets: targets.map((target) => ({
        id: target.id,
        request: target.request,
        expectedStatus: target.expectedStatus,
        requestsPerSec: target.requestsPerSec,
        p50Ms: round(target.p50Ms, 3),
        p99Ms: round(target.p99Ms, 3),
        ratioToCeiling: target.ratioToCeiling,
        requests: target.requests,
        socketErrors: target.socketErrors,
        ...(target.connections ? { connections: target.connections } : {}),
      })),
      sessionCheckUnderSignIns: underLoad,
    };
    await writeFile(join(benchDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${join("bench", "results.json")}`);
    if (profileDir) console.log(`CPU profile of the Harmont server in ${profileDir}`);
    return 0;
  } finally {
    fixtureDb?.close();
    await stopAll();
    removeTmp();
  }
}

/** Every response of a run must have the status the target is about. */
function checkCounts(name, report, expectedStatus) {
  const wanted = expectedStatus >= 200 && expectedStatus < 400 ? 0 : report.requests;
  if (report.requests === 0) throw new Error(`${name}: wrk completed no requests`);
  if (report.non2xx !== wanted) {
    throw new Error(
      `${name}: ${report.non2xx} of ${report.requests} responses were not 2xx/3xx, expected ${wanted} (every answer should be ${expectedStatus})`,
    );
  }
  const { connect, read, write, timeout } = report.socketErrors;
  if (connect + read + write + timeout > 0) {
    process.stdout.write(`[socket errors: connect ${connect}, read ${read}, write ${write}, timeout ${timeout}] `);
  }
}

function printTable(rows) {
  const header = ["target", "req/s", "p99 ms", "vs node:http"];
  const lines = rows.map((row) => [
    row.name,
    row.requestsPerSec.toFixed(0),
    row.p99Ms.toFixed(2),
    row.background ? "-" : row.ratioToCeiling.toFixed(3),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  const format = (cells) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  console.log(`\n${format(header)}\n${widths.map((width) => "-".repeat(width)).join("  ")}`);
  for (const line of lines) console.log(format(line));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error) => {
    process.stderr.write(`\nbench failed: ${error instanceof UsageError ? error.message : (error?.stack ?? error)}\n`);
    await stopAll();
    process.exitCode = 1;
  },
);
