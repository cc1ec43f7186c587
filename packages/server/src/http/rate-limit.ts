/**
 * Rate limits on rate-limiter-flexible: in memory on SQLite (one process), in PostgreSQL when
 * the server scales out, so a limit holds across every process. All limiters share one database
 * table. Which limiters exist, and their budgets, is the table of rules in rate-limit-rules.ts.
 */
import type { MiddlewareHandler } from "hono";
import type pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { hashSecret } from "../auth/tokens.js";
import { ApiError } from "../errors.js";
import type { AppEnv } from "./context.js";

export interface RateLimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Spends `points` for `key`. */
  consume(key: string, points?: number): Promise<RateLimitDecision>;
  /** Forgets `key` (for example after a successful sign-in). */
  reset(key: string): Promise<void>;
  /** Whether `key` has spent every point of its window; spends nothing. */
  isBlocked(key: string): Promise<boolean>;
  /** Gives `points` back to `key` (a guess that matched, counted before it was compared). */
  reward(key: string, points?: number): Promise<void>;
}

/** One limiter's resolved rule (see `resolveRateLimitRule`). */
export interface RateLimitRule {
  name: string;
  points: number;
  durationSeconds: number;
  /** When the store fails: let the request through (a flood ceiling) or refuse it (sign-in). */
  failOpen: boolean;
}

const unlimited: RateLimiter = {
  consume: async () => ({ allowed: true, retryAfterSeconds: 0 }),
  reset: async () => {},
  isBlocked: async () => false,
  reward: async () => {},
};

export function createRateLimiter(rule: RateLimitRule, pool: pg.Pool | null): RateLimiter {
  if (rule.points <= 0) return unlimited;
  const options = { keyPrefix: rule.name, points: rule.points, duration: rule.durationSeconds };
  const limiter: RateLimiterAbstract = pool
    ? new RateLimiterPostgres({ ...options, storeClient: pool, storeType: "pool", tableName: "rate_limits", tableCreated: true, clearExpiredByTimeout: false })
    : new RateLimiterMemory(options);
  // Keys are hashed: they fit the store's column whatever their length (an email may have
  // 320 characters), and the table holds no addresses in the clear.
  const storedKey = (key: string) => hashSecret(key);
  return {
    async consume(key, points = 1) {
      try {
        await limiter.consume(storedKey(key), points);
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) };
        }
        if (rule.failOpen) return { allowed: true, retryAfterSeconds: 0 };
        throw outcome;
      }
    },
    async reset(key) {
      await limiter.delete(storedKey(key));
    },
    async reward(key, points = 1) {
      try {
        await limiter.reward(storedKey(key), points);
      } catch (error) {
        // A lost refund only makes the budget stricter.
        if (!rule.failOpen && !(error instanceof RateLimiterRes)) throw error;
      }
    },
    async isBlocked(key) {
      try {
        const state = await limiter.get(storedKey(key));
        return state !== null && state.consumedPoints >= rule.points;
      } catch (error) {
        if (rule.failOpen) return false;
        throw error;
      }
    },
  };
}

export function rateLimitedError(retryAfterSeconds: number): ApiError {
  return new ApiError("rate_limited", undefined, { "Retry-After": String(retryAfterSeconds) });
}

/** Limits by client IP. */
export function limitByIp(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const decision = await limiter.consume(c.get("clientIp") ?? "unknown");
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    await next();
  };
}
