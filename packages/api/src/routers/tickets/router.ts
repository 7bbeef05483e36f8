import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { resourceAction, resourceProcedures, staticRoutesFirst, writeAndPresent } from "../../kit/procedures.ts";
import { updateRecord } from "../../kit/records.ts";
import { idInput, idSchema, okOutput } from "../../lib/schemas.ts";
import {
  addComment,
  addCommentInput,
  commentOutput,
  commentsPage,
  customerReplyInput,
  deleteComment,
  deleteCommentInput,
  listComments,
  listCommentsInput,
  updateComment,
  updateCommentInput,
} from "./comments.ts";
import { ticketOutput, tickets } from "./schemas.ts";
import { ticketStats, ticketStatsOutput } from "./stats.ts";
import { changeTicketStatus, reopenTicket, TARGET_STATUSES } from "./workflow.ts";

const standard = resourceProcedures(tickets, {
  create: "Open a ticket: numbered T-<n> per organization, measured by the default SLA policy unless another is named",
  update: "Change some fields of a ticket (the status only moves through status, resolve and reopen)",
});

export const ticketsRouter = staticRoutesFirst({
  ...standard,

  stats: resourceAction(tickets, "read", {
    method: "GET",
    path: "/stats",
    summary:
      "Open tickets by priority and status, average and median first response and resolution times, breach rate, by assignee and channel",
  })
    .input(tickets.schemas.filters)
    .output(ticketStatsOutput)
    .query(({ ctx, input }) => ticketStats(ctx.db, ctx, input)),

  setStatus: resourceAction(tickets, "write", {
    method: "POST",
    path: "/{id}/status",
    summary: "Move a ticket to another status the workflow allows (409 naming the allowed ones otherwise)",
    description:
      "new → open, pending, on_hold, resolved, closed; open → pending, on_hold, resolved, closed; pending → open, on_hold, resolved, closed; on_hold → open, pending, resolved, closed; resolved → closed; resolved and closed → open only by reopen. The SLA clock stops while pending, on_hold, resolved or closed.",
  })
    .input(z.strictObject({ id: idSchema, status: z.enum(TARGET_STATUSES) }))
    .output(ticketOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, tickets, (tx) => changeTicketStatus(tx, ctx, input.id, input.status))),

  resolve: resourceAction(tickets, "write", {
    method: "POST",
    path: "/{id}/resolve",
    summary: "Resolve a ticket (its resolution time is measured)",
  })
    .input(idInput)
    .output(ticketOutput)
    .mutation(({ ctx, input }) =>
      writeAndPresent(ctx, tickets, (tx) => changeTicketStatus(tx, ctx, input.id, "resolved", "resolve")),
    ),

  reopen: resourceAction(tickets, "write", {
    method: "POST",
    path: "/{id}/reopen",
    summary: "Reopen a resolved or closed ticket: back to open, its SLA clock running on",
  })
    .meta({ preparedBy: "resolve" })
    .input(idInput)
    .output(ticketOutput)
    .mutation(({ ctx, input }) => writeAndPresent(ctx, tickets, (tx) => reopenTicket(tx, ctx, input.id))),

  assign: resourceAction(tickets, "write", {
    method: "POST",
    path: "/{id}/assign",
    summary: "Assign a ticket to a member (yourself, or anyone with tickets:assign), or to nobody",
  })
    .input(
      z.strictObject({ id: idSchema, assigneeId: idSchema.nullable().meta({ description: "The member; null for nobody." }) }),
    )
    .output(ticketOutput)
    .mutation(({ ctx, input }) =>
      writeAndPresent(ctx, tickets, (tx) => updateRecord(tx, ctx, tickets, input.id, { assigneeId: input.assigneeId })),
    ),

  comments: resourceAction(tickets, "read", {
    method: "GET",
    path: "/{id}/comments",
    summary: "A ticket's thread of public replies and internal notes, oldest first",
  })
    .input(listCommentsInput)
    .output(commentsPage)
    .query(({ ctx, input }) => listComments(ctx.db, ctx, input)),

  createComment: resourceAction(tickets, "write", {
    method: "POST",
    path: "/{id}/comments",
    summary: "Reply on a ticket or add an internal note (the first public reply by a member is the first response; new → open)",
  })
    .input(addCommentInput)
    .output(commentOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => addComment(tx, ctx, input))),

  customerReply: resourceAction(tickets, "write", {
    method: "POST",
    path: "/{id}/customer-reply",
    summary:
      "Record a customer's reply (received by email, phone, chat): a public comment by the contact; a pending ticket goes back to open, a resolved one is reopened",
  })
    .input(customerReplyInput)
    .output(commentOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => addComment(tx, ctx, { ...input, isPublic: true }))),

  updateComment: resourceAction(tickets, "write", {
    method: "PATCH",
    path: "/{id}/comments/{commentId}",
    summary: "Edit a comment's body (its author, or a member with tickets:delete)",
  })
    .input(updateCommentInput)
    .output(commentOutput)
    .mutation(({ ctx, input }) => ctx.db.$transaction((tx) => updateComment(tx, ctx, input))),

  deleteComment: resourceAction(tickets, "write", {
    method: "DELETE",
    path: "/{id}/comments/{commentId}",
    summary: "Take a comment out of the thread (its author, or a member with tickets:delete); the audit log keeps it",
  })
    .input(deleteCommentInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.$transaction((tx) => deleteComment(tx, ctx, input));
      return { ok: true as const };
    }),
} satisfies TRPCRouterRecord);
