import { createHash, randomBytes } from "node:crypto";
import { BUILT_IN_ROLES } from "@crm/api";
import type { SessionTokens } from "@crm-api/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "./support/failures.ts";
import { PASSWORD, startTestServer, type TestServer, type TestUser } from "./support/server.ts";
import { decodeClaims, forgeToken, nowInSeconds } from "./support/tokens.ts";

const JWT_SECRET = randomBytes(32).toString("hex");
const NEW_PASSWORD = "a brand new passphrase";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ JWT_SECRET });
});
afterAll(() => server?.close());

let emails = 0;
function uniqueEmail(name: string) {
  return `${name}-${++emails}-${randomBytes(3).toString("hex")}@test.dev`;
}

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");

interface TokenPairBody {
  tokenType: "Bearer";
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Logs in over REST: a session of its own, with tokens the test holds directly. */
async function login(email: string, password = PASSWORD): Promise<TokenPairBody> {
  const response = await server.rest<TokenPairBody>("POST", "/auth/login", { body: { email, password } });
  expect(response.status).toBe(200);
  return response.body;
}

const refresh = (refreshToken: string) => server.rest("POST", "/auth/refresh", { body: { refreshToken } });
const me = (token: string) => server.rest("GET", "/auth/me", { token });

async function roleId(owner: TestUser, key: string): Promise<string> {
  const role = (await owner.client.roles.list.query()).items.find((r) => r.key === key);
  if (!role) throw new Error(`no role ${key}`);
  return role.id;
}

describe("signup, login and me", () => {
  it("signs up, logs in and reads me through the typed client", async () => {
    const email = uniqueEmail("ada");
    const signedUp = await server
      .client()
      .$session.signup({ email: email.toUpperCase(), password: PASSWORD, name: "Ada", organizationName: "Engines" });
    expect(signedUp).toMatchObject({
      tokenType: "Bearer",
      expiresIn: 900,
      user: { email, name: "Ada", isActive: true },
      organization: { name: "Engines" },
    });
    expect(signedUp.organization.slug).toMatch(/^engines-[0-9a-f]{6}$/);

    const client = server.client();
    const loggedIn = await client.$session.login({ email, password: PASSWORD });
    expect(loggedIn.user).toEqual(signedUp.user);
    expect(loggedIn.organization).toEqual(signedUp.organization);

    const profile = await client.auth.me.query();
    const ownerRole = { id: profile.role.id, key: "owner", name: "Owner" };
    expect(profile).toEqual({
      user: signedUp.user,
      activeOrganization: signedUp.organization,
      role: ownerRole,
      permissions: [...BUILT_IN_ROLES.owner.permissions].sort(),
      memberships: [{ ...signedUp.organization, role: ownerRole, membershipStatus: "active" }],
    });

    const stored = await server.prisma.user.findUniqueOrThrow({ where: { email } });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await server.prisma.session.count({ where: { userId: stored.id, revokedAt: null } })).toBe(2);
  });

  it("signs up, logs in and reads me over REST", async () => {
    const email = uniqueEmail("grace");
    const signedUp = await server.rest("POST", "/auth/signup", { body: { email, password: PASSWORD, name: "Grace" } });
    expect(signedUp.status).toBe(200);
    expect(signedUp.body).toMatchObject({
      tokenType: "Bearer",
      user: { email, name: "Grace", isActive: true },
      organization: { name: "Grace's organization" },
    });

    const tokens = await login(email);
    expect(tokens.tokenType).toBe("Bearer");
    const profile = await me(tokens.accessToken);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({
      user: { id: signedUp.body.user.id, email, name: "Grace" },
      activeOrganization: { id: signedUp.body.organization.id, name: "Grace's organization" },
      role: { key: "owner" },
      permissions: [...BUILT_IN_ROLES.owner.permissions].sort(),
    });
    expect(profile.body.memberships).toEqual([
      { ...signedUp.body.organization, role: profile.body.role, membershipStatus: "active" },
    ]);
  });

  it("refuses a second account with the same email, in any letter case: CONFLICT over tRPC, 409 over REST", async () => {
    const user = await server.signup("Dup");
    const again = await failure(server.client().$session.signup({ email: user.email, password: PASSWORD, name: "Again" }));
    expect(again).toEqual({ code: "CONFLICT", httpStatus: 409, message: "email: an account with this email already exists" });

    const overRest = await server.rest("POST", "/auth/signup", {
      body: { email: user.email.toUpperCase(), password: PASSWORD, name: "Again" },
    });
    expect(overRest.status).toBe(409);
    expect(overRest.body).toEqual({
      code: "CONFLICT",
      message: "email: an account with this email already exists",
      issues: [{ path: "email", message: "an account with this email already exists" }],
      requestId: overRest.headers.get("x-request-id"),
    });
    expect(await server.prisma.user.count({ where: { email: user.email } })).toBe(1);
    expect(await server.prisma.organization.count({ where: { name: "Again's organization" } })).toBe(0);
  });

  it("lets only one of two concurrent signups with the same email through; the other is a CONFLICT, not a 500", async () => {
    const email = uniqueEmail("racer");
    const results = await Promise.allSettled(
      ["One", "Two"].map((name) => server.client().$session.signup({ email, password: PASSWORD, name })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected");
    expect(await failure(Promise.reject(rejected?.reason))).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
    expect(await server.prisma.user.count({ where: { email } })).toBe(1);
  });

  it("answers a wrong password exactly like an unknown email: 401 'Email or password is incorrect'", async () => {
    const user = await server.signup("Careful");
    const wrongPassword = await failure(server.client().$session.login({ email: user.email, password: "not the password" }));
    const unknownEmail = await failure(server.client().$session.login({ email: uniqueEmail("nobody"), password: PASSWORD }));
    expect(wrongPassword).toEqual({ code: "UNAUTHORIZED", httpStatus: 401, message: "Email or password is incorrect" });
    expect(unknownEmail).toEqual(wrongPassword);

    for (const body of [
      { email: user.email, password: "not the password" },
      { email: uniqueEmail("nobody"), password: PASSWORD },
    ]) {
      const response = await server.rest("POST", "/auth/login", { body });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        code: "UNAUTHORIZED",
        message: "Email or password is incorrect",
        requestId: response.headers.get("x-request-id"),
      });
    }
  });
});

