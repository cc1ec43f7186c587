/**
 * Opens the database named by `HARMONT_DATABASE_URL`, applies migrations, and builds the store.
 * SQLite (better-sqlite3, WAL) is the embedded default; PostgreSQL (pg) is the scale-out path.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import SqliteDatabase from "better-sqlite3";
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, type DatabaseConnection, type Driver } from "kysely";
import pg from "pg";
import type { AuthStore } from "../auth/types.js";
import { migrationProvider } from "./migrations.js";
import type { Database } from "./schema.js";
import { preparePostgresFastReads, prepareSqliteFastReads } from "./fast-reads.js";
import { createKyselyStore } from "./kysely-store.js";

export type DatabaseKind = "sqlite" | "postgres";

export interface OpenDatabase {
  kind: DatabaseKind;
  db: Kysely<Database>;
  store: AuthStore;
  /** The pg pool, when on PostgreSQL (the rate limiter shares it). */
  pool: pg.Pool | null;
  /** Checks that the database answers (for readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * A pg client class whose every instance reports the errors of its connection from the moment
 * it is made. pg-pool listens on a client only while it sits idle: one checked out (a query in
 * flight, a transaction between statements) that loses its connection, as every connection does
 * when PostgreSQL restarts, would emit 'error' with no listener, and that ends the process.
 * Nothing else needs doing here: the client's pending and later queries fail (the request
 * answers 503), and pg-pool discards a client that is no longer queryable when it is released.
 */
function clientReportingErrors(report: (error: Error) => void): typeof pg.Client {
  return class ReportingClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // A dying connection can say so twice (the server's FATAL message, then the closed socket).
      let reported = false;
      this.on("error", (error: Error) => {
        if (reported) return;
        reported = true;
        report(error);
      });
    }
  };
}

function createPgPool(connectionString: string, max: number, onConnectionError: (error: Error) => void): pg.Pool {
  // int8 columns hold millisecond times, far below 2^53: read them as numbers, not strings.
  const types = {
    getTypeParser: ((oid: number, format?: "text" | "binary") =>
      oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString, max, types, Client: clientReportingErrors(onConnectionError) });
  // pg-pool forwards an idle client's error here as well, and an EventEmitter without an 'error'
  // listener throws. The client has already reported it.
  pool.on("error", () => {});
  return pool;
}

/** The file a `sqlite:` URL names (`sqlite:relative.db`, `sqlite:/abs.db`, `sqlite:///abs.db`). */
export function sqlitePathOf(url: string): string {
  return url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
}

function openSqlite(path: string): SqliteDatabase.Database {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const database = new SqliteDatabase(path);
  database.pragma("journal_mode = WAL");
  database.pragma("busy_timeout = 5000");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  return database;
}

/**
 * The writer connection's dialect. Every transaction begins `IMMEDIATE`: it takes the file's
 * write lock first, waiting for it up to `busy_timeout`. A plain (deferred) `BEGIN` reads first
 * and asks for the lock at its first write; if another connection to the file (an operator command, a backup tool, a
 * second process) committed in between, SQLite refuses that write at once (SQLITE_BUSY_SNAPSHOT)
 * instead of waiting, and the request would fail. Transactions here exist to write, and the
 * reads outside them (the session check among them) never take the lock. And each statement
 * runs in a turn of the event loop of its own (below).
 */
class WriterSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    };
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async () => statementsInTurnsOfTheirOwn(await acquire());
    return driver;
  }
}

/**
 * better-sqlite3 runs a statement synchronously and Kysely's awaits between statements are
 * microtasks, so a whole transaction (a sign-in writes about a dozen rows) would run in one turn
 * of the event loop, and every session check that arrived meanwhile would wait for all of it.
 * Here each statement waits for a turn of its own: the requests waiting in between are answered
 * first. The transaction keeps the write lock across those turns; the session check reads
 * through its own connection and never waits for that lock.
 */
function statementsInTurnsOfTheirOwn(connection: DatabaseConnection): DatabaseConnection {
  return {
    async executeQuery(query) {
      await nextTurn();
      return connection.executeQuery(query);
    },
    streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
  };
}

/** How many distinct statements the writer keeps compiled: every query the store builds, with room to spare. */
export const PREPARED_STATEMENTS_KEPT = 500;

