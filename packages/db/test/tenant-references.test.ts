import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../src/database.ts";
import type { PrismaClient } from "../src/generated/prisma/client.ts";
import { createThrowawayDatabase, postgresUrl } from "./support/throwaway-postgres.ts";

/**
 * What the database itself guarantees about contacts and companies, whatever the API does: no
 * row points into another organization (composite foreign keys on organizationId), live emails
 * and domains are unique per organization, and deleting an organization still removes all of it.
 * On PGlite always, and on PostgreSQL when TEST_DATABASE_URL is set.
 */

interface Target {
  db: Database;
  close(): Promise<void>;
}

async function openPgliteTarget(): Promise<Target> {
  const db = await openDatabase({ kind: "pglite" });
  return { db, close: () => db.close() };
}

async function openPostgresTarget(): Promise<Target> {
  const database = await createThrowawayDatabase("crm_tenant_refs");
  const db = await openDatabase({ kind: "postgres", url: database.url, poolSize: 2 });
  return {
    db,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

const targets: [string, () => Promise<Target>][] = [["PGlite", openPgliteTarget]];
if (postgresUrl) targets.push(["PostgreSQL", openPostgresTarget]);

/** The constraint a rejected write violated, as PostgreSQL names it. */
async function violatedConstraint(write: Promise<unknown>): Promise<string> {
  const error = await write.then(
    () => expect.fail("the write was accepted"),
    (rejection: unknown) => rejection,
  );
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { originalMessage?: string } } } }).meta?.driverAdapterError
    ?.cause;
  const name = cause?.originalMessage?.match(/constraint "([^"]+)"/)?.[1];
  if (!name) throw error;
  return name;
}

let organizationCount = 0;

async function organizationWithMember(prisma: PrismaClient) {
  organizationCount += 1;
  const slug = `org-${organizationCount}-${randomBytes(3).toString("hex")}`;
  const organization = await prisma.organization.create({ data: { name: slug, slug } });
  const role = await prisma.role.create({ data: { organizationId: organization.id, key: "owner", name: "Owner" } });
  const user = await prisma.user.create({ data: { email: `${slug}@example.com`, name: slug, passwordHash: "x" } });
  await prisma.membership.create({ data: { organizationId: organization.id, userId: user.id, roleId: role.id } });
  return { organizationId: organization.id, userId: user.id };
}

