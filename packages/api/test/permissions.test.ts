import { describe, expect, it } from "vitest";
import {
  BUILT_IN_ROLE_KEYS,
  BUILT_IN_ROLES,
  type BuiltInRoleKey,
  CONFIGURATION_RESOURCES,
  isBuiltInRoleKey,
  PERMISSIONS,
  permissionsOfRole,
  RECORD_RESOURCES,
  RECORD_VERBS,
} from "../src/permissions.ts";

const known = new Set<string>(PERMISSIONS);

describe("built-in roles", () => {
  it("are exactly the documented keys", () => {
    expect(Object.keys(BUILT_IN_ROLES).sort()).toEqual([...BUILT_IN_ROLE_KEYS].sort());
  });

  it("has no duplicate permission names", () => {
    expect(new Set(PERMISSIONS).size).toBe(PERMISSIONS.length);
    for (const permission of PERMISSIONS) expect(permission).toMatch(/^[a-zA-Z]+:[a-zA-Z]+$/);
  });

  it.each(BUILT_IN_ROLE_KEYS)("%s grants only known permissions, each once", (key) => {
    const { permissions } = BUILT_IN_ROLES[key];
    expect(permissions.length).toBeGreaterThan(0);
    for (const permission of permissions) expect(known.has(permission), permission).toBe(true);
    expect(new Set(permissions).size).toBe(permissions.length);
  });

  const chain: BuiltInRoleKey[] = ["owner", "admin", "manager", "agent", "viewer"];
  it.each(chain.slice(0, -1).map((key, i) => [key, chain[i + 1] as BuiltInRoleKey]))(
    "%s can do everything %s can",
    (upper, lower) => {
      const granted = new Set(BUILT_IN_ROLES[upper].permissions);
      const missing = BUILT_IN_ROLES[lower].permissions.filter((permission) => !granted.has(permission));
      expect(missing).toEqual([]);
    },
  );

  it("gives the owner every permission, so no gated procedure is out of reach of every built-in role", () => {
    expect([...BUILT_IN_ROLES.owner.permissions].sort()).toEqual([...PERMISSIONS].sort());
  });

  it("lets a viewer only read", () => {
    for (const permission of BUILT_IN_ROLES.viewer.permissions) expect(permission).toMatch(/:read$/);
  });
});

describe("permissionsOfRole", () => {
  it("reads a built-in role's permissions from the matrix, not from what is stored", () => {
    const role = { key: "viewer", isBuiltIn: true, permissions: ["members:manage"] };
    expect(permissionsOfRole(role)).toEqual(new Set(BUILT_IN_ROLES.viewer.permissions));
  });

  it("uses a custom role's stored permissions, dropping unknown ones", () => {
    const role = { key: "owner", isBuiltIn: false, permissions: ["leads:read", "leads:fly", "members:manage"] };
    expect(permissionsOfRole(role)).toEqual(new Set(["leads:read", "members:manage"]));
  });

  it("knows which keys are built in", () => {
    expect(isBuiltInRoleKey("admin")).toBe(true);
    expect(isBuiltInRoleKey("superuser")).toBe(false);
  });
});

describe("roles grant by verb", () => {
  const recordOf = (key: BuiltInRoleKey, resource: string) =>
    BUILT_IN_ROLES[key].permissions.filter((p) => p.startsWith(`${resource}:`)).map((p) => p.slice(resource.length + 1));

  it("every record resource gets the same verbs from each built-in role; configuration is read-only below admin", () => {
    for (const key of BUILT_IN_ROLE_KEYS) {
      const administers = BUILT_IN_ROLES[key].permissions.includes("roles:manage");
      for (const resource of RECORD_RESOURCES) {
        const expected = recordOf(key, "leads").filter(
          (verb) => administers || verb === "read" || !CONFIGURATION_RESOURCES.includes(resource),
        );
        expect(recordOf(key, resource), `${key} on ${resource}`).toEqual(expected);
      }
    }
  });

  it("every record resource has every verb, and the other permissions are the organization's", () => {
    expect(PERMISSIONS).toEqual([
      ...RECORD_RESOURCES.flatMap((resource) => RECORD_VERBS.map((verb) => `${resource}:${verb}`)),
      "audit:read",
      "members:read",
      "members:manage",
      "roles:manage",
      "apiKeys:manage",
      "organization:update",
    ]);
  });

  it.each([
    ["viewer", ["leads:read", "members:read"]],
    ["agent", ["leads:read", "leads:write", "members:read"]],
    [
      "manager",
      ["audit:read", "leads:assign", "leads:delete", "leads:export", "leads:import", "leads:read", "leads:write", "members:read"],
    ],
    [
      "admin",
      [
        "apiKeys:manage",
        "audit:read",
        "leads:assign",
        "leads:delete",
        "leads:export",
        "leads:import",
        "leads:purge",
        "leads:read",
        "leads:write",
        "members:manage",
        "members:read",
        "organization:update",
        "roles:manage",
      ],
    ],
  ] as const)("%s holds exactly these lead and organization permissions", (key, expected) => {
    const othersOf = RECORD_RESOURCES.filter((resource) => resource !== "leads");
    const granted = BUILT_IN_ROLES[key].permissions.filter((p) => !othersOf.some((resource) => p.startsWith(`${resource}:`)));
    expect(granted.sort()).toEqual([...expected]);
  });
});
