import type { Prisma, Ticket, TicketComment } from "@crm/db";
import { z } from "zod";
import { forbidden } from "../../errors.ts";
import { checkReference, findRecord, referenceNotFound, writeRecord } from "../../kit/records.ts";
import { writeAudit } from "../../lib/audit.ts";
import { keysetPage, pageInputShape, pageOutputSchema } from "../../lib/pagination.ts";
import { idSchema, timestamp } from "../../lib/schemas.ts";
import type { OrgContext } from "../../trpc.ts";
import { contacts } from "../contacts/schemas.ts";
import { policyOfTicket, statusColumns } from "./columns.ts";
import { tickets } from "./schemas.ts";
import { clockOf, elapsedSeconds } from "./sla.ts";
import { lockLiveTicket, reopenColumns } from "./workflow.ts";

type Tx = Prisma.TransactionClient;

export const commentOutput = z.object({
  id: z.uuid(),
  ticketId: z.uuid(),
  body: z.string(),
  isPublic: z.boolean().meta({ description: "A public reply (the customer sees it) or an internal note." }),
  authorUserId: z.uuid().nullable(),
  authorApiKeyId: z.uuid().nullable(),
  authorContactId: z.uuid().nullable().meta({
    description:
      "The contact who wrote a customer's reply; such a reply has no member or API key as author (the audit log names who recorded it).",
  }),
  createdAt: timestamp,
  updatedAt: timestamp.meta({ description: "Later than createdAt once the body was edited." }),
});

export const addCommentInput = z.strictObject({
  id: idSchema.meta({ description: "The ticket." }),
  body: z.string().trim().min(1, { error: "must not be empty" }).max(20_000),
  isPublic: z
    .boolean()
    .default(true)
    .meta({ description: "false: an internal note. The first public reply by a member is the first response." }),
});

export const customerReplyInput = z.strictObject({
  id: idSchema.meta({ description: "The ticket." }),
  contactId: idSchema.meta({ description: "The customer who wrote it (a contact of the organization)." }),
  body: addCommentInput.shape.body,
});

/** A comment of the ticket `id` (the generators make one there). */
const commentId = idSchema.meta({ description: "A comment of this ticket.", "x-within": "id" });

export const updateCommentInput = z.strictObject({
  id: idSchema.meta({ description: "The ticket." }),
  commentId,
  body: addCommentInput.shape.body,
});

export const deleteCommentInput = z.strictObject({ id: idSchema.meta({ description: "The ticket." }), commentId });

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
  const { organizationId: _org, deletedAt: _deleted, ...shown } = comment;
  return shown;
}

const ENTITY_TYPE = "ticket comment";
const audited = (comment: TicketComment) => ({
  ticketId: comment.ticketId,
  isPublic: comment.isPublic,
  body: comment.body,
  authorContactId: comment.authorContactId,
});

/**
 * Adds a reply or note to a live ticket as the caller (or, with `contactId`, a customer's reply).
 * A member's first public reply is the ticket's first response (measured on its clock), and a new
 * ticket becomes open on it. A customer's reply answers the desk: a ticket waiting on the customer
 * (pending) or resolved goes back to open, its clock running again.
 */
export async function addComment(tx: Tx, ctx: OrgContext, input: z.output<typeof addCommentInput> & { contactId?: string }) {
  const ticket = await lockLiveTicket(tx, ctx, input.id);
  const fromContact = input.contactId !== undefined;
  if (input.contactId !== undefined) await checkReference(tx, ctx, contacts, "contactId", input.contactId);
  const comment = await tx.ticketComment.create({
    data: {
      organizationId: ctx.org.id,
      ticketId: ticket.id,
      body: input.body,
      isPublic: input.isPublic,
      // One author: the customer, or the member or API key writing.
      authorUserId: fromContact ? null : ctx.actor.userId,
      authorApiKeyId: fromContact ? null : ctx.actor.apiKeyId,
      authorContactId: input.contactId ?? null,
    },
  });
  await writeAudit(tx, ctx, {
    action: "create",
    entityType: ENTITY_TYPE,
    entityId: comment.id,
    before: null,
    after: audited(comment),
  });
  if (fromContact) {
    await answerFromCustomer(tx, ctx, ticket, comment.createdAt);
  } else if (input.isPublic && ctx.actor.userId && !ticket.firstResponseAt) {
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

/** The customer answered: a ticket waiting on them, or resolved, is worked on again. */
async function answerFromCustomer(tx: Tx, ctx: OrgContext, ticket: Ticket, now: Date) {
  if (ticket.status !== "pending" && ticket.status !== "resolved") return;
  const policy = await policyOfTicket(tx, ctx, ticket);
  if (ticket.status === "pending") {
    await writeRecord<Ticket>(tx, ctx, tickets, ticket, statusColumns(ticket, "open", policy, now), "customer-reply");
  } else {
    await writeRecord<Ticket>(tx, ctx, tickets, ticket, reopenColumns(ticket, policy, now), "reopen");
  }
}

/**
 * A live comment of the live ticket, locked; changing it needs being its author (the member or API
 * key that wrote or recorded it) or `tickets:delete`, which lets managers moderate a thread.
 */
async function lockOwnComment(tx: Tx, ctx: OrgContext, ticketId: string, commentId: string): Promise<TicketComment> {
  await lockLiveTicket(tx, ctx, ticketId);
  const rows = await tx.$queryRawUnsafe<TicketComment[]>(
    `SELECT * FROM "TicketComment"
     WHERE "organizationId" = $1::uuid AND "ticketId" = $2::uuid AND "id" = $3::uuid AND "deletedAt" IS NULL FOR UPDATE`,
    ctx.org.id,
    ticketId,
    commentId,
  );
  const comment = rows[0];
  if (!comment) throw referenceNotFound("commentId", "no comment of this ticket has this id");
  const own =
    (ctx.actor.userId !== null && comment.authorUserId === ctx.actor.userId) ||
    (ctx.actor.apiKeyId !== null && comment.authorApiKeyId === ctx.actor.apiKeyId);
  if (!own && !ctx.permissions.has("tickets:delete")) {
    throw forbidden("only the comment's author or a member with tickets:delete may change it");
  }
  return comment;
}

/** Edits a comment's body (its place in the thread and the ticket's measured times stay). */
export async function updateComment(tx: Tx, ctx: OrgContext, input: z.output<typeof updateCommentInput>) {
  const before = await lockOwnComment(tx, ctx, input.id, input.commentId);
  const after = await tx.ticketComment.update({ where: { id: before.id }, data: { body: input.body } });
  await writeAudit(tx, ctx, {
    action: "update",
    entityType: ENTITY_TYPE,
    entityId: before.id,
    before: audited(before),
    after: audited(after),
  });
  return presentComment(after);
}

/** Takes a comment out of the thread (kept, soft-deleted; the audit log keeps what it said). */
export async function deleteComment(tx: Tx, ctx: OrgContext, input: z.output<typeof deleteCommentInput>) {
  const before = await lockOwnComment(tx, ctx, input.id, input.commentId);
  await tx.ticketComment.update({ where: { id: before.id }, data: { deletedAt: new Date() } });
  await writeAudit(tx, ctx, {
    action: "delete",
    entityType: ENTITY_TYPE,
    entityId: before.id,
    before: audited(before),
    after: null,
  });
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
