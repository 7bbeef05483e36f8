/**
 * Every permission the API checks. A procedure is gated by exactly one of these; roles are sets
 * of them. Record resources follow `<resource>:<read|write|delete|assign>`.
 */
export const PERMISSIONS = [
  "leads:read",
  "leads:write",
  "leads:delete",
  "leads:assign",
  "leads:purge",
  "leads:import",
  "leads:export",
  "contacts:read",
  "contacts:write",
  "contacts:delete",
  "contacts:assign",
  "contacts:purge",
  "contacts:import",
  "contacts:export",
  "companies:read",
  "companies:write",
  "companies:delete",
  "companies:assign",
  "companies:purge",
  "companies:import",
  "companies:export",
  "audit:read",
  "members:read",
  "members:manage",
  "roles:manage",
  "apiKeys:manage",
  "organization:update",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** The record resources: each is gated by `<resource>:<verb>`. */
export const RECORD_RESOURCES = ["leads", "contacts", "companies"] as const;
export type RecordResource = (typeof RECORD_RESOURCES)[number];
export const RECORD_VERBS = ["read", "write", "delete", "assign", "import", "export", "purge"] as const;
export type RecordVerb = (typeof RECORD_VERBS)[number];
export type RecordPermission = `${RecordResource}:${RecordVerb}`;

export const BUILT_IN_ROLE_KEYS = ["owner", "admin", "manager", "agent", "viewer"] as const;
export type BuiltInRoleKey = (typeof BUILT_IN_ROLE_KEYS)[number];

/** `<resource>:<verb>` for every record resource. */
const grant = (...verbs: RecordVerb[]): Permission[] =>
  RECORD_RESOURCES.flatMap((resource) => verbs.map((verb) => `${resource}:${verb}` as Permission));

const recordRead: Permission[] = [...grant("read"), "members:read"];
const recordWrite: Permission[] = [...recordRead, ...grant("write")];
const recordManage: Permission[] = [...recordWrite, ...grant("delete", "assign", "import", "export"), "audit:read"];
const administer: Permission[] = [
  ...recordManage,
  ...grant("purge"),
  "members:manage",
  "roles:manage",
  "apiKeys:manage",
  "organization:update",
];

/**
 * The documented permission matrix of the built-in roles (README, "Roles"). Built-in roles read
 * their permissions from here, not from the database, so changing the matrix needs no migration.
 * Owners differ from admins by what only owners may do to owners (see members service).
 */
export const BUILT_IN_ROLES: Record<BuiltInRoleKey, { name: string; description: string; permissions: Permission[] }> = {
  owner: { name: "Owner", description: "Full control, including over other owners", permissions: administer },
  admin: { name: "Admin", description: "Manages members, roles, API keys and all records", permissions: administer },
  manager: { name: "Manager", description: "Reads, writes, assigns and deletes all records", permissions: recordManage },
  agent: { name: "Agent", description: "Reads and writes records", permissions: recordWrite },
  viewer: { name: "Viewer", description: "Reads records", permissions: recordRead },
};

export function isBuiltInRoleKey(key: string): key is BuiltInRoleKey {
  return (BUILT_IN_ROLE_KEYS as readonly string[]).includes(key);
}

export function permissionsOfRole(role: { key: string; isBuiltIn: boolean; permissions: string[] }): Set<Permission> {
  if (role.isBuiltIn && isBuiltInRoleKey(role.key)) return new Set(BUILT_IN_ROLES[role.key].permissions);
  return new Set(role.permissions.filter((p): p is Permission => (PERMISSIONS as readonly string[]).includes(p)));
}