describe("refresh tokens", () => {
  it("rotates the refresh token: the new pair works and the old refresh token is refused", async () => {
    const user = await server.signup("Rotor");
    const first = await login(user.email);

    const rotated = await refresh(first.refreshToken);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
    expect(decodeClaims(rotated.body.accessToken).sid).toBe(decodeClaims(first.accessToken).sid);
    expect((await me(rotated.body.accessToken)).status).toBe(200);

    const old = await refresh(first.refreshToken);
    expect(old.status).toBe(401);
    expect(old.body.message).toBe("Refresh token was already used; the session has been revoked for safety");
  });

  it("reusing a rotated refresh token revokes the whole session: its newest refresh and access tokens stop working", async () => {
    const user = await server.signup("Leaky");
    const first = await login(user.email);
    const otherSession = await login(user.email);
    const second = (await refresh(first.refreshToken)).body as TokenPairBody;

    expect((await refresh(first.refreshToken)).status).toBe(401);

    const newest = await refresh(second.refreshToken);
    expect(newest.status).toBe(401);
    expect(newest.body).toMatchObject({ code: "UNAUTHORIZED", message: "Session has been revoked; log in again" });
    const access = await me(second.accessToken);
    expect(access.status).toBe(401);
    expect(access.body).toMatchObject({ code: "UNAUTHORIZED", message: "Session has been revoked; log in again" });

    const session = await server.prisma.session.findUniqueOrThrow({ where: { id: String(decodeClaims(first.accessToken).sid) } });
    expect(session.revokedReason).toBe("refresh_token_reuse");
    // Only the leaked family is revoked: the user's other session goes on.
    expect((await me(otherSession.accessToken)).status).toBe(200);
  });

  it("refuses a refresh token it never issued with 401", async () => {
    const response = await refresh(randomBytes(32).toString("base64url"));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: "UNAUTHORIZED", message: "Refresh token is not valid" });
  });
});

