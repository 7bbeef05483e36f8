import type { PrismaClient } from "@crm/db";
import type { PrincipalCache } from "./auth/principal-cache.ts";
import type { LoginThrottle } from "./auth/throttle.ts";
import type { AuthSettings } from "./auth/tokens.ts";
import type { ResourceRegistry } from "./resource-registry.ts";

/** Long-lived dependencies, built once by the host. */
export interface ApiServices {
  db: PrismaClient;
  auth: AuthSettings;
  loginThrottle: LoginThrottle;
  principalCache: PrincipalCache;
  importQueue: ImportQueue;
  /** The importable and exportable resources (resources.ts's RESOURCES): how imports/ and exports/ reach them. */
  resources: ResourceRegistry;
}

/** Where uploads wait for their import job, and how to tell this process's runner a job is queued. */
export interface ImportQueue {
  directory: string;
  wake(): void;
}

/** What the host extracts from each request; the API never sees the HTTP framework. */
export interface RequestInfo {
  requestId: string;
  ip: string;
  userAgent?: string;
  /** The raw `Authorization` header. */
  authorization?: string;
  /** REST: the query parameters the operation does not declare (refused like unknown input fields). */
  undeclaredQueryParameters?: readonly string[];
}

export type Context = ApiServices & RequestInfo;

export function createContextFactory(services: ApiServices) {
  return (request: RequestInfo): Context => ({ ...services, ...request });
}
