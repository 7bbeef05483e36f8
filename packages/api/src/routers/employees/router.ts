import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { staticRoutesFirst } from "../../kit/procedures.ts";
import { idSchema } from "../../lib/schemas.ts";
import { permission } from "../../trpc.ts";
import {
  departmentsOutput,
  employeeOutput,
  employeesPage,
  listEmployeesInput,
  terminateEmployeeInput,
  terminateEmployeeOutput,
  updateEmployeeInput,
} from "./schemas.ts";
import { findEmployee, listDepartments, listEmployees, terminateEmployee, updateEmployee } from "./service.ts";

const tags = ["employees"];
/** Reassigning a busy employee's records writes one audit entry per record. */
const TERMINATE_TIMEOUT_MS = 60_000;

export const employeesRouter = staticRoutesFirst({
  list: permission("members:read")
    .meta({
      openapi: { method: "GET", path: "/employees", tags, summary: "The staff directory: filters, search, cursor pages" },
    })
    .input(listEmployeesInput)
    .output(employeesPage)
    .query(({ ctx, input }) => listEmployees(ctx.db, ctx, input)),

  departments: permission("members:read")
    .meta({
      openapi: { method: "GET", path: "/employees/departments", tags, summary: "Each department with its head count" },
    })
    .output(departmentsOutput)
    .query(({ ctx }) => listDepartments(ctx.db, ctx)),

  byId: permission("members:read")
    .meta({ openapi: { method: "GET", path: "/employees/{id}", tags, summary: "One employee, by user id" } })
    .input(z.strictObject({ id: idSchema }))
    .output(employeeOutput)
    .query(({ ctx, input }) => findEmployee(ctx.db, ctx, input.id)),

  update: permission("members:manage")
    .meta({
      openapi: {
        method: "PATCH",
        path: "/employees/{id}",
        tags,
        summary: "Change an employee's department, title, manager, employment status or start date",
      },
    })
    .input(updateEmployeeInput)
    .output(employeeOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => updateEmployee(tx, ctx, input))),

  terminate: permission("members:manage")
    .meta({
      openapi: {
        method: "POST",
        path: "/employees/{id}/terminate",
        tags,
        summary:
          "Terminate an employee: deactivate the membership, end their sessions here, hand their open records to reassignTo",
      },
    })
    .input(terminateEmployeeInput)
    .output(terminateEmployeeOutput)
    .mutation(({ ctx, input }) =>
      ctx.db.$transaction((tx) => terminateEmployee(tx, ctx, input), { timeout: TERMINATE_TIMEOUT_MS }),
    ),
} satisfies TRPCRouterRecord);
