/**
 * Every permission the API checks. A procedure is gated by exactly one of these; roles are sets
 * of them. Record resources follow `<resource>:<verb>`; the other permissions guard the
 * organization itself.
 */
export const RECORD_RESOURCES = [
  "leads",
  "contacts",
  "companies",
  "pipelines",
  "deals",
  "interactions",
  "meetings",
  "campaigns",
  "slaPolicies",
  "tickets",
] as const;
export type RecordResource = (typeof RECORD_RESOURCES)[number];

export const RECORD_VERBS = ["read", "write", "delete", "assign", "import", "export", "purge"] as const;
export type RecordVerb = (typeof RECORD_VERBS)[number];

export type RecordPermission = `${RecordResource}:${RecordVerb}`;

export const ORGANIZATION_PERMISSIONS = [
  "audit:read",
  "members:read",
  "members:manage",
  "roles:manage",
  "apiKeys:manage",
  "organization:update",
] as const;
export type OrganizationPermission = (typeof ORGANIZATION_PERMISSIONS)[number];

export type Permission = RecordPermission | OrganizationPermission;

/**
 * Resources that configure the organization rather than hold its records (pipelines): every role
 * reading records reads them, but their other verbs come only with the grants that administer.
 */
export const CONFIGURATION_RESOURCES: readonly RecordResource[] = ["pipelines", "slaPolicies"];

function recordPermissions(verbs: readonly RecordVerb[], configuration = true): RecordPermission[] {
  return RECORD_RESOURCES.flatMap((resource) =>
    verbs
      .filter((verb) => configuration || verb === "read" || !CONFIGURATION_RESOURCES.includes(resource))
      .map((verb) => `${resource}:${verb}` as const),
  );
}

export const RECORD_PERMISSIONS: readonly RecordPermission[] = recordPermissions(RECORD_VERBS);

export const PERMISSIONS: readonly Permission[] = [...RECORD_PERMISSIONS, ...ORGANIZATION_PERMISSIONS];

export const BUILT_IN_ROLE_KEYS = ["owner", "admin", "manager", "agent", "viewer"] as const;
export type BuiltInRoleKey = (typeof BUILT_IN_ROLE_KEYS)[number];

/** What a built-in role grants: verbs on every record resource, and organization permissions. */
interface RoleGrants {
  verbs: readonly RecordVerb[];
  /** Whether the verbs beyond read extend to the configuration resources. */
  configures?: boolean;
  organization: readonly OrganizationPermission[];
}

const readRecords: RoleGrants = { verbs: ["read"], organization: ["members:read"] };
const writeRecords: RoleGrants = { verbs: [...readRecords.verbs, "write"], organization: readRecords.organization };
const manageRecords: RoleGrants = {
  verbs: [...writeRecords.verbs, "delete", "assign", "import", "export"],
  organization: [...writeRecords.organization, "audit:read"],
};
const administer: RoleGrants = {
  verbs: [...manageRecords.verbs, "purge"],
  configures: true,
  organization: [...manageRecords.organization, "members:manage", "roles:manage", "apiKeys:manage", "organization:update"],
};

const granted = (grants: RoleGrants): Permission[] => [
  ...recordPermissions(grants.verbs, grants.configures ?? false),
  ...grants.organization,
];

/**
 * The permission matrix of the built-in roles (README, "Roles", generated from here by
 * `pnpm docs:permissions`). Built-in roles read their permissions from here, not from the
 * database, so changing the matrix needs no migration. Owners differ from admins by what only
 * owners may do to owners (see members service).
 */
export const BUILT_IN_ROLES: Record<BuiltInRoleKey, { name: string; description: string; permissions: Permission[] }> = {
  owner: { name: "Owner", description: "Full control, including over other owners", permissions: granted(administer) },
  admin: { name: "Admin", description: "Manages members, roles, API keys and all records", permissions: granted(administer) },
  manager: {
    name: "Manager",
    description: "Reads, writes, assigns and deletes all records",
    permissions: granted(manageRecords),
  },
  agent: { name: "Agent", description: "Reads and writes records", permissions: granted(writeRecords) },
  viewer: { name: "Viewer", description: "Reads records", permissions: granted(readRecords) },
};

export function isBuiltInRoleKey(key: string): key is BuiltInRoleKey {
  return (BUILT_IN_ROLE_KEYS as readonly string[]).includes(key);
}

export function isPermission(name: string): name is Permission {
  return (PERMISSIONS as readonly string[]).includes(name);
}

export function permissionsOfRole(role: { key: string; isBuiltIn: boolean; permissions: string[] }): Set<Permission> {
  if (role.isBuiltIn && isBuiltInRoleKey(role.key)) return new Set(BUILT_IN_ROLES[role.key].permissions);
  return new Set(role.permissions.filter(isPermission));
}
