/**
 * Schema migrations, applied at start. They are written expand-then-contract: a migration only
 * adds (tables, nullable columns, indexes) while two server versions may run side by side; a
 * column is dropped only in a later release, once no running version reads it.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from "kysely";

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
  "0003_grants": {
    async up(db: Kysely<unknown>) {
      // When a first factor was proven for a session's lineage; rows from before stay null,
      // which is never fresh.
      await db.schema.alterTable("sessions").addColumn("authenticated_at", time).execute();

      // One table for every single-use grant. A grant dies with its user and with the session
      // that decided it, so none can outlive a revocation.
      await db.schema
        .createTable("grants")
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("secret_hash", "text", (column) => column.notNull())
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("user_id", "text", (column) => column.references("users.id").onDelete("cascade"))
        .addColumn("session_id", "text", (column) => column.references("sessions.id").onDelete("cascade"))
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .addPrimaryKeyConstraint("grants_pk", ["kind", "secret_hash"])
        .execute();
      await db.schema.createIndex("grants_user_id").on("grants").column("user_id").execute();
      await db.schema.createIndex("grants_session_id").on("grants").column("session_id").execute();
      await db.schema.createIndex("grants_expires_at").on("grants").column("expires_at").execute();

      // Live handoffs and paste codes carry over (a parked handoff is an approved grant). The old
      // tables stay, unused, while an older version may still run beside this one.
      await sql`
        insert into grants (kind, secret_hash, state, user_id, session_id, created_at, expires_at)
        select 'cli_handoff', h.nonce_hash, case when h.state = 'parked' then 'approved' else 'denied' end,
               h.user_id, h.session_id, h.created_at, h.expires_at
        from cli_handoffs h join sessions s on s.id = h.session_id and s.user_id = h.user_id`.execute(db);
      await sql`
        insert into grants (kind, secret_hash, state, user_id, session_id, created_at, expires_at)
        select 'cli_paste_code', p.code_hash, 'approved', p.user_id, p.session_id, p.created_at, p.expires_at
        from cli_paste_codes p join sessions s on s.id = p.session_id and s.user_id = p.user_id`.execute(db);
    },
  },
  "0004_account_settings": {
    async up(db: Kysely<unknown>) {
      // Whether a new CLI session mails a notice (on unless the person turned it off), and when
      // an account whose deletion was asked for is deleted (null: it is not).
      await db.schema
        .alterTable("users")
        .addColumn("notify_new_cli_sessions", "integer", (column) => column.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable("users").addColumn("deletion_due_at", time).execute();
      await db.schema.createIndex("users_deletion_due_at").on("users").column("deletion_due_at").execute();
      // The address a session was last used from (written with last_used_at, at most once a minute).
      await db.schema.alterTable("sessions").addColumn("last_ip", "text").execute();
    },
  },
  "0005_organizations": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("organizations")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("slug", "text")
        .addColumn("created_by_user_id", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("updated_at", time, (column) => column.notNull())
        .execute();
      // Unique where set; both databases allow many nulls under a unique index.
      await db.schema.createIndex("organizations_slug_unique").on("organizations").column("slug").unique().execute();

      await db.schema
        .createTable("memberships")
        .addColumn("org_id", "text", (column) => column.notNull().references("organizations.id").onDelete("cascade"))
        .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
        .addColumn("role", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("updated_at", time, (column) => column.notNull())
        .addColumn("last_active_at", time)
        .addPrimaryKeyConstraint("memberships_pk", ["org_id", "user_id"])
        .execute();
      await db.schema.createIndex("memberships_user_id").on("memberships").column("user_id").execute();

      await db.schema
        .createTable("org_invitations")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("org_id", "text", (column) => column.notNull().references("organizations.id").onDelete("cascade"))
        .addColumn("email", "text", (column) => column.notNull())
        .addColumn("role", "text", (column) => column.notNull())
        .addColumn("token_hash", "text", (column) => column.notNull())
        .addColumn("invited_by_user_id", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("org_invitations_token_hash_unique").on("org_invitations").column("token_hash").unique().execute();
      await db.schema.createIndex("org_invitations_org_email").on("org_invitations").columns(["org_id", "email"]).unique().execute();
      await db.schema.createIndex("org_invitations_expires_at").on("org_invitations").column("expires_at").execute();

      await db.schema.createIndex("sessions_org_id").on("sessions").column("org_id").execute();
    },
  },
  "0006_password_resets": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("password_reset_tokens")
        .addColumn("token_hash", "text", (column) => column.primaryKey())
        .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
        .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("password_reset_tokens_user_id").on("password_reset_tokens").column("user_id").execute();
      await db.schema.createIndex("password_reset_tokens_expires_at").on("password_reset_tokens").column("expires_at").execute();
    },
  },
  "0007_two_step": {
    async up(db: Kysely<unknown>) {
      // When a second factor was verified for a session's lineage; null: none.
      await db.schema.alterTable("sessions").addColumn("mfa_verified_at", time).execute();

      await db.schema
        .createTable("totp_factors")
        .addColumn("user_id", "text", (column) => column.primaryKey().references("users.id").onDelete("cascade"))
        // Sealed with AES-256-GCM under a key derived from HARMONT_SECRET_KEY; the user id is the associated data.
        .addColumn("secret_sealed", "text", (column) => column.notNull())
        .addColumn("confirmed_at", time)
        .addColumn("enrollment_expires_at", time)
        .addColumn("enrollment_attempts", "integer", (column) => column.notNull().defaultTo(0))
        // The latest time step a code was accepted for; only a later one is accepted next.
        .addColumn("last_used_step", time, (column) => column.notNull().defaultTo(-1))
        .addColumn("created_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("totp_factors_enrollment_expires_at").on("totp_factors").column("enrollment_expires_at").execute();

      await db.schema
        .createTable("backup_codes")
        .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
        .addColumn("code_id", "text", (column) => column.notNull())
        .addColumn("secret_hash", "text", (column) => column.notNull())
        .addColumn("used_at", time)
        .addColumn("created_at", time, (column) => column.notNull())
        .addPrimaryKeyConstraint("backup_codes_pk", ["user_id", "code_id"])
        .execute();

      await db.schema
        .createTable("login_challenges")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("token_hash", "text", (column) => column.notNull())
        .addColumn("user_id", "text", (column) => column.notNull().references("users.id").onDelete("cascade"))
        .addColumn("first_factor", "text", (column) => column.notNull())
        .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("approval_number", "text")
        .addColumn("approval_requested_at", time)
        .addColumn("decided_by_session_id", "text")
        .addColumn("decided_at", time)
        .addColumn("ip", "text")
        .addColumn("user_agent", "text")
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("login_challenges_token_hash_unique").on("login_challenges").column("token_hash").unique().execute();
      await db.schema.createIndex("login_challenges_user_state").on("login_challenges").columns(["user_id", "state"]).execute();
      await db.schema.createIndex("login_challenges_expires_at").on("login_challenges").column("expires_at").execute();
    },
  },
  "0008_device_authorizations": {
    async up(db: Kysely<unknown>) {
      // The OAuth client a device-grant session was issued to.
      await db.schema.alterTable("sessions").addColumn("client_id", "text").execute();
      await db.schema
        .createTable("device_authorizations")
        .addColumn("device_code_hash", "text", (column) => column.primaryKey())
        // HMAC of the user code under the server's key; null once the authorization is used.
        .addColumn("user_code_hash", "text")
        .addColumn("client_id", "text", (column) => column.notNull())
        .addColumn("session_name", "text", (column) => column.notNull())
        .addColumn("device_description", "text")
        .addColumn("requester_ip", "text")
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("user_id", "text", (column) => column.references("users.id").onDelete("cascade"))
        .addColumn("approving_session_id", "text")
        .addColumn("issued_session_id", "text")
        .addColumn("interval_ms", time, (column) => column.notNull())
        .addColumn("last_polled_at", time)
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .addColumn("answered_at", time)
        .addColumn("consumed_at", time)
        .execute();
      await db.schema.createIndex("device_authorizations_user_code_hash").on("device_authorizations").column("user_code_hash").unique().execute();
      await db.schema.createIndex("device_authorizations_expires_at").on("device_authorizations").column("expires_at").execute();
      await db.schema.createIndex("device_authorizations_user_id").on("device_authorizations").column("user_id").execute();
    },
  },
  "0009_session_children": {
    async up(db: Kysely<unknown>) {
      // Revoking a session finds its browser children by this.
      await db.schema.createIndex("sessions_parent_session_id").on("sessions").column("parent_session_id").execute();
    },
  },
  "0010_platform_roles": {
    async up(db: Kysely<unknown>) {
      // `operator` for platform operators; set only from the server's command line.
      await db.schema.alterTable("users").addColumn("platform_role", "text").execute();
    },
  },
  "0011_impersonations": {
    async up(db: Kysely<unknown>) {
      // One row per support session, kept after it ends: the audit trail's index.
      await db.schema
        .createTable("impersonations")
        .addColumn("session_id", "text", (column) => column.primaryKey())
        .addColumn("impersonator_user_id", "text", (column) => column.notNull())
        .addColumn("target_user_id", "text", (column) => column.notNull())
        .addColumn("reason", "text", (column) => column.notNull())
        .addColumn("started_at", time, (column) => column.notNull())
        .addColumn("expires_at", time, (column) => column.notNull())
        .addColumn("ended_at", time)
        .addColumn("end_reason", "text")
        .execute();
      await db.schema.createIndex("impersonations_impersonator").on("impersonations").column("impersonator_user_id").execute();
      await db.schema.createIndex("impersonations_target").on("impersonations").column("target_user_id").execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
