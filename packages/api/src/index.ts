import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./root.ts";

export { PrincipalCache } from "./auth/principal-cache.ts";
export { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSettings } from "./auth/throttle.ts";
export type { AuthSettings } from "./auth/tokens.ts";
export { type ApiServices, type Context, createContextFactory, type RequestInfo } from "./context.ts";
export {
  DatabaseUnavailableError,
  describeIssues,
  type ErrorDetails,
  errorDetailsOf,
  retryAfterSecondsOf,
  summarizeIssues,
  ThrottledError,
  translateDatabaseError,
} from "./errors.ts";
export { type ExportableResource, exportInputOf, exportRecords } from "./exports/records.ts";
export { EXPORT_FORMATS, type ExportColumn, type ExportFormat } from "./exports/table-stream.ts";
export type { ImportField } from "./imports/columns.ts";
export { importFormatOf } from "./imports/inspect.ts";
export { importErrorsCsv, queueImport, type StoredUpload } from "./imports/jobs.ts";
export { type ImportOptions, type ImportOptionsInput, importOptionsInput } from "./imports/options.ts";
export type { DuplicateKey, ImportableResource, ImportOwnerColumn, PlannedUpdate } from "./imports/record-writer.ts";
export { DEFAULT_IMPORT_SETTINGS, ImportRunner, type ImportRunnerSettings } from "./imports/runner.ts";
export { addBusinessSeconds, type BusinessClock, businessSecondsBetween } from "./lib/business-time.ts";
export { heapGrowthLimit } from "./lib/heap-growth.ts";
export { assertStorableText } from "./lib/storable-text.ts";
export { API_TITLE, openApiDocument } from "./openapi.ts";
export { BUILT_IN_ROLES, PERMISSIONS, type Permission, RECORD_RESOURCES } from "./permissions.ts";
export type { FileResource, ResourceRegistry } from "./resource-registry.ts";
export {
  type ExportableResourceKey,
  IMPORT_PERMISSIONS,
  IMPORTABLE_RESOURCE_KEYS,
  type ImportableResourceKey,
  RESOURCES,
} from "./resources.ts";
export { type AppRouter, appRouter } from "./root.ts";
export { overlappingMeetingsSql } from "./routers/meetings/conflicts.ts";
export { meetingCalendarFile } from "./routers/meetings/ics.ts";
export { DEMO_LOGIN, seedDemoData } from "./seed.ts";
export { timelineSql } from "./timeline/feed.ts";
export type { TimelineRecord, TimelineResourceKey } from "./timeline/registry.ts";
export { authorize, createCallerFactory, type OrgContext, type ProcedureMeta } from "./trpc.ts";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