describe.each(targets)("contacts and companies on %s", (_kind, open) => {
  let target: Target;
  let prisma: PrismaClient;
  beforeAll(async () => {
    target = await open();
    await target.db.migrate();
    prisma = target.db.prisma;
  });
  afterAll(async () => {
    await target?.close();
  });

  it("refuses every reference into another organization", async () => {
    const mine = await organizationWithMember(prisma);
    const theirs = await organizationWithMember(prisma);
    const theirCompany = await prisma.company.create({ data: { organizationId: theirs.organizationId, name: "Theirs" } });
    const theirContact = await prisma.contact.create({ data: { organizationId: theirs.organizationId, firstName: "Theo" } });
    const myCompany = await prisma.company.create({ data: { organizationId: mine.organizationId, name: "Mine" } });
    const myContact = await prisma.contact.create({ data: { organizationId: mine.organizationId, firstName: "Mia" } });
    const organizationId = mine.organizationId;

    expect(
      await violatedConstraint(
        prisma.contact.create({ data: { organizationId, firstName: "A", primaryCompanyId: theirCompany.id } }),
      ),
    ).toBe("Contact_primaryCompany_fkey");
    expect(
      await violatedConstraint(
        prisma.contact.create({ data: { organizationId, firstName: "A", mergedIntoId: theirContact.id } }),
      ),
    ).toBe("Contact_mergedInto_fkey");
    expect(
      await violatedConstraint(prisma.contact.create({ data: { organizationId, firstName: "A", ownerId: theirs.userId } })),
    ).toBe("Contact_owner_fkey");
    expect(
      await violatedConstraint(prisma.company.create({ data: { organizationId, name: "A", parentId: theirCompany.id } })),
    ).toBe("Company_parent_fkey");
    expect(
      await violatedConstraint(prisma.company.create({ data: { organizationId, name: "A", mergedIntoId: theirCompany.id } })),
    ).toBe("Company_mergedInto_fkey");
    expect(await violatedConstraint(prisma.company.create({ data: { organizationId, name: "A", ownerId: theirs.userId } }))).toBe(
      "Company_owner_fkey",
    );
    expect(
      await violatedConstraint(
        prisma.contactCompany.create({ data: { organizationId, contactId: myContact.id, companyId: theirCompany.id } }),
      ),
    ).toBe("ContactCompany_company_fkey");
    expect(
      await violatedConstraint(
        prisma.contactCompany.create({ data: { organizationId, contactId: theirContact.id, companyId: myCompany.id } }),
      ),
    ).toBe("ContactCompany_contact_fkey");
    // Nothing of the refused writes is there; the same references inside the organization are accepted.
    expect(await prisma.contact.count({ where: { organizationId } })).toBe(1);
    expect(await prisma.company.count({ where: { organizationId } })).toBe(1);
    const linked = await prisma.contact.create({
      data: { organizationId, firstName: "B", primaryCompanyId: myCompany.id, mergedIntoId: myContact.id, ownerId: mine.userId },
    });
    await prisma.contactCompany.create({
      data: { organizationId, contactId: linked.id, companyId: myCompany.id, isPrimary: true },
    });
    expect(await prisma.contactCompany.count({ where: { organizationId } })).toBe(1);
  });

  it("keeps live emails and domains unique per organization, and frees them on soft delete", async () => {
    const { organizationId } = await organizationWithMember(prisma);
    const other = await organizationWithMember(prisma);
    const first = await prisma.contact.create({ data: { organizationId, firstName: "A", email: "ann@example.com" } });
    expect(
      await violatedConstraint(prisma.contact.create({ data: { organizationId, firstName: "B", email: "ann@example.com" } })),
    ).toBe("Contact_live_email_key");
    await prisma.contact.create({ data: { organizationId: other.organizationId, firstName: "C", email: "ann@example.com" } });
    await prisma.contact.update({ where: { id: first.id }, data: { deletedAt: new Date() } });
    await prisma.contact.create({ data: { organizationId, firstName: "D", email: "ann@example.com" } });

    const acme = await prisma.company.create({ data: { organizationId, name: "Acme", domain: "acme.com" } });
    expect(
      await violatedConstraint(prisma.company.create({ data: { organizationId, name: "Acme 2", domain: "acme.com" } })),
    ).toBe("Company_live_domain_key");
    await prisma.company.create({ data: { organizationId: other.organizationId, name: "Acme", domain: "acme.com" } });
    await prisma.company.update({ where: { id: acme.id }, data: { deletedAt: new Date() } });
    await prisma.company.create({ data: { organizationId, name: "Acme again", domain: "acme.com" } });

    expect(await prisma.contact.count({ where: { organizationId, email: "ann@example.com" } })).toBe(2);
    expect(await prisma.company.count({ where: { organizationId, domain: "acme.com" } })).toBe(2);
  });

  it("deleting an organization removes its contacts, companies and links, and nothing of another", async () => {
    const doomed = await organizationWithMember(prisma);
    const kept = await organizationWithMember(prisma);
    for (const { organizationId, userId } of [doomed, kept]) {
      const parent = await prisma.company.create({ data: { organizationId, name: "Parent", ownerId: userId } });
      const child = await prisma.company.create({ data: { organizationId, name: "Child", parentId: parent.id } });
      await prisma.company.create({ data: { organizationId, name: "Old", mergedIntoId: child.id, deletedAt: new Date() } });
      const survivor = await prisma.contact.create({
        data: { organizationId, firstName: "Sue", primaryCompanyId: child.id, ownerId: userId },
      });
      await prisma.contact.create({
        data: { organizationId, firstName: "Sue", mergedIntoId: survivor.id, deletedAt: new Date() },
      });
      await prisma.contactCompany.createMany({
        data: [
          { organizationId, contactId: survivor.id, companyId: child.id, isPrimary: true, role: "decision maker" },
          { organizationId, contactId: survivor.id, companyId: parent.id },
        ],
      });
    }

    await prisma.organization.delete({ where: { id: doomed.organizationId } });

    const counts = async (organizationId: string) => ({
      contacts: await prisma.contact.count({ where: { organizationId } }),
      companies: await prisma.company.count({ where: { organizationId } }),
      links: await prisma.contactCompany.count({ where: { organizationId } }),
      members: await prisma.membership.count({ where: { organizationId } }),
    });
    expect(await counts(doomed.organizationId)).toEqual({ contacts: 0, companies: 0, links: 0, members: 0 });
    expect(await counts(kept.organizationId)).toEqual({ contacts: 2, companies: 3, links: 2, members: 1 });
  });

  it("refuses to delete a company or contact another row still points to (the API clears references first)", async () => {
    const { organizationId } = await organizationWithMember(prisma);
    const company = await prisma.company.create({ data: { organizationId, name: "Acme" } });
    const contact = await prisma.contact.create({ data: { organizationId, firstName: "Ann", primaryCompanyId: company.id } });
    expect(await violatedConstraint(prisma.company.delete({ where: { id: company.id } }))).toBe("Contact_primaryCompany_fkey");
    await prisma.contactCompany.create({ data: { organizationId, contactId: contact.id, companyId: company.id } });
    await prisma.contact.update({ where: { id: contact.id }, data: { primaryCompanyId: null } });
    await prisma.company.delete({ where: { id: company.id } });
    expect(await prisma.contactCompany.count({ where: { organizationId } })).toBe(0);
    expect(await prisma.contact.findUniqueOrThrow({ where: { id: contact.id } })).toMatchObject({ organizationId });
  });

  it("answers name similarity from the trigram expression indexes", async () => {
    const { organizationId } = await organizationWithMember(prisma);
    await prisma.contact.create({ data: { organizationId, firstName: "Jonathan", lastName: "Smith" } });
    await prisma.company.create({ data: { organizationId, name: "Acme Corporation" } });
    const plan = async (sql: string) =>
      prisma.$transaction(async (tx) => {
        // On a few rows a full scan is cheaper; leave the planner only index conditions to choose from.
        for (const scan of ["seqscan", "indexscan", "indexonlyscan"])
          await tx.$executeRawUnsafe(`SET LOCAL enable_${scan} = off`);
        const rows = await tx.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN ${sql}`);
        return rows.map((row) => row["QUERY PLAN"]).join("\n");
      });
    const contactQuery = `SELECT id FROM "Contact" WHERE lower("firstName" || ' ' || coalesce("lastName", '')) % 'jonathon smith'`;
    const companyQuery = `SELECT id FROM "Company" WHERE lower("name") % 'acme corp'`;
    expect(await plan(contactQuery)).toContain("Contact_name_trgm_idx");
    expect(await plan(companyQuery)).toContain("Company_name_trgm_idx");
    const inOrganization = ` AND "organizationId" = '${organizationId}'::uuid`;
    expect(await prisma.$queryRawUnsafe<unknown[]>(contactQuery + inOrganization)).toHaveLength(1);
    expect(await prisma.$queryRawUnsafe<unknown[]>(companyQuery + inOrganization)).toHaveLength(1);
  });
});
