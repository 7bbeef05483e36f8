import type { ExportableResource } from "./exports/records.ts";
import type { ImportableResource } from "./imports/record-writer.ts";

/** What the import and export machinery knows of one resource; the composition file (resources.ts) declares them. */
export interface FileResource {
  /** The records' name in summaries and messages: `leads`. */
  label: string;
  import?: ImportableResource;
  export?: ExportableResource;
}

/**
 * The importable and exportable resources by router key. Handed to the API as a service
 * (`ApiServices.resources`), so imports/ and exports/ reach each resource's definition without
 * importing its router.
 */
export type ResourceRegistry = Readonly<Record<string, FileResource>>;

/** The resources of the registry that can be imported, by router key. */
export function importableResources(registry: ResourceRegistry): ImportableResource[] {
  return Object.values(registry).flatMap((entry) => (entry.import ? [entry.import] : []));
}

/**
 * The importable resource a stored job names: its router key, or the audit entity type that jobs
 * queued before router keys were stored carry (`lead`).
 */
export function importableOf(registry: ResourceRegistry, resource: string): ImportableResource | undefined {
  return importableResources(registry).find((entry) => entry.key === resource || entry.entityType === resource);
}
