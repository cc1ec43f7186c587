/** The `organizations`, `memberships` and `org_invitations` tables. */
import { sql } from "kysely";
import type { Invitation, InvitationStore } from "../auth/invitations.js";
import type { Membership, Org, OrgRole, OrgStore } from "../auth/orgs.js";
import type { MembershipsTable, OrganizationsTable, OrgInvitationsTable } from "./schema.js";
import { affected, isUniqueViolation, type Connection } from "./shared.js";

const orgColumns = ["id", "name", "slug", "created_by_user_id", "created_at", "updated_at"] as const;

function toOrg(row: OrganizationsTable): Org {
  return { id: row.id, name: row.name, slug: row.slug, createdByUserId: row.created_by_user_id, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toMembership(row: MembershipsTable): Membership {
  return { orgId: row.org_id, userId: row.user_id, role: row.role as OrgRole, createdAt: row.created_at, lastActiveAt: row.last_active_at };
}

/** `rowLocks`: whether the database takes row locks (PostgreSQL); SQLite serialises its writers. */
export function createOrgStore(db: Connection, rowLocks: boolean): OrgStore {
  return {
    async insertOrg(org) {
      try {
        await db
          .insertInto("organizations")
          .values({ id: org.id, name: org.name, slug: org.slug, created_by_user_id: org.createdByUserId, created_at: org.createdAt, updated_at: org.updatedAt })
          .execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async findOrg(orgId) {
      const row = await db.selectFrom("organizations").select(orgColumns).where("id", "=", orgId).executeTakeFirst();
      return row ? toOrg(row) : null;
    },
    async updateOrg(orgId, change, now) {
      try {
        await db.updateTable("organizations").set({ ...change, updated_at: now }).where("id", "=", orgId).execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async deleteOrg(orgId) {
      await db.deleteFrom("organizations").where("id", "=", orgId).execute();
    },
    async lockOrg(orgId) {
      let query = db.selectFrom("organizations").select(orgColumns).where("id", "=", orgId);
      if (rowLocks) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toOrg(row) : null;
    },
    async findMembership(orgId, userId) {
      const row = await db.selectFrom("memberships").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).executeTakeFirst();
      return row ? toMembership(row) : null;
    },
    async insertMembership(membership) {
      const result = await db
        .insertInto("memberships")
        .values({
          org_id: membership.orgId,
          user_id: membership.userId,
          role: membership.role,
          created_at: membership.createdAt,
          updated_at: membership.createdAt,
          last_active_at: membership.lastActiveAt,
        })
        .onConflict((conflict) => conflict.columns(["org_id", "user_id"]).doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    },
    async setRole(orgId, userId, role, now) {
      await db.updateTable("memberships").set({ role, updated_at: now }).where("org_id", "=", orgId).where("user_id", "=", userId).execute();
    },
    async deleteMembership(orgId, userId) {
      return affected(await db.deleteFrom("memberships").where("org_id", "=", orgId).where("user_id", "=", userId).executeTakeFirst()) === 1;
    },
    async countOwners(orgId) {
      const row = await db
        .selectFrom("memberships")
        .select((eb) => eb.fn.countAll().as("owners"))
        .where("org_id", "=", orgId)
        .where("role", "=", "owner")
        .executeTakeFirstOrThrow();
      return Number(row.owners);
    },
    async listOrgsOfUser(userId, limit) {
      const rows = await db
        .selectFrom("memberships as m")
        .innerJoin("organizations as o", "o.id", "m.org_id")
        .select(["o.id", "o.name", "o.slug", "o.created_by_user_id", "o.created_at", "o.updated_at", "m.role", "m.created_at as joined_at", "m.last_active_at"])
        .where("m.user_id", "=", userId)
        // Most recently active first; never-active ones after, oldest membership first.
        .orderBy(sql`case when m.last_active_at is null then 1 else 0 end`)
        .orderBy("m.last_active_at", "desc")
        .orderBy("m.created_at")
        .orderBy("o.id")
        .limit(limit)
        .execute();
      return rows.map((row) => ({ org: toOrg(row), role: row.role as OrgRole, joinedAt: row.joined_at, lastActiveAt: row.last_active_at }));
    },
    async listMembers(orgId) {
      const rows = await db
        .selectFrom("memberships as m")
        .innerJoin("users as u", "u.id", "m.user_id")
        .select(["u.id", "u.email", "u.name", "m.role", "m.created_at"])
        .where("m.org_id", "=", orgId)
        .orderBy("m.created_at")
        .orderBy("u.id")
        .execute();
      return rows.map((row) => ({ user: { id: row.id, email: row.email, name: row.name }, role: row.role as OrgRole, joinedAt: row.created_at }));
    },
    async markActive(orgId, userId, now) {
      await db.updateTable("memberships").set({ last_active_at: now }).where("org_id", "=", orgId).where("user_id", "=", userId).execute();
    },
    async setSessionOrg(sessionId, userId, orgId) {
      let query = db.updateTable("sessions").set({ org_id: orgId }).where("id", "=", sessionId).where("user_id", "=", userId);
      if (orgId !== null) {
        query = query.where((eb) =>
          eb.exists(eb.selectFrom("memberships").select(sql.lit(1).as("one")).where("org_id", "=", orgId).where("user_id", "=", userId)),
        );
      }
      return affected(await query.executeTakeFirst()) === 1;
    },
    async clearSessionsOrg(orgId, userId) {
      let query = db.updateTable("sessions").set({ org_id: null }).where("org_id", "=", orgId);
      if (userId !== undefined) query = query.where("user_id", "=", userId);
      await query.execute();
    },
  };
}

function toInvitation(row: OrgInvitationsTable): Invitation {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    role: row.role as OrgRole,
    tokenHash: row.token_hash,
    invitedByUserId: row.invited_by_user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function createInvitationStore(db: Connection): InvitationStore {
  return {
    async upsert(invitation) {
      await db
        .insertInto("org_invitations")
        .values({
          id: invitation.id,
          org_id: invitation.orgId,
          email: invitation.email,
          role: invitation.role,
          token_hash: invitation.tokenHash,
          invited_by_user_id: invitation.invitedByUserId,
          created_at: invitation.createdAt,
          expires_at: invitation.expiresAt,
        })
        .onConflict((conflict) =>
          conflict.columns(["org_id", "email"]).doUpdateSet((eb) => ({
            id: eb.ref("excluded.id"),
            role: eb.ref("excluded.role"),
            token_hash: eb.ref("excluded.token_hash"),
            invited_by_user_id: eb.ref("excluded.invited_by_user_id"),
            created_at: eb.ref("excluded.created_at"),
            expires_at: eb.ref("excluded.expires_at"),
          })),
        )
        .execute();
    },
    async listLive(orgId, now) {
      const rows = await db
        .selectFrom("org_invitations as i")
        .leftJoin("users as u", "u.id", "i.invited_by_user_id")
        .select(["i.id", "i.org_id", "i.email", "i.role", "i.invited_by_user_id", "i.created_at", "i.expires_at", "u.email as inviter_email", "u.name as inviter_name"])
        .where("i.org_id", "=", orgId)
        .where("i.expires_at", ">", now)
        .orderBy("i.created_at", "desc")
        .orderBy("i.id")
        .execute();
      return rows.map((row) => ({
        id: row.id,
        orgId: row.org_id,
        email: row.email,
        role: row.role as OrgRole,
        invitedByUserId: row.invited_by_user_id,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        invitedBy: row.inviter_email === null ? null : { id: row.invited_by_user_id, email: row.inviter_email, name: row.inviter_name },
      }));
    },
    async findLiveByTokenHash(tokenHash, now) {
      const row = await db.selectFrom("org_invitations").selectAll().where("token_hash", "=", tokenHash).where("expires_at", ">", now).executeTakeFirst();
      return row ? toInvitation(row) : null;
    },
    async consume(tokenHash, now) {
      const row = await db.deleteFrom("org_invitations").where("token_hash", "=", tokenHash).where("expires_at", ">", now).returningAll().executeTakeFirst();
      return row ? toInvitation(row) : null;
    },
    async delete(orgId, invitationId) {
      return affected(await db.deleteFrom("org_invitations").where("org_id", "=", orgId).where("id", "=", invitationId).executeTakeFirst()) === 1;
    },
    async deleteExpired(now) {
      return affected(await db.deleteFrom("org_invitations").where("expires_at", "<=", now).executeTakeFirst());
    },
  };
}