describe("logout", () => {
  it("revokes the session: its access token then gets 401 and its refresh token is refused", async () => {
    const user = await server.signup("Leaving");
    const client = server.client();
    await client.$session.login({ email: user.email, password: PASSWORD });
    const tokens = { ...client.$session.tokens } as SessionTokens;

    await client.$session.logout();
    expect(client.$session.tokens).toBeUndefined();

    const access = await me(tokens.accessToken);
    expect(access.status).toBe(401);
    expect(access.body.message).toBe("Session has been revoked; log in again");
    const refreshed = await refresh(tokens.refreshToken ?? "");
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.message).toBe("Session has been revoked; log in again");

    // The sign-up session of the same user is another session and stays signed in.
    expect((await user.client.auth.me.query()).user.id).toBe(user.userId);
  });

  it("works over REST too", async () => {
    const user = await server.signup("RestLeaving");
    const tokens = await login(user.email);
    const response = await server.rest("POST", "/auth/logout", { token: tokens.accessToken, body: {} });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
    expect((await me(tokens.accessToken)).status).toBe(401);
    const session = await server.prisma.session.findUniqueOrThrow({
      where: { id: String(decodeClaims(tokens.accessToken).sid) },
    });
    expect(session.revokedReason).toBe("logout");
  });
});

