/**
 * Automatic lead scoring: plain rules, each worth points with a reason, summed and capped 0–100.
 * The breakdown is returned with the lead so a salesperson sees why a lead is hot.
 */

import { isFreeMailDomain } from "../../lib/domains.ts";

export interface ScoreInput {
  source: string;
  email?: string | null;
  phone?: string | null;
  companyName?: string | null;
  jobTitle?: string | null;
  tags: readonly string[];
  callAttempts: number;
  noteCount: number;
  lastContactedAt?: Date | null;
}

export interface ScorePart {
  rule: string;
  points: number;
  reason: string;
}

export interface LeadScore {
  score: number;
  breakdown: ScorePart[];
}

export const SOURCE_POINTS: Record<string, number> = {
  referral: 20,
  partner: 15,
  website: 15,
  event: 12,
  email_campaign: 10,
  social: 8,
  cold_call: 5,
  other: 0,
};

const HIGH_VALUE_TAGS = new Set(["enterprise", "vip", "priority", "hot", "decision-maker", "budget-approved"]);

const SENIORITY: { pattern: RegExp; points: number; level: string }[] = [
  {
    pattern: /\b(ceo|cto|cfo|coo|cmo|cio|ciso|chief|founder|co-founder|owner|president|partner)\b/i,
    points: 20,
    level: "executive",
  },
  { pattern: /\b(vp|vice president|director|head)\b/i, points: 15, level: "director" },
  { pattern: /\b(manager|lead|principal|senior)\b/i, points: 8, level: "manager" },
];

const DAY_MS = 86_400_000;

export function scoreLead(lead: ScoreInput, now: Date = new Date()): LeadScore {
  const breakdown: ScorePart[] = [];
  const add = (rule: string, points: number, reason: string) => {
    if (points !== 0) breakdown.push({ rule, points, reason });
  };

  add("source", SOURCE_POINTS[lead.source] ?? 0, `source is ${lead.source}`);

  const domain = lead.email?.split("@")[1]?.toLowerCase();
  if (domain) {
    if (isFreeMailDomain(domain)) add("email", 2, `free mail address (${domain})`);
    else add("email", 10, `business email domain (${domain})`);
  }
  if (lead.phone) add("phone", 5, "reachable by phone");
  if (lead.companyName) add("company", 10, "company is known");

  if (lead.jobTitle) {
    const seniority = SENIORITY.find((level) => level.pattern.test(lead.jobTitle as string));
    if (seniority) add("jobTitle", seniority.points, `${seniority.level}-level title (${lead.jobTitle})`);
    else add("jobTitle", 3, `has a job title (${lead.jobTitle})`);
  }

  const valuableTags = lead.tags.filter((tag) => HIGH_VALUE_TAGS.has(tag));
  if (valuableTags.length) add("tags", Math.min(15, valuableTags.length * 5), `high-value tags: ${valuableTags.join(", ")}`);

  if (lead.callAttempts > 0) add("calls", Math.min(9, lead.callAttempts * 3), `${lead.callAttempts} call attempt(s)`);
  if (lead.noteCount > 0) add("notes", Math.min(6, lead.noteCount * 2), `${lead.noteCount} note(s)`);

  if (lead.lastContactedAt) {
    const days = (now.getTime() - lead.lastContactedAt.getTime()) / DAY_MS;
    if (days <= 7) add("recency", 10, "contacted in the last 7 days");
    else if (days <= 30) add("recency", 5, "contacted in the last 30 days");
  }

  const total = breakdown.reduce((sum, part) => sum + part.points, 0);
  return { score: Math.max(0, Math.min(100, total)), breakdown };
}

/** The fields whose change re-runs the scoring rules. */
export const SCORE_INPUT_FIELDS = [
  "source",
  "email",
  "phone",
  "companyName",
  "jobTitle",
  "tags",
  "callAttempts",
  "lastContactedAt",
] as const;