/**
 * The writer connection as Kysely sees it, compiling each distinct SQL text once. Kysely asks
 * SQLite to compile every query it runs; a sign-in runs about a dozen, and compiling them again
 * each time was a good part of what a sign-in costs the event loop. The store's queries are
 * few and fixed (their values are parameters), so the kept set stays small; past the bound the
 * least recently used is dropped. A statement is used by one query at a time (Kysely's SQLite
 * driver runs one at a time), and SQLite recompiles a kept one by itself after a migration.
 */
export function compilingEachStatementOnce(database: SqliteDatabase.Database): { prepare(sql: string): SqliteDatabase.Statement; close(): void } {
  const kept = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql) {
      let statement = kept.get(sql);
      if (statement) {
        kept.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (kept.size >= PREPARED_STATEMENTS_KEPT) kept.delete(kept.keys().next().value as string);
      }
      kept.set(sql, statement);
      return statement;
    },
    close: () => database.close(),
  };
}

async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === "Error");
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${String(error)}`, { cause: error });
  }
}

export interface OpenDatabaseOptions {
  /** Size of the PostgreSQL pool. */
  poolSize?: number;
  /**
   * Errors of pooled PostgreSQL connections, idle or in use (for example when PostgreSQL
   * restarts), once per connection. They never end the process: a query on the failed
   * connection fails like any other, and the pool replaces the connection. The error may carry
   * the client (pg-pool sets `error.client`, whose settings hold the password): log its message
   * and code, never the object.
   */
  onBackgroundError?: (error: Error) => void;
}

/** Opens the database, applies pending migrations and returns the store. */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<OpenDatabase> {
  if (url.startsWith("sqlite:")) {
    const path = sqlitePathOf(url);
    const writer = openSqlite(path);
    const db = new Kysely<Database>({ dialect: new WriterSqliteDialect({ database: compilingEachStatementOnce(writer) }) });
    await migrate(db);
    // The session check reads through its own connection with a prepared statement: WAL lets it
    // read committed rows while the writer is inside a transaction, and it skips the query builder.
    const reader = path === ":memory:" ? writer : new SqliteDatabase(path, { readonly: true });
    if (reader !== writer) reader.pragma("busy_timeout = 5000");
    const fastReads = prepareSqliteFastReads(reader);
    return {
      kind: "sqlite",
      db,
      store: createKyselyStore(db, { rowLocks: false, fastReads }),
      pool: null,
      ping: async () => {
        reader.prepare("select 1").get();
      },
      close: async () => {
        await db.destroy();
        if (reader !== writer) reader.close();
      },
    };
  }

  const pool = createPgPool(url, options.poolSize ?? 10, (error) => options.onBackgroundError?.(error));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const fastReads = preparePostgresFastReads(pool);
  return {
    kind: "postgres",
    db,
    store: createKyselyStore(db, { rowLocks: true, fastReads }),
    pool,
    ping: async () => {
      await pool.query("select 1");
    },
    // Destroying Kysely ends the pool it was given.
    close: () => db.destroy(),
  };
}

/** Why a database cannot be used by an operator command as it is. */
export class DatabaseNotReadyError extends Error {
  override name = "DatabaseNotReadyError";
  constructor(
    /** `missing`: no such database; `empty`: no migration applied; `outdated`: some are pending. */
    readonly reason: "missing" | "empty" | "outdated",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks, without creating or changing anything, that the database exists and has every
 * migration applied: operator commands must work on the server's data, never on a new empty
 * database made because a path or a URL was not the server's.
 * @throws DatabaseNotReadyError when it is missing, empty or behind this version's schema;
 *   the driver's error when it cannot be reached.
 */
export async function checkDatabaseReady(url: string): Promise<void> {
  let db: Kysely<Database>;
  if (url.startsWith("sqlite:")) {
    const path = sqlitePathOf(url);
    if (path === ":memory:" || !existsSync(path)) throw new DatabaseNotReadyError("missing", `there is no database at ${path}`);
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(path, { readonly: true, fileMustExist: true }) }) });
  } else {
    // The check's own query reports a lost connection; the connection's error event is not news.
    const pool = createPgPool(url, 1, () => {});
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  try {
    const migrations = await new Migrator({ db, provider: migrationProvider }).getMigrations();
    const applied = migrations.filter((migration) => migration.executedAt !== undefined).length;
    if (applied === 0) throw new DatabaseNotReadyError("empty", "the database has no Harmont tables (no migration applied)");
    if (applied < migrations.length) {
      throw new DatabaseNotReadyError("outdated", `the database has ${applied} of this version's ${migrations.length} migrations applied`);
    }
  } finally {
    await db.destroy();
  }
}
