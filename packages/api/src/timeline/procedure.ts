import { resourceAction } from "../kit/procedures.ts";
import type { AnyResource } from "../kit/resource.ts";
import { readTimeline, timelineInput, timelineOutput } from "./feed.ts";
import type { TimelineResourceKey } from "./registry.ts";

/**
 * `GET /<resource>/{id}/timeline`, gated by reading the record: a router adds its timeline with
 * one line, `timeline: timelineProcedure(<resource>)`.
 */
export function timelineProcedure(resource: AnyResource & { key: TimelineResourceKey }) {
  return resourceAction(resource, "read", {
    method: "GET",
    path: "/{id}/timeline",
    summary: `Timeline of a ${resource.singular}: interactions, field changes, notes, stage moves, conversions and merges, newest first`,
    description:
      "Keyset pages (pass back nextCursor); `types` filters by entry type. Rolled-up entries (a company's contacts and deals, a contact's converted leads) carry `via`.",
  })
    .input(timelineInput)
    .output(timelineOutput)
    .query(({ ctx, input }) => readTimeline(ctx.db, ctx, resource, input));
}
