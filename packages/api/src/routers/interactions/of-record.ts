import { listRecords } from "../../kit/list.ts";
import { resourceAction } from "../../kit/procedures.ts";
import { findRecord } from "../../kit/records.ts";
import type { AnyResource } from "../../kit/resource.ts";
import { pageOutputSchema } from "../../lib/pagination.ts";
import { interactionOutput, interactions, recordInteractionsInput } from "./schemas.ts";

/**
 * `GET /<resource>/{id}/interactions`: the interactions linked to one record, newest first by
 * when they happened, gated by reading the record. `link` is the interaction's column naming it.
 */
export function recordInteractions(resource: AnyResource, link: "leadId" | "contactId" | "companyId" | "dealId") {
  return resourceAction(resource, "read", {
    method: "GET",
    path: "/{id}/interactions",
    summary: `Interactions linked to a ${resource.singular}, newest first by when they happened`,
  })
    .input(recordInteractionsInput)
    .output(pageOutputSchema(interactionOutput))
    .query(async ({ ctx, input }) => {
      await findRecord(ctx.db, ctx, resource, input.id);
      const { id, ...page } = input;
      return listRecords(ctx.db, ctx, interactions, {
        ...page,
        [link]: id,
        sortBy: "occurredAt",
        deleted: "exclude",
      }) as never;
    });
}
