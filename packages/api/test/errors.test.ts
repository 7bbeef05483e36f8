import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  badRequest,
  conflict,
  describeIssues,
  errorDetailsOf,
  issuePath,
  notFound,
  retryAfterSecondsOf,
  summarizeIssues,
  translateDatabaseError,
} from "../src/errors.ts";

const contactInput = z.strictObject({
  email: z.email({ error: "must be a valid email address" }),
  name: z.string().min(1, { error: "must not be empty" }),
  address: z.strictObject({ city: z.string() }).optional(),
  phones: z.array(z.strictObject({ number: z.string().min(3, { error: "too short" }) })).optional(),
});

function issuesOf(input: unknown) {
  const result = contactInput.safeParse(input);
  if (result.success) throw new Error("expected a validation error");
  return result.error.issues;
}

describe("describeIssues / summarizeIssues", () => {
  it("names every field, including nested ones and unknown keys, from a real strictObject error", () => {
    const issues = issuesOf({
      email: "nope",
      name: "",
      role: "admin",
      organizationId: "x",
      address: { city: 5, zip: "1000" },
      phones: [{ number: "123" }, { number: "1" }],
    });
    const described = describeIssues(issues);
    expect(described).toHaveLength(6);
    expect(described).toEqual(
      expect.arrayContaining([
        { path: "email", message: "must be a valid email address" },
        { path: "name", message: "must not be empty" },
        { path: "(input)", message: "unknown field(s): role, organizationId" },
        { path: "address.city", message: expect.stringMatching(/expected string, received number/) },
        { path: "address", message: "unknown field(s): address.zip" },
        { path: "phones.1.number", message: "too short" },
      ]),
    );

    const summary = summarizeIssues(issues);
    expect(summary.split("; ")).toHaveLength(6);
    expect(summary).toContain("email: must be a valid email address");
    expect(summary).toContain("phones.1.number: too short");
    expect(summary).toContain("address: unknown field(s): address.zip");
    // Top-level problems are not prefixed with a made-up path.
    expect(summary).toContain("; unknown field(s): role, organizationId");
    expect(summary).not.toContain("(input)");
  });

  it("describes a wrong top-level type without a field name", () => {
    const issues = issuesOf("a string");
    expect(describeIssues(issues)).toEqual([{ path: "(input)", message: expect.stringMatching(/expected object/) }]);
    expect(summarizeIssues(issues)).toMatch(/^Invalid input: expected object/);
  });

  it("joins paths with dots", () => {
    expect(issuePath(["a", 0, "b"])).toBe("a.0.b");
    expect(issuePath([])).toBe("(input)");
  });
});

describe("error helpers", () => {
  it("badRequest names the field in a BAD_REQUEST", () => {
    const error = badRequest("cursor", "is wrong");
    expect(error).toBeInstanceOf(TRPCError);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("cursor: is wrong");
  });

  it("badRequest carries the field as an issue", () => {
    expect(errorDetailsOf(badRequest("cursor", "is wrong"))).toEqual({ issues: [{ path: "cursor", message: "is wrong" }] });
    expect(errorDetailsOf(badRequest("address.city", "is unknown"))).toEqual({
      issues: [{ path: "address.city", message: "is unknown" }],
    });
  });

  it("conflict names the field, and the existing record when given", () => {
    const error = conflict("email", "ada@example.com is taken", { existingId: "0193" });
    expect(error).toMatchObject({ code: "CONFLICT", message: "email: ada@example.com is taken" });
    expect(errorDetailsOf(error)).toEqual({
      issues: [{ path: "email", message: "ada@example.com is taken" }],
      existingId: "0193",
    });
    const state = conflict("(input)", "This role is still held");
    expect(state.message).toBe("This role is still held");
    expect(errorDetailsOf(state)).toEqual({ issues: [{ path: "(input)", message: "This role is still held" }] });
  });

  it("the deprecated one-argument conflict takes a leading field name as the issue's path, and keeps the message", () => {
    const named = conflict("email: lead 1 already has the email a@b.c");
    expect(named.message).toBe("email: lead 1 already has the email a@b.c");
    expect(errorDetailsOf(named)).toEqual({ issues: [{ path: "email", message: "lead 1 already has the email a@b.c" }] });
    const whole = conflict("the file is gone: upload it again");
    expect(errorDetailsOf(whole)).toEqual({ issues: [{ path: "(input)", message: "the file is gone: upload it again" }] });
  });

  it("a unique violation names its fields in issues, never organizationId, and keeps its message", () => {
    const known = (meta: object) =>
      Object.assign(new Error("prisma"), { name: "PrismaClientKnownRequestError", code: "P2002", meta });
    const scoped = translateDatabaseError(known({ target: ["organizationId", "key"] }));
    expect(scoped).toMatchObject({ code: "CONFLICT", message: "Another record already uses this organizationId, key" });
    expect(scoped && errorDetailsOf(scoped)).toEqual({
      issues: [{ path: "key", message: "another record already uses this value" }],
    });
    const dangling = translateDatabaseError(Object.assign(known({}), { code: "P2003" }));
    expect(dangling && errorDetailsOf(dangling)).toEqual({
      issues: [{ path: "(input)", message: "A referenced record does not exist" }],
    });
    const unnamed = translateDatabaseError(known({}));
    expect(unnamed && errorDetailsOf(unnamed)).toEqual({
      issues: [{ path: "(input)", message: "Another record already uses a value that must be unique" }],
    });
  });

  it("notFound reads the same for every cause", () => {
    expect(notFound("Lead")).toMatchObject({ code: "NOT_FOUND", message: "Lead not found" });
  });

  it("translates the Prisma errors that are the caller's fault, and the database's faults, and nothing else", () => {
    const known = (code: string, meta?: object, message = "prisma") =>
      Object.assign(new Error(message), { name: "PrismaClientKnownRequestError", code, meta });
    expect(translateDatabaseError(known("P2002", { target: ["email"] }))).toMatchObject({
      code: "CONFLICT",
      message: "Another record already uses this email",
    });
    expect(
      translateDatabaseError(
        known("P2002", { driverAdapterError: { cause: { constraint: { fields: ["organizationId", "email"] } } } }),
      ),
    ).toMatchObject({ code: "CONFLICT", message: "Another record already uses this organizationId, email" });
    expect(translateDatabaseError(known("P2025", { modelName: "Lead" }))).toMatchObject({
      code: "NOT_FOUND",
      message: "Lead not found",
    });
    expect(translateDatabaseError(known("P2003"))).toMatchObject({ code: "BAD_REQUEST" });
    expect(translateDatabaseError(known("P2000"))).toMatchObject({ code: "BAD_REQUEST" });
    const unreachable = translateDatabaseError(known("P1001"));
    expect(unreachable).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      message: "The database is unavailable (cannot reach the database server); retry in 2 s",
    });
    expect(unreachable && retryAfterSecondsOf(unreachable)).toBe(2);
    const busy = translateDatabaseError(known("P2028", undefined, "Unable to start a transaction in the given time."));
    expect(busy).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      message: expect.stringMatching(/^The database is busy .*retry in 1 s$/),
    });
    expect(busy && retryAfterSecondsOf(busy)).toBe(1);
    expect(
      translateDatabaseError(known("P2010", { driverAdapterError: { cause: { kind: "postgres", code: "42601" } } })),
    ).toBeUndefined();
    expect(translateDatabaseError(new Error("boom"))).toBeUndefined();
    expect(translateDatabaseError(undefined)).toBeUndefined();
  });
});
