import { randomBytes } from "node:crypto";
import type { Prisma } from "@crm/db";
import { BUILT_IN_ROLE_KEYS, BUILT_IN_ROLES } from "../../permissions.ts";
import { createDefaultPipeline } from "../pipelines/default-pipeline.ts";

function slugify(name: string): string {
  const base = name
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, "-")
    .slice(0, 40);
  return `${base || "org"}-${randomBytes(3).toString("hex")}`;
}

/** Creates an organization with its built-in roles and default pipeline, and makes `ownerUserId` its owner. */
export async function createOrganization(tx: Prisma.TransactionClient, input: { name: string; ownerUserId: string }) {
  const organization = await tx.organization.create({ data: { name: input.name, slug: slugify(input.name) } });
  await tx.role.createMany({
    data: BUILT_IN_ROLE_KEYS.map((key) => ({
      organizationId: organization.id,
      key,
      name: BUILT_IN_ROLES[key].name,
      description: BUILT_IN_ROLES[key].description,
      isBuiltIn: true,
      permissions: BUILT_IN_ROLES[key].permissions,
    })),
  });
  const ownerRole = await tx.role.findUniqueOrThrow({
    where: { organizationId_key: { organizationId: organization.id, key: "owner" } },
  });
  await tx.membership.create({ data: { organizationId: organization.id, userId: input.ownerUserId, roleId: ownerRole.id } });
  await createDefaultPipeline(tx, organization.id);
  return organization;
}
