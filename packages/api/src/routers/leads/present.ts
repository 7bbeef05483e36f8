import type { Lead, Prisma } from "@crm/db";
import type { OrgContext } from "../../trpc.ts";
import type { ScorePart } from "./scoring.ts";

const DAY_MS = 86_400_000;
const SETTINGS_TTL_MS = 10_000;

const thresholdCache = new Map<string, { value: number; expires: number }>();

/**
 * The organization's hot-lead threshold, cached for a few seconds per process: it is read by
 * every lead response and changes rarely.
 */
export async function hotThreshold(db: Prisma.TransactionClient, ctx: OrgContext): Promise<number> {
  const cached = thresholdCache.get(ctx.org.id);
  if (cached && cached.expires > Date.now()) return cached.value;
  const organization = await db.organization.findUnique({ where: { id: ctx.org.id }, select: { leadHotThreshold: true } });
  const value = organization?.leadHotThreshold ?? 70;
  thresholdCache.set(ctx.org.id, { value, expires: Date.now() + SETTINGS_TTL_MS });
  return value;
}

export function forgetHotThreshold(organizationId: string): void {
  thresholdCache.delete(organizationId);
}

/** A lead as the API shows it: computed fields added, internal ones left out. */
export function presentLead(lead: Lead, threshold: number, now = Date.now()) {
  const { searchText: _searchText, organizationId: _organizationId, scoreBreakdown, ...visible } = lead;
  return {
    ...visible,
    scoreBreakdown: (Array.isArray(scoreBreakdown) ? scoreBreakdown : []) as unknown as ScorePart[],
    daysSinceCreated: Math.max(0, Math.floor((now - lead.createdAt.getTime()) / DAY_MS)),
    isHot: lead.score >= threshold,
  };
}

export type PresentedLead = ReturnType<typeof presentLead>;
