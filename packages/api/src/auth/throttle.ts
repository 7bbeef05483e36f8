import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { throttled } from "../errors.ts";

export interface ThrottleSettings {
  /** Failed logins allowed per account within the window. */
  failuresPerAccount: number;
  /** Login attempts (successful or not) allowed per client IP within the window. */
  attemptsPerIp: number;
  /** Sign-ups allowed per client IP within the window (each one costs a password hash, with no credential). */
  signupsPerIp: number;
  windowSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  failuresPerAccount: 10,
  attemptsPerIp: 50,
  signupsPerIp: 20,
  windowSeconds: 900,
};

/**
 * Login throttling, per account (failures only, cleared by a success) and per IP (every attempt),
 * and sign-ups per IP.
 * An attempt takes its point from the account's budget before its password is checked and gives
 * it back only by succeeding, so attempts sent at once cannot all be checked against the same
 * remaining budget. Counters live in process memory: behind several instances, each instance
 * counts on its own.
 */
export class LoginThrottle {
  private readonly byAccount: RateLimiterMemory;
  private readonly byIp: RateLimiterMemory;
  private readonly signupsByIp: RateLimiterMemory;

  constructor(settings: ThrottleSettings = DEFAULT_THROTTLE) {
    this.byAccount = new RateLimiterMemory({ points: settings.failuresPerAccount, duration: settings.windowSeconds });
    this.byIp = new RateLimiterMemory({ points: settings.attemptsPerIp, duration: settings.windowSeconds });
    this.signupsByIp = new RateLimiterMemory({ points: settings.signupsPerIp, duration: settings.windowSeconds });
  }

  /** Throws TOO_MANY_REQUESTS before any password work when the IP's sign-up budget is spent. */
  async beforeSignup(ip: string): Promise<void> {
    await consume(this.signupsByIp, ip);
  }

  /**
   * Reserves the attempt from both budgets, or throws TOO_MANY_REQUESTS before any password work
   * when either is spent. The account's point stays spent (a failure) unless recordSuccess follows.
   */
  async beforeAttempt(account: string, ip: string): Promise<void> {
    await consume(this.byAccount, account);
    try {
      await consume(this.byIp, ip);
    } catch (error) {
      // Refused by the IP's budget: no password is checked, so the account has not failed.
      await this.byAccount.reward(account, 1);
      throw error;
    }
  }

  async recordSuccess(account: string): Promise<void> {
    await this.byAccount.delete(account);
  }
}

async function consume(limiter: RateLimiterMemory, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw throttled(retryAfter(error));
    throw error;
  }
}

function retryAfter(state: RateLimiterRes): number {
  return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
}
