/** Table shapes as Kysely sees them. Times are integer milliseconds since the epoch (UTC). */

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  email_verified_at: number | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
  /** 0 or 1; 1 unless the person turned the notice off. */
  notify_new_cli_sessions?: number;
  deletion_due_at?: number | null;
  /** `operator`, or `null`: set only by the operator commands. */
  platform_role?: string | null;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string | null;
  created_by_user_id: string;
  created_at: number;
  updated_at: number;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: string;
  created_at: number;
  updated_at: number;
  last_active_at: number | null;
}

export interface OrgInvitationsTable {
  id: string;
  org_id: string;
  email: string;
  role: string;
  token_hash: string;
  invited_by_user_id: string;
  created_at: number;
  expires_at: number;
}

export interface PasswordResetTokensTable {
  token_hash: string;
  user_id: string;
  attempts: number;
  created_at: number;
  expires_at: number;
}

export interface TotpFactorsTable {
  user_id: string;
  secret_sealed: string;
  confirmed_at: number | null;
  enrollment_expires_at: number | null;
  enrollment_attempts: number;
  last_used_step: number;
  created_at: number;
}

export interface BackupCodesTable {
  user_id: string;
  code_id: string;
  secret_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface LoginChallengesTable {
  id: string;
  token_hash: string;
  user_id: string;
  first_factor: string;
  attempts: number;
  state: string;
  approval_number: string | null;
  approval_requested_at: number | null;
  decided_by_session_id: string | null;
  decided_at: number | null;
  ip: string | null;
  user_agent: string | null;
  created_at: number;
  expires_at: number;
}

export interface DeviceAuthorizationsTable {
  device_code_hash: string;
  user_code_hash: string | null;
  client_id: string;
  session_name: string;
  device_description: string | null;
  requester_ip: string | null;
  state: string;
  user_id: string | null;
  approving_session_id: string | null;
  issued_session_id: string | null;
  interval_ms: number;
  last_polled_at: number | null;
  created_at: number;
  expires_at: number;
  answered_at: number | null;
  consumed_at: number | null;
}

export interface ImpersonationsTable {
  session_id: string;
  impersonator_user_id: string;
  target_user_id: string;
  reason: string;
  started_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  kind: string;
  name: string;
  parent_session_id: string | null;
  /** The OAuth client of a device-grant session; `null` for others. */
  client_id: string | null;
  org_id: string | null;
  impersonator_user_id: string | null;
  /** 0 or 1: integers behave the same on both databases. */
  second_factor_pending: number;
  /** When a first factor was last proven for this session's lineage; `null` for rows made before it was recorded. */
  authenticated_at: number | null;
  /** When a second factor was verified for this session's lineage; `null`: none (and for older rows). */
  mfa_verified_at: number | null;
  ip: string | null;
  /** The address of the latest recorded use; `null` until the first. */
  last_ip: string | null;
  user_agent: string | null;
  created_at: number;
  last_used_at: number;
  idle_timeout_ms: number;
  absolute_expires_at: number;
}

export interface CliHandoffsTable {
  nonce_hash: string;
  state: string;
  user_id: string;
  session_id: string;
  created_at: number;
  expires_at: number;
}

export interface CliPasteCodesTable {
  code_hash: string;
  user_id: string;
  session_id: string;
  created_at: number;
  expires_at: number;
}

/** Every single-use grant (see `auth/grants.ts`); the CLI tables above are kept only for older versions. */
export interface GrantsTable {
  kind: string;
  secret_hash: string;
  state: string;
  user_id: string | null;
  session_id: string | null;
  created_at: number;
  expires_at: number;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  action: string;
  actor_user_id: string | null;
  target: string | null;
  ip: string | null;
  request_id: string | null;
  detail: string | null;
}

export interface EmailCodesTable {
  email: string;
  purpose: string;
  code_hash: string;
  attempts: number;
  created_at: number;
  expires_at: number;
}

export interface RateLimitsTable {
  key: string;
  points: number;
  expire: number | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  org_invitations: OrgInvitationsTable;
  password_reset_tokens: PasswordResetTokensTable;
  totp_factors: TotpFactorsTable;
  backup_codes: BackupCodesTable;
  login_challenges: LoginChallengesTable;
  device_authorizations: DeviceAuthorizationsTable;
  impersonations: ImpersonationsTable;
  cli_handoffs: CliHandoffsTable;
  cli_paste_codes: CliPasteCodesTable;
  grants: GrantsTable;
  audit_events: AuditEventsTable;
  email_codes: EmailCodesTable;
  rate_limits: RateLimitsTable;
}
