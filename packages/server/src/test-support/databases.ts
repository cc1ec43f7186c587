/**
 * Test databases: a fresh SQLite file per test, and a fresh PostgreSQL database per test when
 * HARMONT_TEST_DATABASE_URL is set. Without it the PostgreSQL suites are skipped with a visible
 * message; under CI=true a missing PostgreSQL is a failure, so CI cannot go green by skipping.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const postgresUrl = process.env.HARMONT_TEST_DATABASE_URL;

export interface TestDatabase {
  kind: "sqlite" | "postgres";
  url: string;
  drop(): Promise<void>;
}

export function createSqliteTestDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), "harmont-test-"));
  return {
    kind: "sqlite",
    url: `sqlite:${join(dir, "harmont.db")}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

export async function createPostgresTestDatabase(): Promise<TestDatabase> {
  if (!postgresUrl) throw new Error("HARMONT_TEST_DATABASE_URL is not set");
  const name = `harmont_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    kind: "postgres",
    url: withDatabase(postgresUrl, name),
    drop: async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface DatabaseTarget {
  kind: "sqlite" | "postgres";
  /** Whether this target runs here (PostgreSQL needs HARMONT_TEST_DATABASE_URL). */
  available: boolean;
  create(): Promise<TestDatabase>;
}

export const databaseTargets: DatabaseTarget[] = [
  { kind: "sqlite", available: true, create: async () => createSqliteTestDatabase() },
  { kind: "postgres", available: Boolean(postgresUrl), create: createPostgresTestDatabase },
];

let warned = false;
/** Says, once per file, that the PostgreSQL part is skipped; under CI that is an error. */
export function reportSkippedPostgres(): void {
  if (postgresUrl) return;
  if (process.env.CI === "true") {
    throw new Error("CI=true but HARMONT_TEST_DATABASE_URL is not set: the PostgreSQL suite must run in CI");
  }
  if (!warned) {
    warned = true;
    console.warn("[harmont] HARMONT_TEST_DATABASE_URL is not set: skipping the PostgreSQL suite (set it to run against Postgres)");
  }
}
