import type { Campaign, Prisma } from "@crm/db";
import { z } from "zod";
import { findRecord } from "../../kit/records.ts";
import type { OrgContext } from "../../trpc.ts";
import { MEMBER_STATUSES, MEMBER_STEPS } from "./members.ts";
import { campaigns } from "./schemas.ts";

type Tx = Prisma.TransactionClient;

const money = z.string().meta({ description: "An exact decimal (2 decimals)." });
const ratio = z.number().nullable();
const perCurrency = z.array(z.object({ currency: z.string().nullable(), count: z.number().int(), amount: money }));

export const campaignMetricsOutput = z.object({
  members: z.object({
    total: z.number().int(),
    byStatus: z.object(Object.fromEntries(MEMBER_STATUSES.map((status) => [status, z.number().int()]))) as z.ZodObject<
      Record<(typeof MEMBER_STATUSES)[number], z.ZodNumber>
    >,
    funnel: z
      .array(
        z.object({
          step: z.enum(MEMBER_STEPS),
          reached: z
            .number()
            .int()
            .meta({ description: "Members that reached the step (its time is set), whatever they did after." }),
          rate: ratio.meta({
            description: "reached / reached of the step before; null for the first step or when none reached it.",
          }),
        }),
      )
      .meta({ description: "targeted → sent → opened → clicked → responded → converted." }),
    unsubscribed: z.number().int(),
    unsubscribeRate: ratio.meta({ description: "unsubscribed / sent; null when none was sent." }),
  }),
  leadsCreated: z.number().int().meta({ description: "Live leads naming the campaign as their source." }),
  deals: z
    .object({
      influenced: perCurrency.meta({
        description: "Live deals naming the campaign as source, or of a member contact or lead, per currency.",
      }),
      won: perCurrency,
      influencedCount: z.number().int(),
      wonCount: z.number().int(),
    })
    .meta({
      description: "Amounts per currency: nothing adds euros to dollars (deals without an amount count under currency null).",
    }),
  currency: z.string().nullable().meta({ description: "The campaign's currency: of actualCost, and of the figures below." }),
  actualCost: money.nullable(),
  costPerLead: money.nullable().meta({ description: "actualCost / leadsCreated; null without a cost or leads." }),
  costPerWonDeal: money.nullable().meta({ description: "actualCost / won deals; null without a cost or won deals." }),
  roi: z.string().nullable().meta({
    description:
      "(won amount in the campaign's currency − actualCost) / actualCost, 4 decimals; null without a positive cost. Won deals in other currencies are left out.",
  }),
});

const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** The figures of one campaign, each computed by the database in numeric (exact decimals). */
export async function campaignMetrics(db: Tx, ctx: OrgContext, id: string) {
  const campaign = await findRecord<Campaign>(db, ctx, campaigns, id);
  const org = ctx.org.id;
  const [statusRows, stepRows, leadsCreated, dealRows] = await Promise.all([
    db.campaignMember.groupBy({ by: ["status"], where: { organizationId: org, campaignId: id }, _count: { _all: true } }),
    db.$queryRaw<Record<string, number>[]>`
      SELECT count(*)::int AS "targeted", count(m."sentAt")::int AS "sent", count(m."openedAt")::int AS "opened",
             count(m."clickedAt")::int AS "clicked", count(m."respondedAt")::int AS "responded",
             count(m."convertedAt")::int AS "converted", count(m."unsubscribedAt")::int AS "unsubscribed"
      FROM "CampaignMember" m WHERE m."organizationId" = ${org}::uuid AND m."campaignId" = ${id}::uuid`,
    db.lead.count({ where: { organizationId: org, sourceCampaignId: id, deletedAt: null } }),
    db.$queryRaw<{ currency: string | null; count: number; amount: string; wonCount: number; wonAmount: string }[]>`
      SELECT d."currency"::text AS "currency", count(*)::int AS "count", coalesce(sum(d."amount"), 0)::numeric(20, 2)::text AS "amount",
             count(*) FILTER (WHERE d."status" = 'won')::int AS "wonCount",
             coalesce(sum(d."amount") FILTER (WHERE d."status" = 'won'), 0)::numeric(20, 2)::text AS "wonAmount"
      FROM "Deal" d
      WHERE d."organizationId" = ${org}::uuid AND d."deletedAt" IS NULL AND (
        d."sourceCampaignId" = ${id}::uuid
        OR d."contactId" IN (SELECT m."contactId" FROM "CampaignMember" m
                             WHERE m."organizationId" = ${org}::uuid AND m."campaignId" = ${id}::uuid AND m."contactId" IS NOT NULL)
        OR d."sourceLeadId" IN (SELECT m."leadId" FROM "CampaignMember" m
                                WHERE m."organizationId" = ${org}::uuid AND m."campaignId" = ${id}::uuid AND m."leadId" IS NOT NULL))
      GROUP BY 1 ORDER BY 1 NULLS LAST`,
  ]);
  const reached = stepRows[0] ?? {};
  const byStatus = Object.fromEntries(
    MEMBER_STATUSES.map((status) => [status, statusRows.find((row) => row.status === status)?._count._all ?? 0]),
  ) as Record<(typeof MEMBER_STATUSES)[number], number>;
  const funnel = MEMBER_STEPS.map((step, index) => {
    const count = reached[step] ?? 0;
    const previous = index === 0 ? undefined : MEMBER_STEPS[index - 1];
    return { step, reached: count, rate: previous === undefined ? null : share(count, reached[previous] ?? 0) };
  });

  const influenced = dealRows.map(({ currency, count, amount }) => ({ currency, count, amount }));
  const won = dealRows
    .filter((row) => row.wonCount > 0)
    .map(({ currency, wonCount, wonAmount }) => ({ currency, count: wonCount, amount: wonAmount }));
  const wonCount = won.reduce((sum, row) => sum + row.count, 0);
  const wonInCurrency = won.find((row) => row.currency === campaign.currency)?.amount ?? "0.00";

  const cost = campaign.actualCost === null ? null : campaign.actualCost.toString();
  const [figures] = await db.$queryRaw<{ costPerLead: string | null; costPerWonDeal: string | null; roi: string | null }[]>`
    SELECT CASE WHEN ${leadsCreated}::int > 0 THEN round(${cost}::numeric / ${leadsCreated}::int, 2)::numeric(20, 2)::text END AS "costPerLead",
           CASE WHEN ${wonCount}::int > 0 THEN round(${cost}::numeric / ${wonCount}::int, 2)::numeric(20, 2)::text END AS "costPerWonDeal",
           CASE WHEN ${cost}::numeric > 0
             THEN round((${wonInCurrency}::numeric - ${cost}::numeric) / ${cost}::numeric, 4)::text END AS "roi"`;
  return {
    members: {
      total: reached.targeted ?? 0,
      byStatus,
      funnel,
      unsubscribed: reached.unsubscribed ?? 0,
      unsubscribeRate: share(reached.unsubscribed ?? 0, reached.sent ?? 0),
    },
    leadsCreated,
    deals: {
      influenced,
      won,
      influencedCount: influenced.reduce((sum, row) => sum + row.count, 0),
      wonCount,
    },
    currency: campaign.currency,
    actualCost: campaign.actualCost === null ? null : campaign.actualCost.toFixed(2),
    costPerLead: figures?.costPerLead ?? null,
    costPerWonDeal: figures?.costPerWonDeal ?? null,
    roi: figures?.roi ?? null,
  };
}
