/**
 * The AuthStore on Kysely: each domain area's store, one file per table group, composed here,
 * with transactions. The same queries run on SQLite and PostgreSQL.
 */
import type { Kysely } from "kysely";
import type { AuthStore } from "../auth/types.js";
import { createAuditStore } from "./audit.js";
import { createDeviceAuthorizationStore } from "./device-authorizations.js";
import { createEmailCodeStore } from "./email-codes.js";
import type { FastReads } from "./fast-reads.js";
import { createGrantStore } from "./grants.js";
import { createImpersonationStore } from "./impersonations.js";
import { createLoginChallengeStore } from "./login-challenges.js";
import { createInvitationStore, createOrgStore } from "./orgs.js";
import { createPasswordResetStore } from "./password-resets.js";
import { createSecondFactorStore } from "./second-factors.js";
import type { Database } from "./schema.js";
import { createSessionStore } from "./sessions.js";
import { affected, type Connection } from "./shared.js";
import { createUserStore } from "./users.js";

export interface KyselyStoreOptions {
  /** Whether the database takes row locks (PostgreSQL: yes; SQLite serialises its writers). */
  rowLocks: boolean;
  /** Prepared reads (outside transactions) for the hot paths. */
  fastReads?: FastReads;
}

/** The store on a connection. */
export function createKyselyStore(db: Connection, options: KyselyStoreOptions): AuthStore {
  const { fastReads, rowLocks } = options;
  const store: AuthStore = {
    users: createUserStore(db, rowLocks),
    sessions: createSessionStore(db, fastReads?.sessionWithUser),
    grants: createGrantStore(db, fastReads?.liveGrant),
    emailCodes: createEmailCodeStore(db),
    audit: createAuditStore(db),
    orgs: createOrgStore(db, rowLocks),
    invitations: createInvitationStore(db),
    passwordResets: createPasswordResetStore(db),
    secondFactors: createSecondFactorStore(db),
    loginChallenges: createLoginChallengeStore(db),
    deviceAuthorizations: createDeviceAuthorizationStore(db),
    impersonations: createImpersonationStore(db),
    async transaction(work) {
      if (db.isTransaction) return work(store);
      return (db as Kysely<Database>).transaction().execute((trx) => work(createKyselyStore(trx, { rowLocks })));
    },
  };
  return store;
}

/** Deletes rate-limit rows whose window has passed (PostgreSQL store only). */
export async function purgeRateLimits(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom("rate_limits").where("expire", "<=", now).executeTakeFirst();
  return affected(result);
}
