import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { throttled } from "../errors.ts";

export interface ThrottleSettings {
  /** Failed logins allowed per account within the window. */
  failuresPerAccount: number;
  /** Login attempts (successful or not) allowed per client IP within the window. */
  attemptsPerIp: number;
  windowSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { failuresPerAccount: 10, attemptsPerIp: 50, windowSeconds: 900 };

/**
 * Login throttling, per account (failures only, cleared by a success) and per IP (every attempt).
 * Counters live in process memory: behind several instances, each instance counts on its own.
 */
export class LoginThrottle {
  private readonly byAccount: RateLimiterMemory;
  private readonly byIp: RateLimiterMemory;

  constructor(settings: ThrottleSettings = DEFAULT_THROTTLE) {
    this.byAccount = new RateLimiterMemory({ points: settings.failuresPerAccount, duration: settings.windowSeconds });
    this.byIp = new RateLimiterMemory({ points: settings.attemptsPerIp, duration: settings.windowSeconds });
  }

  /** Throws TOO_MANY_REQUESTS before any password work when either budget is spent. */
  async beforeAttempt(account: string, ip: string): Promise<void> {
    const accountState = await this.byAccount.get(account);
    if (accountState && accountState.remainingPoints <= 0) throw throttled(retryAfter(accountState));
    try {
      await this.byIp.consume(ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw throttled(retryAfter(error));
      throw error;
    }
  }

  async recordFailure(account: string): Promise<void> {
    await this.byAccount.penalty(account, 1);
  }

  async recordSuccess(account: string): Promise<void> {
    await this.byAccount.delete(account);
  }
}

function retryAfter(state: RateLimiterRes): number {
  return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
}
