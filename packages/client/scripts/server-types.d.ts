// The published declarations' stand-ins for the server-side types AppRouter names but a client
// never uses (see build.ts): declaring them here keeps Prisma, zod and trpc-to-openapi out.

/** The server's per-request context (database client, caches, settings). */
export type Context = object;

/** What the server reads from a procedure's metadata (its permission). */
export type ProcedureMeta = object;

/** A procedure's REST routing metadata, read by the server's OpenAPI bridge. */
export type OpenApiMeta<TMeta = object> = TMeta;
