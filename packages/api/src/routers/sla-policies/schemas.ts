import type { Prisma, SlaPolicy } from "@crm/db";
import { z } from "zod";
import { fields } from "../../kit/fields.ts";
import { defineResource, recordModel } from "../../kit/resource.ts";
import { HORIZON_WEEKS, isTimeZone, WEEKDAYS, type WeeklySchedule, weeklyOpenMinutes } from "../../lib/business-time.ts";
import type { OrgContext } from "../../trpc.ts";
import { type SlaPolicyClock, type SlaTargets, TICKET_PRIORITIES } from "../tickets/sla.ts";

const MINUTES_A_YEAR = 525_600;

const target = z
  .strictObject({
    firstResponseMinutes: z.number().int().min(1).max(MINUTES_A_YEAR),
    resolutionMinutes: z.number().int().min(1).max(MINUTES_A_YEAR),
  })
  .refine((value) => value.resolutionMinutes >= value.firstResponseMinutes, {
    path: ["resolutionMinutes"],
    error: "must not be shorter than firstResponseMinutes",
  });

const targetsSchema = z
  .strictObject(
    Object.fromEntries(TICKET_PRIORITIES.map((priority) => [priority, target])) as Record<
      (typeof TICKET_PRIORITIES)[number],
      typeof target
    >,
  )
  .meta({
    description: "Per priority: minutes to the first response and to the resolution (business minutes under businessHours).",
  });

const time = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, { error: 'must be a time "HH:MM" (00:00 to 24:00)' });
/** Overlapping spans would count their common hours twice. "HH:MM" strings sort as times do. */
function spansApart(spans: readonly (readonly [string, string])[]): boolean {
  const sorted = [...spans].sort(([a], [b]) => a.localeCompare(b));
  return sorted.every(([open], index) => index === 0 || open >= (sorted[index - 1] as readonly [string, string])[1]);
}

const day = z
  .array(z.tuple([time, time]).refine(([open, close]) => open < close, { error: "must open before it closes" }))
  .max(4)
  .refine(spansApart, { error: "must not overlap (a span opens at or after the previous one closes)" })
  .meta({ examples: [[["09:00", "17:00"]]] });

const scheduleSchema = z
  .strictObject(
    Object.fromEntries(WEEKDAYS.map((weekday) => [weekday, day.optional()])) as Record<
      (typeof WEEKDAYS)[number],
      z.ZodOptional<typeof day>
    >,
  )
  .refine((schedule) => Object.values(schedule).some((spans) => spans && spans.length > 0), {
    error: "must open at least one day",
  })
  .meta({
    description:
      'Opening hours per weekday (mon..sun) as ["HH:MM", "HH:MM"] spans in timeZone; a day left out is closed. Null: calendar time.',
  });

const timeZone = z.string().trim().min(1).max(64).refine(isTimeZone, { error: "must be an IANA time zone (e.g. Europe/Berlin)" });

/** Under business hours every target must run out within HORIZON_WEEKS of the schedule's opening hours. */
function policyIssues(values: Record<string, unknown>) {
  const schedule = values.businessHours as WeeklySchedule | null | undefined;
  const targets = values.targets as SlaTargets | undefined;
  if (!schedule || !targets) return [];
  const weekly = weeklyOpenMinutes(schedule);
  const longest = weekly * HORIZON_WEEKS;
  return TICKET_PRIORITIES.flatMap((priority) =>
    (["firstResponseMinutes", "resolutionMinutes"] as const)
      .filter((metric) => (targets[priority]?.[metric] ?? 0) > longest)
      .map((metric) => ({
        path: ["targets", priority, metric],
        message: `must be at most ${longest} business minutes: the opening hours (${weekly} minutes a week) in ${HORIZON_WEEKS / 52} years`,
      })),
  );
}

export const slaPolicies = defineResource({
  key: "slaPolicies",
  basePath: "/sla-policies",
  singular: "SLA policy",
  label: "SLA policy",
  table: "SlaPolicy",
  model: recordModel<SlaPolicy>((db) => db.slaPolicy),
  fields: {
    name: fields.text(100, { required: true, sort: true }),
    description: fields.longText(2000),
    isDefault: fields.shown("boolean", z.boolean(), {
      filter: "equals",
      nullable: false,
      description: "New tickets take the default policy (at most one; set-default moves it).",
    }),
    targets: fields.value("json", { input: targetsSchema, output: targetsSchema }, { required: true }),
    businessHours: fields.value("json", { input: scheduleSchema, output: scheduleSchema }),
    timeZone: fields.value(
      "text",
      { input: timeZone, output: z.string() },
      { nullable: false, description: "The IANA time zone of businessHours (UTC unless given)." },
    ),
  },
  serverOnly: [],
  unique: [{ field: "name" }],
  rules: policyIssues,
});

export const slaPolicyOutput = slaPolicies.schemas.output;

/** A policy's clock, as the SLA arithmetic reads it. */
export function policyClock(policy: Pick<SlaPolicy, "targets" | "businessHours" | "timeZone">): SlaPolicyClock {
  return {
    targets: policy.targets as unknown as SlaTargets,
    businessHours: (policy.businessHours as WeeklySchedule | null) ?? null,
    timeZone: policy.timeZone,
  };
}

/** The live policy `id`, or the organization's live default when `id` is undefined (null: none). */
export async function livePolicy(db: Prisma.TransactionClient, ctx: OrgContext, id: string | null | undefined) {
  if (id === null) return null;
  return db.slaPolicy.findFirst({
    where: { organizationId: ctx.org.id, deletedAt: null, ...(id === undefined ? { isDefault: true } : { id }) },
  });
}
