/**
 * Schema migrations, applied at start. They are written expand-then-contract: a migration only
 * adds (tables, nullable columns, indexes) while two server versions may run side by side; a
 * column is dropped only in a later release, once no running version reads it.
 */
import type { Kysely, Migration, MigrationProvider } from "kysely";

// `bigint` is INTEGER affinity on SQLite and int8 on PostgreSQL: both hold millisecond times.
const time = "bigint" as const;

export const migrations: Record<string, Migration> = {
  "0001_initial": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("users")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("email", "text", (column) => column.notNull())
        .addColumn("name", "text")
        .addColumn("password_hash", "text")
        .addColumn("email_verified_at", time)
        .addColumn("disabled_at", time)
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("updated_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("users_email_unique").on("users").column("email").unique().execute();

      await db.schema
        .createTable("sessions")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("token_hash", "text", (column) => column.notNull())
        .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("parent_session_id", "text")
        .addColumn("org_id", "text")
        .addColumn("impersonator_user_id", "text")
        .addColumn("second_factor_pending", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("ip", "text")
        .addColumn("user_agent", "text")
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("last_used_at", time, (column) => column.notNull())
        .addColumn("idle_timeout_ms", time, (column) => column.notNull())
        .addColumn("absolute_expires_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("sessions_token_hash_unique").on("sessions").column("token_hash").unique().execute();
      await db.schema.createIndex("sessions_user_id").on("sessions").column("user_id").execute();
      await db.schema.createIndex("sessions_absolute_expires_at").on("sessions").column("absolute_expires_at").execute();

      await db.schema
        .createTable("cli_handoffs")
        .addColumn("nonce_hash", "text", (column) => column.primaryKey())
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("user_id", "text", (column) => column.notNull())
        .addColumn("session_id", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("cli_handoffs_user_id").on("cli_handoffs").column("user_id").execute();
      await db.schema.createIndex("cli_handoffs_expires_at").on("cli_handoffs").column("expires_at").execute();

      await db.schema
        .createTable("cli_paste_codes")
        .addColumn("code_hash", "text", (column) => column.primaryKey())
        .addColumn("user_id", "text", (column) => column.notNull())
        .addColumn("session_id", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("cli_paste_codes_user_id").on("cli_paste_codes").column("user_id").execute();
      await db.schema.createIndex("cli_paste_codes_expires_at").on("cli_paste_codes").column("expires_at").execute();

      await db.schema
        .createTable("audit_events")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("at", time, (column) => column.notNull())
        .addColumn("action", "text", (column) => column.notNull())
        .addColumn("actor_user_id", "text")
        .addColumn("target", "text")
        .addColumn("ip", "text")
        .addColumn("request_id", "text")
        .addColumn("detail", "text")
        .execute();
      await db.schema.createIndex("audit_events_actor_at").on("audit_events").columns(["actor_user_id", "at"]).execute();

      // The shape rate-limiter-flexible's PostgreSQL store expects (it is told the table exists).
      await db.schema
        .createTable("rate_limits")
        .addColumn("key", "varchar(255)", (column) => column.primaryKey())
        .addColumn("points", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("expire", time)
        .execute();
    },
  },
  "0002_email_codes": {
    async up(db: Kysely<unknown>) {
      // One live code per address and purpose: a new request replaces the old code.
      await db.schema
        .createTable("email_codes")
        .addColumn("email", "text", (column) => column.notNull())
        .addColumn("purpose", "text", (column) => column.notNull())
        .addColumn("code_hash", "text", (column) => column.notNull())
        .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .addPrimaryKeyConstraint("email_codes_pk", ["email", "purpose"])
        .execute();
      await db.schema.createIndex("email_codes_expires_at").on("email_codes").column("expires_at").execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
