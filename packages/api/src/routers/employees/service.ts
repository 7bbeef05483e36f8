import type { Membership, Prisma } from "@crm/db";
import type { z } from "zod";
import { revokeSessionsWhere } from "../../auth/sessions.ts";
import { badRequest, conflict, notFound } from "../../errors.ts";
import { movesOnReassign, reassignOwnedRecords } from "../../kit/reassign.ts";
import { referenceNotFound } from "../../kit/records.ts";
import { containsText } from "../../lib/filters.ts";
import { keysetPage } from "../../lib/pagination.ts";
import { RECORD_DECLARATIONS } from "../../resources.ts";
import type { OrgContext } from "../../trpc.ts";
import { assertMayManage, assertNotLastOwner, auditMembershipChange, lockOrganization } from "../members/service.ts";
import type { employeeOutput, listEmployeesInput, terminateEmployeeInput, updateEmployeeInput } from "./schemas.ts";

/**
 * Employees are the organization's memberships seen as its staff directory: addressed by the
 * user id (as record owners and managers are), changed and audited as memberships.
 */

type Tx = Prisma.TransactionClient;
type Employee = z.output<typeof employeeOutput>;

const employeeInclude = {
  user: { select: { id: true, email: true, name: true } },
  role: { select: { id: true, key: true, name: true, isBuiltIn: true, permissions: true } },
  manager: { select: { user: { select: { id: true, email: true, name: true } } } },
} as const;

type EmployeeRow = Prisma.MembershipGetPayload<{ include: typeof employeeInclude }>;

function presentEmployee(row: EmployeeRow): Employee {
  return {
    id: row.userId,
    membershipId: row.id,
    name: row.user.name,
    email: row.user.email,
    role: { id: row.role.id, key: row.role.key, name: row.role.name },
    department: row.department,
    title: row.title,
    managerId: row.managerId,
    manager: row.manager ? row.manager.user : null,
    employmentStatus: row.employmentStatus,
    memberStatus: row.status,
    startDate: row.startDate ? row.startDate.toISOString().slice(0, 10) : null,
    terminatedAt: row.terminatedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

async function findEmployeeRow(db: Tx, ctx: OrgContext, userId: string): Promise<EmployeeRow> {
  const row = await db.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId } },
    include: employeeInclude,
  });
  if (!row) throw notFound("Employee");
  return row;
}

export async function findEmployee(db: Tx, ctx: OrgContext, userId: string): Promise<Employee> {
  return presentEmployee(await findEmployeeRow(db, ctx, userId));
}

export async function listEmployees(db: Tx, ctx: OrgContext, input: z.output<typeof listEmployeesInput>) {
  const sort =
    input.sortBy === "startDate"
      ? { field: "startDate", type: "date" as const, nullable: true }
      : { field: "createdAt", type: "date" as const };
  const page = keysetPage({ ...sort, order: input.sortOrder }, input.limit, input.cursor);
  const where: Prisma.MembershipWhereInput = {
    organizationId: ctx.org.id,
    ...(input.department ? { department: { equals: input.department, mode: "insensitive" } } : {}),
    ...(input.status ? { employmentStatus: { in: input.status } } : {}),
    ...(input.managerId ? { managerId: input.managerId } : {}),
    ...(input.search
      ? {
          OR: [
            { user: { name: containsText(input.search, "insensitive") } },
            { user: { email: containsText(input.search, "insensitive") } },
            { title: containsText(input.search, "insensitive") },
          ],
        }
      : {}),
  };
  const rows = await db.membership.findMany({
    where: { AND: [where, page.where] },
    orderBy: page.orderBy,
    take: page.take,
    include: employeeInclude,
  });
  const result = page.toPage(rows);
  return { items: result.items.map(presentEmployee), nextCursor: result.nextCursor };
}

/** Each department with its head count (employees not terminated), by name; departments left with nobody count 0. */
export async function listDepartments(db: Tx, ctx: OrgContext) {
  const rows = await db.$queryRaw<{ department: string | null; headCount: number }[]>`
    SELECT "department", (count(*) FILTER (WHERE "employmentStatus" <> 'terminated'))::int AS "headCount"
    FROM "Membership"
    WHERE "organizationId" = ${ctx.org.id}::uuid
    GROUP BY "department"
    ORDER BY "department" NULLS LAST`;
  return {
    departments: rows.flatMap((row) => (row.department === null ? [] : [{ name: row.department, headCount: row.headCount }])),
    withoutDepartment: rows.find((row) => row.department === null)?.headCount ?? 0,
  };
}

