#!/usr/bin/env node
// npm run bench: throughput and p99 of Harmont's hot endpoints next to two ceilings, all in one
// run on one machine, so the figures compare with each other and not with other machines.
// See bench/README.md.
import { fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createPostgresDatabase, insertFixtures } from "./fixtures.mjs";
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

/** The children being stopped on purpose: their exit is no news. */
const stopping = new Set();

/** SIGTERM (the server shuts down gracefully and writes a CPU profile if asked), then SIGKILL. */
async function stopChild(child, graceMs = 5000) {
  if (hasExited(child)) return;
  stopping.add(child);
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
  let response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(`${init.method ?? "GET"} ${url}: ${error.message}${error.cause ? ` (${error.cause.code ?? ""} ${error.cause.message ?? error.cause})` : ""}`);
  }
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

async function startHarmont({ databaseUrl, profileDir, main = serverMain }) {
  const port = await freePort();
  // Inherited HARMONT_* settings would make runs incomparable: only these apply.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("HARMONT_")));
  Object.assign(env, harmontEnv(port, databaseUrl));
  const nodeArgs = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  // stdout and stderr go to /dev/null: the access log is still formatted and written.
  const child = track(spawn(process.execPath, [...nodeArgs, main], { cwd: repoRoot, env, stdio: ["ignore", "ignore", "pipe"] }));
  // The last of stderr, to say why a server that stopped answering did.
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  child.once("exit", (code, signal) => {
    if (!stopping.has(child)) process.stderr.write(`\nbench: the Harmont server on port ${port} exited (${signal ?? `code ${code}`}):\n${stderr}\n`);
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new Error(
        `the Harmont server exited (${child.signalCode ?? `code ${child.exitCode}`}) before answering; ` +
          `start it by hand with the same environment to see why: PORT=${port} HARMONT_DATABASE_URL=${databaseUrl} node ${main}`,
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
  throw new Error(`the Harmont server did not answer GET /api/v0/meta within 30s on ${base}`);
}

/** The settings every Harmont server of the run gets (the database aside): what results.json records. */
const harmontSettings = {
  HARMONT_LOG_LEVEL: "info",
  HARMONT_ACCESS_LOG: "on",
  HARMONT_LIMIT_CLI_PER_IP: "0",
  HARMONT_LIMIT_LOGIN_PER_IP: "0",
};

function harmontEnv(port, databaseUrl) {
  return { PORT: String(port), HARMONT_HOST: "127.0.0.1", HARMONT_DATABASE_URL: databaseUrl, ...harmontSettings };
}

/**
 * The peak resident set size of a process while a target runs, read from /proc every 100 ms
 * (Linux; elsewhere `null`).
 */
function sampleRss(pids) {
  const peaks = new Map(pids.map((pid) => [pid, 0]));
  const read = () => {
    for (const pid of pids) {
      try {
        const kilobytes = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (kilobytes) peaks.set(pid, Math.max(peaks.get(pid), Number(kilobytes[1]) * 1024));
      } catch {
        // not Linux, or the process is gone: nothing to read
      }
    }
  };
  read();
  const timer = setInterval(read, 100);
  return {
    /** The largest peak among the processes, in MB; `null` when none could be read. */
    stop() {
      clearInterval(timer);
      read();
      const peak = Math.max(...peaks.values());
      return peak > 0 ? round(peak / 1_000_000, 1) : null;
    },
  };
}

const round = (value, digits) => (value === null ? null : Number(value.toFixed(digits)));

// ---------------------------------------------------------------------------------------------
// The run

/** Fixture sizes `BENCH_SCALE` chooses from. */
const scales = {
  "10k": { users: 10_000, sessions: 10_000 },
  "1m": { users: 100_000, sessions: 1_000_000 },
};

function readList(name, fallback, allowed) {
  const raw = (process.env[name] ?? "").trim() || fallback;
  const values = raw.split(",").map((value) => value.trim().toLowerCase()).filter(Boolean);
  const unknown = values.filter((value) => !allowed.includes(value));
  if (values.length === 0 || unknown.length > 0) throw new UsageError(`${name} must be a comma-separated list of ${allowed.join(", ")} (got "${raw}")`);
  return [...new Set(values)];
}

/** Whether the machine's PostgreSQL answers; `null` when it does, else why not. */
async function postgresProblem(adminUrl) {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    return null;
  } catch (error) {
    return error?.message ?? String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

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
  const chosenScales = readList("BENCH_SCALE", "10k,1m", Object.keys(scales));
  const databases = readList("BENCH_DATABASES", "sqlite,postgres", ["sqlite", "postgres"]);
  const postgresAdminUrl = process.env.BENCH_POSTGRES_URL?.trim() || "postgres://postgres@127.0.0.1:5432/postgres";
  const withPeers = process.argv.slice(2).includes("--peers");
  const profileDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : null;
  const wrkArgs = ["-t1", `-c${connections}`, `-d${duration}s`, "--latency"];
  const warmupArgs = ["-t1", `-c${connections}`, `-d${WARMUP_SECONDS}s`];

  const cpus = os.cpus();
  console.log(`Harmont bench: node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model?.trim() ?? "unknown"}), wrk ${version}`);
  console.log(`wrk ${wrkArgs.join(" ")} per target, after a ${WARMUP_SECONDS}s warm-up; every server on 127.0.0.1.`);
  console.log(`Databases: ${databases.join(", ")}; fixture scales: ${chosenScales.join(", ")}.\n`);

  if (databases.includes("postgres")) {
    const problem = await postgresProblem(postgresAdminUrl);
    if (problem) {
      process.stderr.write(`bench: PostgreSQL at ${redactUrl(postgresAdminUrl)} does not answer (${problem}).\n` + "Start it, set BENCH_POSTGRES_URL, or run the SQLite half alone: BENCH_DATABASES=sqlite npm run bench\n");
      return 1;
    }
  }
  const peer = withPeers ? await preparePeer() : null;
  if (!withPeers) console.log("  Peers skipped: `npm run bench -- --peers` also measures Better Auth (bench/peers).\n");

  tmp = await mkdtemp(join(os.tmpdir(), "harmont-bench-"));
  const targets = [];
  const cleanups = [];

  /**
   * Warm-up, then the measured run against one or more servers at once (each with its own wrk);
   * checks every run's status counts and records the servers' peak RSS.
   */
  async function measure(target, { loads, expect, pids = [] }) {
    process.stdout.write(`  ${target.name}: `);
    await Promise.all(loads.map(({ url, headers = [], script }) => runWrk({ args: warmupArgs, url, headers, script, track })));
    const rss = sampleRss(pids);
    const reports = (await Promise.all(loads.map(({ url, headers = [], script }) => runWrk({ args: wrkArgs, url, headers, script, track })))).map(parseWrkReport);
    const peakRssMb = rss.stop();
    for (const report of reports) checkCounts(target.name, report, expect);
    // Several servers: their rates add up; the slowest one's latency is the one a client sees.
    const report =
      reports.length === 1
        ? reports[0]
        : {
            requestsPerSec: round(reports.reduce((sum, each) => sum + each.requestsPerSec, 0), 2),
            p50Ms: Math.max(...reports.map((each) => each.p50Ms ?? 0)),
            p99Ms: Math.max(...reports.map((each) => each.p99Ms)),
            requests: reports.reduce((sum, each) => sum + each.requests, 0),
            socketErrors: sumSocketErrors(reports),
            perProcess: reports.map((each) => ({ requestsPerSec: each.requestsPerSec, p99Ms: each.p99Ms })),
          };
    console.log(`${report.requestsPerSec.toFixed(0)} req/s, p99 ${report.p99Ms.toFixed(2)} ms${peakRssMb !== null && pids.length > 0 ? `, peak RSS ${peakRssMb} MB` : ""}`);
    const row = { ...target, ...report, peakRssMb: pids.length > 0 ? peakRssMb : null };
    targets.push(row);
    return row;
  }

  async function measureBare(kind, target) {
    const { child, url } = await startBareServer(kind);
    await expectResponse(kind, url, {}, { status: 200, check: (json) => (json?.ok === true ? null : "unexpected body") });
    const row = await measure(target, { loads: [{ url }], expect: 200, pids: [child.pid] });
    await stopChild(child);
    return row;
  }

  /** A fresh database of `kind`: its URL for the server, and how fixtures reach it. */
  async function freshDatabase(kind, label) {
    if (kind === "sqlite") {
      const path = join(tmp, `${label}.db`);
      return { url: `sqlite:${path}`, fixtures: { kind: "sqlite", path } };
    }
    const database = await createPostgresDatabase(postgresAdminUrl, `harmont_bench_${label.replaceAll("-", "_")}_${randomBytes(4).toString("hex")}`);
    cleanups.push(() => database.drop());
    return { url: database.url, fixtures: { kind: "postgres", url: database.url } };
  }

  /** A Harmont server (or two) on a fresh database with the fixtures of `scale`, and one live session to check. */
  async function harmontWithFixtures(kind, scaleName, { processes = 1, main = serverMain, label = `${kind}-${scaleName}` } = {}) {
    const database = await freshDatabase(kind, label);
    if (profileDir) await mkdir(profileDir, { recursive: true });
    // The first process migrates the fresh database; the second starts on it as a scaled-out one would.
    const servers = [await startHarmont({ databaseUrl: database.url, profileDir: main === serverMain ? profileDir : null, main })];
    for (let extra = 1; extra < processes; extra++) servers.push(await startHarmont({ databaseUrl: database.url, main }));
    const scale = scales[scaleName];
    const started = Date.now();
    const fixtures = await insertFixtures(database.fixtures, { ...scale, password: FIXTURE_PASSWORD });
    // The SQLite insert blocks this process for as long as it runs: let the keep-alive sockets the
    // servers closed meanwhile be seen as closed before the next request picks one of them.
    await sleep(200);
    if (fixtures.counted.users < scale.users || fixtures.counted.sessions < scale.sessions) {
      throw new Error(`fixtures: expected ${scale.users} users and ${scale.sessions} sessions, found ${JSON.stringify(fixtures.counted)}`);
    }
    console.log(
      `\n  ${kind}, ${fixtures.counted.users} users, ${fixtures.counted.sessions} sessions (inserted in ${((Date.now() - started) / 1000).toFixed(1)} s)` +
        `${processes > 1 ? `, ${processes} server processes on one database` : ""}:`,
    );
    const chosen = fixtures.samples[Math.floor(fixtures.samples.length / 2) + Math.floor(Math.random() * Math.min(100, fixtures.samples.length / 4))];
    const sessionCheck = (server) => ({
      url: `${server.base}/api/v0/auth/session`,
      headers: [`Authorization: Bearer ${chosen.token}`],
      async verify(label) {
        await expectResponse(label, this.url, { headers: { authorization: `Bearer ${chosen.token}` } }, {
          status: 200,
          check: (json) => (json?.user?.id === chosen.userId && json?.session?.id === chosen.sessionId ? null : "the answer names another session"),
        });
      },
    });
    return {
      servers,
      fixtures,
      chosen,
      checks: servers.map(sessionCheck),
      pids: servers.map((server) => server.child.pid),
      /** Keeps the once-a-minute `last_used_at` write out of the measured run. */
      markUsed: () => fixtures.markUsedNow(chosen.sessionId),
      async stop() {
        await fixtures.close();
        await Promise.all(servers.map((server) => stopChild(server.child, 15_000)));
      },
    };
  }

  const sessionRequest = { request: "GET /api/v0/auth/session", expectedStatus: 200 };
  const scaleLabel = (name) => (name === "1m" ? "1M sessions" : "10k sessions");
  let unloaded = null;
  let loaded = null;
  let signInReport = null;
  let loginArgs = null;

  try {
    // 1. node:http, the ceiling; 2. Hono on @hono/node-server.
    const ceilingTarget = { id: "node-http", name: "node:http, fixed JSON", request: "GET /", expectedStatus: 200 };
    await measureBare("node-http", ceilingTarget);
    await measureBare("hono", { id: "hono", name: "Hono (node-server), fixed JSON", request: "GET /", expectedStatus: 200 });
    console.log(
      "\n  Harmont runs with HARMONT_LIMIT_CLI_PER_IP=0 and HARMONT_LIMIT_LOGIN_PER_IP=0 (per-IP limits off, so the" +
        "\n  claim and sign-in figures measure the handlers, not 429s); logging at info to /dev/null.",
    );

    for (const kind of databases) {
      for (const scaleName of chosenScales) {
        const harmont = await harmontWithFixtures(kind, scaleName);
        const [check] = harmont.checks;
        await check.verify("session check");
        await harmont.markUsed();
        const row = await measure(
          { id: `session-check-${kind}-${scaleName}`, name: `Harmont session check, ${kind}, ${scaleLabel(scaleName)}`, database: kind, scale: scaleName, ...sessionRequest },
          { loads: [check], expect: 200, pids: harmont.pids },
        );
        await check.verify("session check (after the run)");
        if (scaleName === chosenScales[0]) {
          await measureClaimMiss(harmont, kind);
          if (kind === "sqlite") {
            unloaded = row;
            ({ loaded, signInReport, loginArgs } = await measureUnderSignIns(harmont, row));
          }
        }
        await harmont.stop();
        if (kind === "sqlite" && scaleName === chosenScales[0] && process.env.BENCH_BASELINE) await measureBaseline(scaleName);
      }
      if (kind === "postgres") {
        // The scale-out path: two processes on one database, each loaded by its own wrk.
        const scaleName = chosenScales[0];
        const pair = await harmontWithFixtures(kind, scaleName, { processes: 2, label: `postgres-pair-${scaleName}` });
        for (const [index, check] of pair.checks.entries()) await check.verify(`session check, process ${index + 1}`);
        await pair.markUsed();
        await measure(
          { id: `session-check-postgres-${scaleName}-two-processes`, name: `Harmont session check, postgres, ${scaleLabel(scaleName)}, 2 processes (summed)`, database: kind, scale: scaleName, processes: 2, ...sessionRequest },
          { loads: pair.checks, expect: 200, pids: pair.pids },
        );
        await pair.stop();
      }
    }

    if (peer) await measurePeer(peer);

    // The session check layer by layer, in a process of its own (no sockets, no wrk).
    console.log("\n  Per-layer breakdown of the session check, in process (microseconds per call, median of 5 rounds):");
    const breakdown = [];
    for (const kind of databases) {
      const row = await runBreakdown(kind === "sqlite" ? "sqlite" : postgresAdminUrl);
      breakdown.push(row);
      printBreakdown(row);
    }

    // The ceiling once more: how much the machine's own load moved while the run went on.
    console.log("");
    const ceilingAgain = await measureBare("node-http", { ...ceilingTarget, id: "node-http-end", name: "node:http again (drift check)" });

    // Report.
    const ceiling = targets.find((target) => target.id === "node-http").requestsPerSec;
    const ceilingDrift = round(ceilingAgain.requestsPerSec / ceiling - 1, 3);
    for (const target of targets) target.ratioToCeiling = round(target.requestsPerSec / ceiling, 3);
    // A two-process figure is also shown per process: that is what the per-process goal is about.
    for (const target of targets) if (target.processes) target.ratioToCeilingPerProcess = round(target.requestsPerSec / target.processes / ceiling, 3);
    printTable(targets);
    const underLoad = unloaded && loaded
      ? {
          requestsPerSecRatio: round(loaded.requestsPerSec / unloaded.requestsPerSec, 3),
          p99Ratio: round(loaded.p99Ms / unloaded.p99Ms, 2),
          signInsPerSec: signInReport.requestsPerSec,
          signInStatuses: signInReport.statuses ?? null,
        }
      : null;
    if (underLoad) {
      console.log(
        `\nSession check, unloaded: ${unloaded.requestsPerSec.toFixed(0)} req/s, p99 ${unloaded.p99Ms.toFixed(2)} ms; ` +
          `while sign-ins saturate: ${loaded.requestsPerSec.toFixed(0)} req/s, p99 ${loaded.p99Ms.toFixed(2)} ms ` +
          `(${(underLoad.requestsPerSecRatio * 100).toFixed(0)}% of the req/s, ${underLoad.p99Ratio}x the p99; ` +
          `${signInReport.requestsPerSec.toFixed(1)} sign-ins/s alongside).`,
      );
    }
    const scaleRatios = scaleComparison(targets);
    for (const line of scaleRatios.lines) console.log(line);
    const peerRatio = peerComparison(targets);
    if (peerRatio) console.log(peerRatio.line);
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
      databases,
      scales: Object.fromEntries(chosenScales.map((name) => [name, scales[name]])),
      harmontEnv: harmontSettings,
      peer: peer ? { name: peer.name, version: peer.version } : null,
      ceiling: "node-http",
      ceilingDrift,
      targets: targets.map((target) => ({
        id: target.id,
        request: target.request,
        expectedStatus: target.expectedStatus,
        ...(target.database ? { database: target.database, scale: target.scale } : {}),
        requestsPerSec: target.requestsPerSec,
        p50Ms: round(target.p50Ms, 3),
        p99Ms: round(target.p99Ms, 3),
        ratioToCeiling: target.ratioToCeiling,
        ...(target.processes ? { processes: target.processes, ratioToCeilingPerProcess: target.ratioToCeilingPerProcess, perProcess: target.perProcess } : {}),
        peakRssMb: target.peakRssMb,
        requests: target.requests,
        socketErrors: target.socketErrors,
        ...(target.connections ? { connections: target.connections } : {}),
        ...(target.statuses ? { statuses: target.statuses } : {}),
      })),
      sessionCheckUnderSignIns: underLoad,
      breakdown,
      sessionCheckAtScale: scaleRatios.ratios,
      peerComparison: peerRatio?.ratios ?? null,
    };
    await writeFile(join(benchDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${join("bench", "results.json")}`);
    if (profileDir) console.log(`CPU profile of the Harmont server in ${profileDir}`);
    return 0;
  } finally {
    await stopAll();
    for (const cleanup of cleanups) await cleanup().catch((error) => process.stderr.write(`bench: cleanup failed: ${error.message}\n`));
    removeTmp();
  }

  /** CLI claim with a well-formed nonce nobody parked: 400 cli_code_invalid by design. */
  async function measureClaimMiss(harmont, kind) {
    const claimUrl = `${harmont.servers[0].base}/api/v0/auth/cli/claim`;
    const claimBody = { nonce: randomBytes(32).toString("base64url") };
    const claimInit = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(claimBody) };
    const claimExpectation = { status: 400, check: (json) => (json?.error?.code === "cli_code_invalid" ? null : `code ${json?.error?.code}`) };
    await expectResponse("cli claim", claimUrl, claimInit, claimExpectation);
    const claimScript = join(tmp, `claim-${kind}.lua`);
    await writeFile(claimScript, jsonPostScript(claimBody));
    await measure(
      { id: `cli-claim-unknown-${kind}`, name: `Harmont CLI claim, unknown nonce (400), ${kind}`, database: kind, scale: chosenScales[0], request: "POST /api/v0/auth/cli/claim", expectedStatus: 400 },
      { loads: [{ url: claimUrl, script: claimScript }], expect: 400, pids: harmont.pids },
    );
    await expectResponse("cli claim (after the run)", claimUrl, claimInit, claimExpectation);
  }

  /** The session check while password sign-ins saturate the server's hashing pool. */
  async function measureUnderSignIns(harmont, unloadedRow) {
    const base = harmont.servers[0].base;
    const signupInit = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: LOGIN_EMAIL, password: LOGIN_PASSWORD }) };
    await expectResponse("sign-up", `${base}/api/v0/auth/signup`, signupInit, { status: 201, check: (json) => (typeof json?.token === "string" ? null : "no token") });
    const loginUrl = `${base}/api/v0/auth/login`;
    const loginBody = { email: LOGIN_EMAIL, password: LOGIN_PASSWORD };
    const loginInit = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(loginBody) };
    await expectResponse("sign-in", loginUrl, loginInit, {
      status: 200,
      check: (json) => (typeof json?.token === "string" && json.token.startsWith("hmt_") ? null : "no token"),
    });
    const loginScript = join(tmp, "login.lua");
    await writeFile(loginScript, jsonPostScript(loginBody, { statuses: true }));
    const seconds = SIGN_IN_LEAD_SECONDS + WARMUP_SECONDS + duration + 1;
    const args = ["-t1", `-c${loginConnections}`, `-d${seconds}s`, "--latency"];
    console.log(`\n  sign-ins in the background: wrk ${args.join(" ")} POST /api/v0/auth/login`);
    const signIns = runWrk({ args, url: loginUrl, script: loginScript, track });
    signIns.catch(() => {}); // awaited below; this keeps an early failure from going unhandled
    await sleep(SIGN_IN_LEAD_SECONDS * 1000);
    await harmont.markUsed();
    const [check] = harmont.checks;
    const row = await measure(
      { ...unloadedRow, id: "session-check-under-sign-ins", name: "Harmont session check, sign-ins saturating" },
      { loads: [check], expect: 200, pids: harmont.pids },
    );
    const report = parseWrkReport(await signIns);
    // A sign-in refused under this load is a finding to report, not a reason to lose the run.
    if (report.non2xx > 0) console.log(`  password sign-ins: ${report.non2xx} of ${report.requests} answers were not 2xx (by status: ${JSON.stringify(report.statuses ?? {})})`);
    targets.push({
      id: "sign-ins-background",
      name: "  (password sign-ins, same time)",
      request: "POST /api/v0/auth/login",
      expectedStatus: 200,
      connections: loginConnections,
      background: true,
      peakRssMb: null,
      ...report,
    });
    await check.verify("session check (after the loaded run)");
    return { loaded: row, signInReport: report, loginArgs: args };
  }

  /** The same session check on another build of the server (BENCH_BASELINE), between two runs of this build's. */
  async function measureBaseline(scaleName) {
    const baselineMain = resolve(process.env.BENCH_BASELINE);
    const baseline = await harmontWithFixtures("sqlite", scaleName, { main: baselineMain, label: "baseline" });
    await baseline.checks[0].verify("baseline session check");
    await baseline.markUsed();
    await measure(
      { id: "session-check-baseline", name: "Harmont session check, baseline build", database: "sqlite", scale: scaleName, ...sessionRequest },
      { loads: [baseline.checks[0]], expect: 200, pids: baseline.pids },
    );
    await baseline.stop();
    const again = await harmontWithFixtures("sqlite", scaleName, { label: "again" });
    await again.markUsed();
    await measure(
      { id: "session-check-again", name: "Harmont session check, this build again", database: "sqlite", scale: scaleName, ...sessionRequest },
      { loads: [again.checks[0]], expect: 200, pids: again.pids },
    );
    await again.stop();
  }

  /** The peer's session check, on its own SQLite file with as many sessions as Harmont's first scale. */
  async function measurePeer(prepared) {
    const started = await prepared.start(join(tmp, "peer.db"), scales[chosenScales[0]].sessions);
    console.log(`\n  ${prepared.name} ${prepared.version} (bench/peers), SQLite, ${started.sessions} sessions:`);
    // Better Auth answers an unknown token with `200 null`: its body is checked, before and after.
    await started.verify();
    await measure(
      { id: "peer-better-auth-session", name: `${prepared.name} ${prepared.version} get-session (bearer), sqlite`, database: "sqlite", scale: chosenScales[0], request: "GET /api/auth/get-session", expectedStatus: 200, peer: true, peerName: `${prepared.name} ${prepared.version}` },
      { loads: [{ url: started.url, headers: [`Authorization: Bearer ${started.token}`] }], expect: 200, pids: [started.child.pid] },
    );
    await started.verify();
    await stopChild(started.child);
  }
}

/** Runs bench/breakdown.mjs in a child process and reads its one JSON line. */
function runBreakdown(target) {
  return new Promise((done, reject) => {
    const child = track(spawn(process.execPath, [join(benchDir, "breakdown.mjs"), target], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] }));
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`bench/breakdown.mjs ${target.startsWith("postgres") ? "postgres" : target} failed (code ${code})`));
      try {
        done(JSON.parse(out.trim().split("\n").pop()));
      } catch (error) {
        reject(new Error(`bench/breakdown.mjs printed no JSON: ${error.message}`));
      }
    });
  });
}

function printBreakdown(row) {
  const us = row.microseconds;
  const share = (value) => `${((value / us.request) * 100).toFixed(0)}%`;
  const lines = [
    ["whole request (app.request, no socket)", us.request],
    ["  the same, access log off", us.requestWithoutAccessLog],
    ["  the same, read replaced by its answer", us.requestWithoutRead],
    ["  public route through the same middleware", us.publicRoute],
    ["  session check (hash, read, checks)", us.sessionCheck],
    ["    token hash (SHA-256)", us.tokenHash],
    ["    the indexed read", us.read],
    ["  JSON answer (bodies + stringify)", us.jsonAnswer],
    ["  access log line (difference)", row.derived.accessLog],
    ["  the read within a request (difference)", row.derived.readInRequest],
  ];
  console.log(`    ${row.database}:`);
  for (const [label, value] of lines) console.log(`      ${label.padEnd(44)} ${value.toFixed(2).padStart(9)} us  ${share(value).padStart(4)}`);
}

function sumSocketErrors(reports) {
  const total = { connect: 0, read: 0, write: 0, timeout: 0 };
  for (const report of reports) for (const key of Object.keys(total)) total[key] += report.socketErrors[key];
  return total;
}

/** The session check at 1M sessions as a ratio of the same check at 10k, per database. */
function scaleComparison(targets) {
  const ratios = {};
  const lines = [];
  for (const database of ["sqlite", "postgres"]) {
    const small = targets.find((target) => target.id === `session-check-${database}-10k`);
    const large = targets.find((target) => target.id === `session-check-${database}-1m`);
    if (!small || !large) continue;
    ratios[database] = { requestsPerSecRatio: round(large.requestsPerSec / small.requestsPerSec, 3), p99Ratio: round(large.p99Ms / small.p99Ms, 2) };
    lines.push(`Session check on ${database} at 1M sessions: ${(ratios[database].requestsPerSecRatio * 100).toFixed(0)}% of its req/s at 10k, ${ratios[database].p99Ratio}x the p99.`);
  }
  return { ratios, lines };
}

/** Harmont's session check next to the peer's, on SQLite at the same scale. */
function peerComparison(targets) {
  const peer = targets.find((target) => target.peer);
  if (!peer) return null;
  const harmont = targets.find((target) => target.id === `session-check-sqlite-${peer.scale}`);
  if (!harmont) return null;
  const ratio = round(harmont.requestsPerSec / peer.requestsPerSec, 2);
  return {
    ratios: { harmontToPeerRequestsPerSec: ratio, harmontP99Ms: round(harmont.p99Ms, 3), peerP99Ms: round(peer.p99Ms, 3) },
    line: `Harmont's session check does ${ratio}x the req/s of ${peer.peerName}'s get-session (both on SQLite, ${peer.scale} sessions).`,
  };
}

/** A URL without its password, for messages. */
function redactUrl(text) {
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    return url.href;
  } catch {
    return "(unreadable URL)";
  }
}

/**
 * The peer (bench/peers): installed from its own lockfile, never a dependency of Harmont. Returns
 * its name, pinned version and how to start it with fixtures, or throws with what to do.
 */
async function preparePeer() {
  const peersDir = join(benchDir, "peers");
  const manifest = JSON.parse(readFileSync(join(peersDir, "package.json"), "utf8"));
  const pinned = manifest.dependencies?.["better-auth"];
  const installed = (name) => {
    try {
      return JSON.parse(readFileSync(join(peersDir, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      return null;
    }
  };
  // Installed already from this lockfile's pins: no need to build better-sqlite3 again.
  const upToDate = installed("better-auth") === pinned && installed("better-sqlite3") === manifest.dependencies["better-sqlite3"] && existsSync(join(peersDir, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"));
  if (!upToDate) console.log(`  Installing the peer (better-auth ${pinned}) from bench/peers/package-lock.json …`);
  if (!upToDate) await new Promise((done, reject) => {
    const child = track(spawn("npm", ["ci", "--prefix", peersDir, "--no-audit", "--no-fund", "--loglevel=error"], { stdio: ["ignore", "ignore", "inherit"] }));
    child.once("exit", (code) => (code === 0 ? done() : reject(new Error(`npm ci in bench/peers failed (code ${code})`))));
  });
  const { startPeer } = await import(join(peersDir, "bench-entry.mjs"));
  return { name: "Better Auth", version: pinned, start: (dbPath, sessions) => startPeer({ dbPath, sessions, track }) };
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
