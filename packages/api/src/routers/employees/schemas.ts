import { z } from "zod";
import { multiValue } from "../../lib/filters.ts";
import { pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idSchema, text, timestamp } from "../../lib/schemas.ts";

export const EMPLOYMENT_STATUSES = ["active", "on_leave", "terminated"] as const;

/** A calendar day on the wire (`2026-03-01`); stored as a DATE, read back as its UTC midnight. */
const calendarDay = z.iso.date({ error: "must be an ISO 8601 date such as 2026-03-01" });

const personOutput = z.object({ id: z.uuid(), name: z.string(), email: z.string() });

export const employeeOutput = z.object({
  id: z.uuid().meta({ description: "The employee's user id (what record owners and managerId name)." }),
  membershipId: z.uuid(),
  name: z.string(),
  email: z.string(),
  role: z.object({ id: z.uuid(), key: z.string(), name: z.string() }),
  department: z.string().nullable(),
  title: z.string().nullable(),
  managerId: z.uuid().nullable(),
  manager: personOutput.nullable(),
  employmentStatus: z.enum(EMPLOYMENT_STATUSES),
  memberStatus: z.enum(["active", "deactivated"]).meta({ description: "Whether the membership still grants access." }),
  startDate: calendarDay.nullable(),
  terminatedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const listEmployeesInput = z.strictObject({
  ...pageInputShape,
  sortBy: z.enum(["createdAt", "startDate"]).default("createdAt"),
  search: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "Any part of the name, email or title (case-insensitive)." }),
  department: text(120).optional().meta({ description: "Exactly this department (case-insensitive)." }),
  status: multiValue(z.enum(EMPLOYMENT_STATUSES)).optional().meta({ description: "Employment statuses." }),
  managerId: idSchema.optional().meta({ description: "Only the direct reports of this member (a user id)." }),
});

export const employeesPage = pageOutputSchema(employeeOutput);

export const updateEmployeeInput = z.strictObject({
  id: idSchema,
  department: text(120).nullable().optional(),
  title: text(120).nullable().optional(),
  managerId: idSchema
    .nullable()
    .optional()
    .meta({ description: "Another member of the organization (a user id); null for none. No management cycles." }),
  employmentStatus: z
    .enum(["active", "on_leave"])
    .optional()
    .meta({ description: "Termination is its own action (POST /employees/{id}/terminate)." }),
  startDate: calendarDay.nullable().optional(),
});

export const departmentsOutput = z.object({
  departments: z.array(
    z.object({
      name: z.string(),
      headCount: z.number().int().meta({ description: "Employees of the department not terminated." }),
    }),
  ),
  withoutDepartment: z.number().int().meta({ description: "Employees not terminated who have no department." }),
});

export const terminateEmployeeInput = z.strictObject({
  id: idSchema,
  reassignTo: idSchema.optional().meta({
    description: "An active member (a user id) who takes over the employee's open records of every resource with an owner.",
  }),
});

export const terminateEmployeeOutput = z.object({
  employee: employeeOutput,
  reassigned: z
    .record(z.string(), z.number().int())
    .meta({ description: "How many records moved to reassignTo, by resource (all 0 without reassignTo)." }),
});