describe("change password", () => {
  it("refuses a wrong current password with 400 naming currentPassword, and changes nothing", async () => {
    const user = await server.signup("Forgetful");
    const typed = await failure(
      user.client.auth.changePassword.mutate({ currentPassword: "not the password", newPassword: NEW_PASSWORD }),
    );
    expect(typed).toEqual({ code: "BAD_REQUEST", httpStatus: 400, message: "currentPassword: is incorrect" });

    const overRest = await server.rest("POST", "/auth/change-password", {
      token: user.token(),
      body: { currentPassword: "not the password", newPassword: NEW_PASSWORD },
    });
    expect(overRest.status).toBe(400);
    expect(overRest.body).toMatchObject({ code: "BAD_REQUEST", message: "currentPassword: is incorrect" });

    await login(user.email, PASSWORD);
    expect((await server.rest("POST", "/auth/login", { body: { email: user.email, password: NEW_PASSWORD } })).status).toBe(401);
  });

  it("refuses a new password that is too short with 400 naming newPassword", async () => {
    const user = await server.signup("Lazy");
    const typed = await failure(user.client.auth.changePassword.mutate({ currentPassword: PASSWORD, newPassword: "short" }));
    expect(typed).toEqual({ code: "BAD_REQUEST", httpStatus: 400, message: "newPassword: must be at least 10 characters" });
  });

  it("signs out every other session of the user and keeps the current one", async () => {
    const user = await server.signup("Rotating");
    const other = await login(user.email);

    expect(await user.client.auth.changePassword.mutate({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).toEqual({
      ok: true,
    });

    expect((await user.client.auth.me.query()).user.id).toBe(user.userId);
    const otherAccess = await me(other.accessToken);
    expect(otherAccess.status).toBe(401);
    expect(otherAccess.body.message).toBe("Session has been revoked; log in again");
    expect((await refresh(other.refreshToken)).status).toBe(401);
    expect((await refresh(user.client.$session.tokens?.refreshToken ?? "")).status).toBe(200);

    expect((await server.rest("POST", "/auth/login", { body: { email: user.email, password: PASSWORD } })).status).toBe(401);
    await login(user.email, NEW_PASSWORD);

    const sessions = await server.prisma.session.findMany({ where: { userId: user.userId }, orderBy: { createdAt: "asc" } });
    expect(sessions.map((s) => s.revokedReason)).toEqual([null, "password_changed", null]);
  });
});

describe("login throttle", () => {
  let throttled: TestServer;

  beforeAll(async () => {
    // Trusting X-Forwarded-For lets one test stand for several client IPs.
    throttled = await startTestServer({
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "3",
      LOGIN_MAX_ATTEMPTS_PER_IP: "5",
      TRUST_PROXY: "true",
    });
  });
  afterAll(() => throttled?.close());

  const attempt = (email: string, password: string, ip: string) =>
    throttled.rest("POST", "/auth/login", { body: { email, password }, headers: { "x-forwarded-for": ip } });

  function expectThrottled(response: { status: number; body: any; headers: Headers }) {
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(response.body).toEqual({
      code: "TOO_MANY_REQUESTS",
      message: `Too many attempts; retry in ${retryAfter} s`,
      requestId: response.headers.get("x-request-id"),
    });
  }

  it("after 3 failed logins an account answers 429 with Retry-After, even with the right password and from another IP", async () => {
    const user = await throttled.signup("Target");
    for (let i = 0; i < 3; i++) expect((await attempt(user.email, "not the password", "198.51.100.1")).status).toBe(401);

    expectThrottled(await attempt(user.email, PASSWORD, "198.51.100.2"));

    const typed = await failure(
      throttled.client({ headers: { "x-forwarded-for": "198.51.100.3" } }).$session.login({
        email: user.email.toUpperCase(),
        password: PASSWORD,
      }),
    );
    expect(typed).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429 });

    const overTrpc = await fetch(`${throttled.url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "198.51.100.4" },
      body: JSON.stringify({ json: { email: user.email, password: PASSWORD } }),
    });
    expect(overTrpc.status).toBe(429);
    expect(Number(overTrpc.headers.get("retry-after"))).toBeGreaterThan(0);

    // Other accounts, even from the IP that made the failures, are not affected.
    const bystander = await throttled.signup("Bystander");
    expect((await attempt(bystander.email, PASSWORD, "198.51.100.1")).status).toBe(200);
  });

  it("a successful login clears the account's failures", async () => {
    const user = await throttled.signup("Clumsy");
    for (let i = 0; i < 2; i++) expect((await attempt(user.email, "not the password", "198.51.100.10")).status).toBe(401);
    expect((await attempt(user.email, PASSWORD, "198.51.100.11")).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await attempt(user.email, "not the password", "198.51.100.12")).status).toBe(401);
    expect((await attempt(user.email, PASSWORD, "198.51.100.13")).status).toBe(200);
  });

  it("after 5 attempts from one IP, whatever their outcome, that IP gets 429 with Retry-After; other IPs still log in", async () => {
    const [a, b] = [await throttled.signup("IpA"), await throttled.signup("IpB")];
    const ip = "203.0.113.7";
    const outcomes = [
      await attempt(a.email, PASSWORD, ip),
      await attempt(b.email, "not the password", ip),
      await attempt(a.email, PASSWORD, ip),
      await attempt(uniqueEmail("ghost"), PASSWORD, ip),
      await attempt(b.email, PASSWORD, ip),
    ];
    expect(outcomes.map((r) => r.status)).toEqual([200, 401, 200, 401, 200]);

    expectThrottled(await attempt(a.email, PASSWORD, ip));
    expect((await attempt(a.email, PASSWORD, "203.0.113.8")).status).toBe(200);
  });
});

describe("sign-up throttle", () => {
  let throttled: TestServer;

  beforeAll(async () => {
    throttled = await startTestServer({ SIGNUP_MAX_PER_IP: "2", TRUST_PROXY: "true" });
  });
  afterAll(() => throttled?.close());

  const signup = (email: string, ip: string) =>
    throttled.rest("POST", "/auth/signup", {
      body: { email, password: PASSWORD, name: "Signer" },
      headers: { "x-forwarded-for": ip },
    });

  it("past SIGNUP_MAX_PER_IP sign-ups from one IP answers 429 with Retry-After and creates nobody; other IPs still sign up", async () => {
    const ip = "192.0.2.44";
    expect((await signup(uniqueEmail("first"), ip)).status).toBe(200);
    expect((await signup(uniqueEmail("second"), ip)).status).toBe(200);

    const refusedEmail = uniqueEmail("third");
    const refused = await signup(refusedEmail, ip);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ code: "TOO_MANY_REQUESTS", requestId: expect.any(String) });
    expect(await throttled.prisma.user.count({ where: { email: refusedEmail } })).toBe(0);

    expect((await signup(uniqueEmail("elsewhere"), "192.0.2.45")).status).toBe(200);
  });
});

describe("login throttle under concurrent attempts", () => {
  // Long enough for the burst to end inside one window on a busy machine, short enough to wait out.
  const WINDOW_SECONDS = 15;
  let throttled: TestServer;

  beforeAll(async () => {
    throttled = await startTestServer({
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "10",
      LOGIN_THROTTLE_WINDOW_SECONDS: String(WINDOW_SECONDS),
    });
  });
  afterAll(() => throttled?.close());

  const attempt = (email: string, password: string) => throttled.rest("POST", "/auth/login", { body: { email, password } });

  it("50 wrong passwords sent at once: at most 10 are checked (401), the rest are 429 with Retry-After; then the right one waits out the window", async () => {
    const user = await throttled.signup("Swarmed");
    const responses = await Promise.all(Array.from({ length: 50 }, () => attempt(user.email, "not the password")));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(response.body).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    }

    const refused = await attempt(user.email, PASSWORD);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect((await attempt(user.email, PASSWORD)).status).toBe(200);
  }, 60_000);

  it("right passwords sent at once all log in while the budget lasts, and leave it whole", async () => {
    const user = await throttled.signup("Busy");
    const responses = await Promise.all(Array.from({ length: 5 }, () => attempt(user.email, PASSWORD)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    const failures = await Promise.all(Array.from({ length: 10 }, () => attempt(user.email, "not the password")));
    expect(failures.map((response) => response.status)).toEqual(Array(10).fill(401));
  });
});

describe("the typed client keeps its session fresh", () => {
  it("refreshes an expired access token before the call and hands the new pair to onTokens", async () => {
    const user = await server.signup("Sleepy");
    const tokens = await login(user.email);
    const expired = forgeToken(
      { ...decodeClaims(tokens.accessToken), iat: nowInSeconds() - 1000, exp: nowInSeconds() - 60 },
      { alg: "HS256", secret: JWT_SECRET },
    );
    expect((await me(expired)).body).toMatchObject({ code: "UNAUTHORIZED", message: "Access token has expired" });

    const received: SessionTokens[] = [];
    const client = server.client({ token: expired, refreshToken: tokens.refreshToken, onTokens: (t) => received.push(t) });
    expect((await client.auth.me.query()).user.id).toBe(user.userId);

    expect(received).toHaveLength(1);
    const [fresh] = received;
    expect(fresh?.refreshToken).toEqual(expect.any(String));
    expect(fresh?.refreshToken).not.toBe(tokens.refreshToken);
    expect(decodeClaims(fresh?.accessToken ?? "").exp).toBeGreaterThan(nowInSeconds());
    expect(client.$session.tokens?.accessToken).toBe(fresh?.accessToken);
    const spent = await server.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: sha256(tokens.refreshToken) } });
    expect(spent.rotatedAt).toBeInstanceOf(Date);
  });

  it("refreshes and retries once when the server refuses an access token that looked valid", async () => {
    const user = await server.signup("Unlucky");
    const tokens = await login(user.email);
    const forged = forgeToken(decodeClaims(tokens.accessToken), { alg: "HS256", secret: "not-the-server-secret".repeat(2) });

    const received: SessionTokens[] = [];
    const client = server.client({ token: forged, refreshToken: tokens.refreshToken, onTokens: (t) => received.push(t) });
    const organizations = await client.organizations.listMine.query();
    expect(organizations.items.map((o) => o.id)).toEqual([user.orgId]);
    expect(received).toHaveLength(1);
    expect(client.$session.tokens?.accessToken).toBe(received[0]?.accessToken);
  });

  it("on a server with the shortest access-token lifetime, refreshes only near expiry (a tenth of the lifetime), not before every call", async () => {
    const shortLived = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: "30" });
    try {
      const received: SessionTokens[] = [];
      const client = shortLived.client({ onTokens: (t) => received.push(t) });
      const session = await client.$session.signup({ email: uniqueEmail("brief"), password: PASSWORD, name: "Brief" });
      expect(session.expiresIn).toBe(30);
      expect((await client.auth.me.query()).user.id).toBe(session.user.id);
      expect((await client.organizations.listMine.query()).items).toHaveLength(1);
      // Only the signup's pair: a 30 s token is refreshed in its last 3 s, which these calls never reach.
      expect(received).toHaveLength(1);
      expect(client.$session.tokens?.accessToken).toBe(session.accessToken);
    } finally {
      await shortLived.close();
    }
  });

  it("without a refresh token, the 401 reaches the caller", async () => {
    const user = await server.signup("NoRefresh");
    const expired = forgeToken({ ...decodeClaims(user.token()), exp: nowInSeconds() - 60 }, { alg: "HS256", secret: JWT_SECRET });
    const client = server.client({ token: expired });
    expect(await failure(client.organizations.listMine.query())).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message: "Access token has expired",
    });
  });
});

describe("API keys", () => {
  it("shows the secret once, at creation; list and byId never show it and the database keeps only its hash", async () => {
    const owner = await server.signup("KeyOwner");
    const created = await owner.client.apiKeys.create.mutate({ name: "Zapier", roleId: await roleId(owner, "agent") });
    expect(created).toMatchObject({ name: "Zapier", role: { key: "agent" }, lastUsedAt: null, expiresAt: null, revokedAt: null });
    expect(created.secret).toMatch(/^crm_[\w-]{43}$/);
    expect(created.prefix).toBe(created.secret.slice(0, 10));

    const { secret, ...visible } = created;
    expect(await owner.client.apiKeys.list.query()).toEqual({ items: [visible] });
    expect(await owner.client.apiKeys.byId.query({ id: created.id })).toEqual(visible);

    const listed = await server.rest("GET", "/api-keys", { token: owner.token() });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(Object.keys(listed.body.items[0]).sort()).toEqual(
      ["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "role"].sort(),
    );
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    const row = await server.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.keyHash).toBe(sha256(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("works as a Bearer credential over REST and in the typed client, with its role's permissions in its organization", async () => {
    const owner = await server.signup("Integrator");
    const { id: keyId, secret } = await owner.client.apiKeys.create.mutate({
      name: "Importer",
      roleId: await roleId(owner, "agent"),
    });

    const created = await server.rest("POST", "/leads", { token: secret, body: { firstName: "Keyed" } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ firstName: "Keyed", createdById: null });
    const listed = await server.rest("GET", "/leads", { token: secret });
    expect(listed.body.items.map((lead: { id: string }) => lead.id)).toEqual([created.body.id]);

    const keyClient = server.client({ apiKey: secret });
    expect((await keyClient.leads.list.query({})).items.map((lead) => lead.id)).toEqual([created.body.id]);
    expect(await owner.client.leads.byId.query({ id: created.body.id })).toMatchObject({ firstName: "Keyed" });
    expect(await failure(keyClient.leads.delete.mutate({ id: created.body.id }))).toEqual({
      code: "FORBIDDEN",
      httpStatus: 403,
      message: "Missing permission leads:delete",
    });
    expect(await failure(keyClient.auth.me.query())).toEqual({
      code: "FORBIDDEN",
      httpStatus: 403,
      message: "This operation needs a user session, not an API key",
    });

    const audit = await server.prisma.auditLog.findFirstOrThrow({ where: { entityId: created.body.id } });
    expect(audit).toMatchObject({ action: "create", actorApiKeyId: keyId, actorUserId: null, organizationId: owner.orgId });
  });

  it("a revoked key gets 401 at once, over REST and in the typed client", async () => {
    const owner = await server.signup("Revoker");
    const key = await owner.client.apiKeys.create.mutate({ name: "Old", roleId: await roleId(owner, "viewer") });
    expect((await server.rest("GET", "/leads", { token: key.secret })).status).toBe(200);

    const revoked = await owner.client.apiKeys.revoke.mutate({ id: key.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);

    const overRest = await server.rest("GET", "/leads", { token: key.secret });
    expect(overRest.status).toBe(401);
    expect(overRest.body).toMatchObject({ code: "UNAUTHORIZED", message: "API key has been revoked" });
    expect(await failure(server.client({ apiKey: key.secret }).leads.list.query({}))).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message: "API key has been revoked",
    });
  });

  it("an expiry must lie in the future, and an expired key gets 401", async () => {
    const owner = await server.signup("Expirer");
    const viewer = await roleId(owner, "viewer");
    expect(
      await failure(owner.client.apiKeys.create.mutate({ name: "Past", roleId: viewer, expiresAt: new Date(Date.now() - 1000) })),
    ).toEqual({ code: "BAD_REQUEST", httpStatus: 400, message: "expiresAt: must be in the future" });

    const key = await owner.client.apiKeys.create.mutate({
      name: "Soon",
      roleId: viewer,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    expect((await server.rest("GET", "/leads", { token: key.secret })).status).toBe(200);
    await server.prisma.apiKey.update({ where: { id: key.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    server.forgetCheckedCredentials();
    const response = await server.rest("GET", "/leads", { token: key.secret });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: "UNAUTHORIZED", message: "API key has expired" });
  });

  it("a key of organization A never sees nor touches organization B", async () => {
    const ownerA = await server.signup("TenantA");
    const ownerB = await server.signup("TenantB");
    const keyA = await ownerA.client.apiKeys.create.mutate({ name: "A", roleId: await roleId(ownerA, "admin") });
    const keyB = await ownerB.client.apiKeys.create.mutate({ name: "B", roleId: await roleId(ownerB, "viewer") });
    const leadA = await ownerA.client.leads.create.mutate({ firstName: "Mine" });
    const leadB = await ownerB.client.leads.create.mutate({ firstName: "Theirs" });
    const clientA = server.client({ apiKey: keyA.secret });

    expect((await clientA.leads.list.query({})).items.map((lead) => lead.id)).toEqual([leadA.id]);
    const missing = { code: "NOT_FOUND", httpStatus: 404, message: "Lead not found" };
    expect(await failure(clientA.leads.byId.query({ id: leadB.id }))).toEqual(missing);
    expect(await failure(clientA.leads.update.mutate({ id: leadB.id, firstName: "Hijacked" }))).toEqual(missing);
    expect(await failure(clientA.leads.delete.mutate({ id: leadB.id }))).toEqual(missing);
    const overRest = await server.rest("GET", `/leads/${leadB.id}`, { token: keyA.secret });
    expect(overRest.status).toBe(404);
    expect(overRest.body).toMatchObject({ code: "NOT_FOUND", message: "Lead not found" });

    expect(await failure(clientA.apiKeys.revoke.mutate({ id: keyB.id }))).toEqual({
      code: "NOT_FOUND",
      httpStatus: 404,
      message: "API key not found",
    });
    expect((await clientA.apiKeys.list.query()).items.map((key) => key.id)).toEqual([keyA.id]);
    expect((await clientA.members.list.query({})).items.map((member) => member.user.id)).toEqual([ownerA.userId]);

    expect(await ownerB.client.leads.byId.query({ id: leadB.id })).toEqual(leadB);
    expect((await server.rest("GET", "/leads", { token: keyB.secret })).status).toBe(200);
  });
});

describe("checked credentials are cached for AUTH_CACHE_TTL_MS", () => {
  it("a change made through the API applies at once: a member deactivated and a role changed right after a cached call", async () => {
    const owner = await server.signup("CacheOwner");
    const agent = await server.member(owner, "agent", "CachedAgent");
    expect((await agent.client.leads.create.mutate({ firstName: "Before" })).firstName).toBe("Before");

    await owner.client.members.update.mutate({ id: agent.membershipId, roleId: await roleId(owner, "viewer") });
    expect(await failure(agent.client.leads.create.mutate({ firstName: "After" }))).toMatchObject({
      code: "FORBIDDEN",
      message: "Missing permission leads:write",
    });

    await owner.client.members.deactivate.mutate({ id: agent.membershipId });
    expect(await failure(agent.client.leads.list.query({}))).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message: "Session has been revoked; log in again",
    });
  });

  it("a change made behind this instance's back (another instance, the database) applies once the TTL has passed", async () => {
    // Long enough that the steps below fit inside it on a loaded machine (a login hashes a password).
    const ttlMs = 3000;
    const cached = await startTestServer({ AUTH_CACHE_TTL_MS: String(ttlMs) });
    try {
      const user = await cached.signup("Elsewhere");
      const key = await user.client.apiKeys.create.mutate({ name: "svc", roleId: await roleId(user, "viewer") });
      const someoneElse = await cached.signup("SomeoneElse");
      expect((await cached.rest("GET", "/leads", { token: user.token() })).status).toBe(200);
      expect((await cached.rest("GET", "/leads", { token: key.secret })).status).toBe(200);
      // Each credential was cached when its check answered; the later one expires last.
      const checkedAt = Date.now();

      const revokedAt = new Date();
      await cached.prisma.session.updateMany({ where: { userId: user.userId }, data: { revokedAt } });
      await cached.prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt } });
      // The trade-off of the cache: for the rest of the TTL this instance still trusts what it checked,
      // and a mutation that only adds a credential (another user's login) does not empty it.
      expect((await cached.rest("POST", "/auth/login", { body: { email: someoneElse.email, password: PASSWORD } })).status).toBe(
        200,
      );
      expect((await cached.rest("GET", "/leads", { token: user.token() })).status).toBe(200);
      expect((await cached.rest("GET", "/leads", { token: key.secret })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, checkedAt + ttlMs + 50 - Date.now()));

      const session = await cached.rest("GET", "/leads", { token: user.token() });
      expect(session.status).toBe(401);
      expect(session.body).toMatchObject({ message: "Session has been revoked; log in again" });
      const apiKey = await cached.rest("GET", "/leads", { token: key.secret });
      expect(apiKey.status).toBe(401);
      expect(apiKey.body).toMatchObject({ message: "API key has been revoked" });
    } finally {
      await cached.close();
    }
  });
});
