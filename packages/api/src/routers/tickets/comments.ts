import type { Prisma, Ticket, TicketComment } from "@crm/db";
import { z } from "zod";
import { findRecord, writeRecord } from "../../kit/records.ts";
import { writeAudit } from "../../lib/audit.ts";
import { keysetPage, pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idSchema, timestamp } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";
import { policyOfTicket, statusColumns } from "./columns.ts";
import { tickets } from "./schemas.ts";
import { clockOf, elapsedSeconds } from "./sla.ts";
import { lockLiveTicket } from "./workflow.ts";

type Tx = Prisma.TransactionClient;

export const commentOutput = z.object({
  id: z.uuid(),
  ticketId: z.uuid(),
  body: z.string(),
  isPublic: z.boolean().meta({ description: "A public reply (the customer sees it) or an internal note." }),
  authorUserId: z.uuid().nullable(),
  authorApiKeyId: z.uuid().nullable(),
  authorContactId: z.uuid().nullable(),
  createdAt: timestamp,
});

export const addCommentInput = z.strictObject({
  id: idSchema.meta({ description: "The ticket." }),
  body: z.string().trim().min(1, { error: "must not be empty" }).max(20_000),
  isPublic: z
    .boolean()
    .default(true)
    .meta({ description: "false: an internal note. The first public reply by a member is the first response." }),
});

export const listCommentsInput = z.strictObject({
  id: idSchema,
  limit: pageInputShape.limit,
  cursor: pageInputShape.cursor,
  isPublic: z
    .preprocess((value) => (value === "true" ? true : value === "false" ? false : value), z.boolean())
    .optional()
    .meta({ description: "true: only public replies; false: only internal notes." }),
});

export const commentsPage = pageOutputSchema(commentOutput);

function presentComment(comment: TicketComment): z.output<typeof commentOutput> {
  const { organizationId: _org, updatedAt: _updated, deletedAt: _deleted, ...shown } = comment;
  return shown;
}

/**
 * Adds a reply or note to a live ticket as the caller. The first public reply by a member is the
 * ticket's first response (measured on its clock), and a new ticket becomes open on it.
 */
export async function addComment(tx: Tx, ctx: OrgContext, input: z.output<typeof addCommentInput>) {
  const ticket = await lockLiveTicket(tx, ctx, input.id);
  const comment = await tx.ticketComment.create({
    data: {
      organizationId: ctx.org.id,
      ticketId: ticket.id,
      body: input.body,
      isPublic: input.isPublic,
      authorUserId: ctx.actor.userId,
      authorApiKeyId: ctx.actor.apiKeyId,
    },
  });
  await writeAudit(tx, ctx, {
    action: "create",
    entityType: "ticket comment",
    entityId: comment.id,
    before: null,
    after: { ticketId: ticket.id, isPublic: comment.isPublic, body: comment.body },
  });
  if (input.isPublic && ctx.actor.userId && !ticket.firstResponseAt) {
    const now = comment.createdAt;
    const policy = await policyOfTicket(tx, ctx, ticket);
    const columns: Record<string, unknown> = {
      firstResponseAt: now,
      firstResponseSeconds: elapsedSeconds(ticket, clockOf(policy), now),
      ...(ticket.status === "new" ? statusColumns(ticket, "open", policy, now) : {}),
    };
    await writeRecord<Ticket>(tx, ctx, tickets, ticket, columns, "first-response");
  }
  return presentComment(comment);
}

/** A ticket's thread, oldest first. */
export async function listComments(db: Tx, ctx: OrgContext, input: z.output<typeof listCommentsInput>) {
  await findRecord(db, ctx, tickets, input.id);
  const page = keysetPage({ field: "createdAt", type: "date", order: "asc" }, input.limit, input.cursor);
  const rows = await db.ticketComment.findMany({
    where: {
      AND: [
        { organizationId: ctx.org.id, ticketId: input.id, deletedAt: null },
        ...(input.isPublic === undefined ? [] : [{ isPublic: input.isPublic }]),
        page.where,
      ],
    },
    orderBy: page.orderBy,
    take: page.take,
  });
  const result = page.toPage(rows);
  return { items: result.items.map(presentComment), nextCursor: result.nextCursor };
}
