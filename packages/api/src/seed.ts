import type { PrismaClient } from "@crm/db";
import { hashPassword } from "./auth/passwords.ts";
import { BUILT_IN_ROLE_KEYS } from "./permissions.ts";
import { LEAD_SOURCES, LEAD_STATUSES } from "./routers/leads/schemas.ts";
import { derivedLeadFields } from "./routers/leads/service.ts";
import { createOrganization } from "./routers/organizations/service.ts";

export const DEMO_LOGIN = { email: "owner@demo.test", password: "demo-password-123" } as const;

const FIRST_NAMES = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Donald",
  "Frances",
  "Ken",
  "Margaret",
  "Linus",
  "Radia",
  "Tim",
];
const LAST_NAMES = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Knuth",
  "Allen",
  "Thompson",
  "Hamilton",
  "Torvalds",
  "Perlman",
  "Berners-Lee",
];
const COMPANIES = [
  "Acme Corp",
  "Globex",
  "Initech",
  "Umbrella",
  "Hooli",
  "Stark Industries",
  "Wayne Enterprises",
  "Cyberdyne",
  null,
];
const TITLES = ["CEO", "CTO", "VP Sales", "Head of Operations", "Engineer", "Procurement Manager", null];
const TAGS = ["enterprise", "smb", "priority", "newsletter", "trial", "partner"];

/**
 * A demo organization with one user per built-in role (all with DEMO_LOGIN.password) and a few
 * hundred leads. Returns false without writing when `onlyIfEmpty` and any user exists.
 */
export async function seedDemoData(db: PrismaClient, options: { onlyIfEmpty?: boolean; leads?: number } = {}): Promise<boolean> {
  if (options.onlyIfEmpty && (await db.user.count()) > 0) return false;
  const passwordHash = await hashPassword(DEMO_LOGIN.password);
  const leadCount = options.leads ?? 300;
  await db.$transaction(
    async (tx) => {
      const users = await Promise.all(
        BUILT_IN_ROLE_KEYS.map((role) =>
          tx.user.create({ data: { email: `${role}@demo.test`, name: `Demo ${role}`, passwordHash } }),
        ),
      );
      const [owner, ...others] = users;
      if (!owner) throw new Error("unreachable: no owner");
      const organization = await createOrganization(tx, { name: "Demo Co", ownerUserId: owner.id });
      const roles = await tx.role.findMany({ where: { organizationId: organization.id } });
      await tx.membership.createMany({
        data: others.map((user, index) => ({
          organizationId: organization.id,
          userId: user.id,
          roleId: roles.find((role) => role.key === BUILT_IN_ROLE_KEYS[index + 1])?.id ?? "",
        })),
      });
      const assignees = [null, ...users.slice(2, 4).map((user) => user.id)];
      await tx.lead.createMany({
        data: Array.from({ length: leadCount }, (_, i) => {
          const firstName = FIRST_NAMES[i % FIRST_NAMES.length] ?? "Ada";
          const lastName = LAST_NAMES[(i * 7) % LAST_NAMES.length] ?? "Lovelace";
          const lead = {
            firstName,
            lastName,
            email: `${firstName}.${lastName}.${i}@example.com`.toLowerCase(),
            phone: i % 3 === 0 ? `+1202555${String(1000 + i).slice(-4)}` : null,
            companyName: COMPANIES[i % COMPANIES.length] ?? null,
            jobTitle: TITLES[i % TITLES.length] ?? null,
            source: LEAD_SOURCES[(i * 3) % LEAD_SOURCES.length] ?? "other",
            tags: [TAGS[i % TAGS.length] ?? "smb"],
            callAttempts: i % 4,
            lastContactedAt: i % 4 ? new Date(Date.now() - i * 86_400_000) : null,
          };
          return {
            ...lead,
            ...derivedLeadFields(lead, 0),
            organizationId: organization.id,
            status: LEAD_STATUSES[i % LEAD_STATUSES.length] ?? "new",
            assignedToId: assignees[i % assignees.length] ?? null,
            createdById: owner.id,
            createdAt: new Date(Date.now() - i * 3_600_000),
          };
        }),
      });
    },
    { timeout: 60_000 },
  );
  return true;
}
