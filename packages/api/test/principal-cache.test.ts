import { afterEach, describe, expect, it, vi } from "vitest";
import type { Principal } from "../src/auth/credentials.ts";
import { PrincipalCache } from "../src/auth/principal-cache.ts";

const role = { id: "r", key: "viewer", name: "Viewer", isBuiltIn: true, permissions: [] };

function principal(apiKeyId: string): Principal {
  return { kind: "apiKey", apiKeyId, organizationId: "org", role };
}

/** A loader that counts its calls and answers `principal(name + call number)`. */
function counting(name: string, validUntil?: number) {
  const loader = vi.fn(async () => ({ principal: principal(`${name}${loader.mock.calls.length}`), validUntil }));
  return loader;
}

describe("PrincipalCache", () => {
  afterEach(() => vi.useRealTimers());

  it("loads a credential once within the TTL, and again after it", async () => {
    vi.useFakeTimers();
    const cache = new PrincipalCache(1000);
    const load = counting("a");
    expect(await cache.resolve("token-a", load)).toEqual(principal("a1"));
    vi.advanceTimersByTime(999);
    expect(await cache.resolve("token-a", load)).toEqual(principal("a1"));
    expect(load).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(await cache.resolve("token-a", load)).toEqual(principal("a2"));
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("keeps each credential apart", async () => {
    const cache = new PrincipalCache(60_000);
    expect(await cache.resolve("token-a", counting("a"))).toEqual(principal("a1"));
    expect(await cache.resolve("token-b", counting("b"))).toEqual(principal("b1"));
    expect(await cache.resolve("token-a", counting("never"))).toEqual(principal("a1"));
  });

  it("never keeps a principal past the credential's own expiry", async () => {
    vi.useFakeTimers();
    const cache = new PrincipalCache(60_000);
    const load = counting("a", Date.now() + 100);
    await cache.resolve("token-a", load);
    vi.advanceTimersByTime(100);
    await cache.resolve("token-a", load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("forgets everything on invalidateAll, and does not store a lookup that started before it", async () => {
    const cache = new PrincipalCache(60_000);
    await cache.resolve("token-a", counting("a"));
    cache.invalidateAll();
    const reload = counting("fresh");
    expect(await cache.resolve("token-a", reload)).toEqual(principal("fresh1"));

    // A revocation lands while a lookup is reading the old state: that old state must not be cached.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stale = cache.resolve("token-b", async () => {
      await gate;
      return { principal: principal("stale") };
    });
    cache.invalidateAll();
    release();
    expect(await stale).toEqual(principal("stale"));
    expect(await cache.resolve("token-b", counting("current"))).toEqual(principal("current1"));
  });

  it("does not cache failures", async () => {
    const cache = new PrincipalCache(60_000);
    await expect(cache.resolve("token-a", () => Promise.reject(new Error("revoked")))).rejects.toThrow("revoked");
    expect(await cache.resolve("token-a", counting("a"))).toEqual(principal("a1"));
  });

  it("drops the oldest entry when full", async () => {
    const cache = new PrincipalCache(60_000, 2);
    await cache.resolve("token-a", counting("a"));
    await cache.resolve("token-b", counting("b"));
    await cache.resolve("token-c", counting("c"));
    const reloadA = counting("a-again");
    await cache.resolve("token-a", reloadA);
    expect(reloadA).toHaveBeenCalledTimes(1);
    const keptC = counting("never");
    expect(await cache.resolve("token-c", keptC)).toEqual(principal("c1"));
    expect(keptC).not.toHaveBeenCalled();
  });

  it("with a TTL of 0 loads every time", async () => {
    const cache = new PrincipalCache(0);
    const load = counting("a");
    await cache.resolve("token-a", load);
    await cache.resolve("token-a", load);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