/** Whether `employeeId` is `managerId` or above it in the management chain (so managing them would close a cycle). */
async function isInChainAbove(tx: Tx, ctx: OrgContext, managerId: string, employeeId: string): Promise<boolean> {
  const found = await tx.$queryRaw<unknown[]>`
    WITH RECURSIVE chain("userId", "managerId", depth) AS (
      SELECT "userId", "managerId", 0 FROM "Membership"
      WHERE "organizationId" = ${ctx.org.id}::uuid AND "userId" = ${managerId}::uuid
      UNION ALL
      SELECT m."userId", m."managerId", chain.depth + 1 FROM "Membership" m
      JOIN chain ON m."userId" = chain."managerId"
      WHERE m."organizationId" = ${ctx.org.id}::uuid AND chain.depth < 10000
    )
    SELECT 1 FROM chain WHERE "userId" = ${employeeId}::uuid LIMIT 1`;
  return found.length > 0;
}

async function checkManager(tx: Tx, ctx: OrgContext, employee: Membership, managerId: string): Promise<void> {
  if (managerId === employee.userId) throw badRequest("managerId", "an employee cannot be their own manager");
  const manager = await tx.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId: managerId } },
    select: { employmentStatus: true },
  });
  if (!manager) throw referenceNotFound("managerId", "no member of this organization has this id");
  if (manager.employmentStatus === "terminated") throw badRequest("managerId", "is a terminated employee");
  if (await isInChainAbove(tx, ctx, managerId, employee.userId)) {
    throw conflict("managerId", `${managerId} reports to this employee, directly or not; that would make a management cycle`);
  }
}

export async function updateEmployee(tx: Tx, ctx: OrgContext, input: z.output<typeof updateEmployeeInput>) {
  // Serialises manager changes, so two concurrent ones cannot close a cycle between them.
  await lockOrganization(tx, ctx.org.id);
  const before = await findEmployeeRow(tx, ctx, input.id);
  assertMayManage(ctx, before);
  if (input.managerId && input.managerId !== before.managerId) await checkManager(tx, ctx, before, input.managerId);
  if (input.employmentStatus && before.employmentStatus === "terminated") {
    throw conflict("employmentStatus", "this employee is terminated; their employment status no longer changes");
  }
  const after = await tx.membership.update({
    where: { id: before.id },
    data: {
      department: input.department,
      title: input.title,
      managerId: input.managerId,
      employmentStatus: input.employmentStatus,
      startDate: input.startDate === undefined ? undefined : input.startDate && new Date(`${input.startDate}T00:00:00Z`),
    },
    include: employeeInclude,
  });
  await auditMembershipChange(tx, ctx, "update", before, after);
  return presentEmployee(after);
}

/** The member who takes over a terminated employee's records: an active member other than them. */
async function checkSuccessor(tx: Tx, ctx: OrgContext, employee: Membership, reassignTo: string): Promise<void> {
  if (reassignTo === employee.userId) throw badRequest("reassignTo", "must be another member than the one terminated");
  const successor = await tx.membership.findUnique({
    where: { organizationId_userId: { organizationId: ctx.org.id, userId: reassignTo } },
    select: { status: true, employmentStatus: true },
  });
  if (!successor) throw referenceNotFound("reassignTo", "no member of this organization has this id");
  if (successor.status !== "active" || successor.employmentStatus === "terminated") {
    throw badRequest("reassignTo", "is not an active member of this organization");
  }
}

/**
 * Ends an employment in one transaction: the membership is terminated and deactivated, the
 * member's sessions in the organization end, and with `reassignTo` their open records of every
 * resource with an owner move to that member (each locked and audited as `reassign`).
 */
export async function terminateEmployee(tx: Tx, ctx: OrgContext, input: z.output<typeof terminateEmployeeInput>) {
  await lockOrganization(tx, ctx.org.id);
  const before = await findEmployeeRow(tx, ctx, input.id);
  if (before.employmentStatus === "terminated") throw conflict("id", `employee ${input.id} is already terminated`);
  assertMayManage(ctx, before);
  await assertNotLastOwner(tx, ctx, before, "id");
  if (input.reassignTo) await checkSuccessor(tx, ctx, before, input.reassignTo);

  const after = await tx.membership.update({
    where: { id: before.id },
    data: { employmentStatus: "terminated", terminatedAt: new Date(), status: "deactivated" },
    include: employeeInclude,
  });
  await revokeSessionsWhere(tx, { userId: after.userId, organizationId: ctx.org.id }, "employee_terminated");
  await auditMembershipChange(tx, ctx, "terminate", before, after);
  const reassigned = input.reassignTo
    ? await reassignOwnedRecords(tx, ctx, RECORD_DECLARATIONS, after.userId, input.reassignTo)
    : Object.fromEntries(RECORD_DECLARATIONS.filter(movesOnReassign).map((resource) => [resource.key, 0]));
  return { employee: presentEmployee(after), reassigned };
}
