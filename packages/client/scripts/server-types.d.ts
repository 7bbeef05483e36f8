// Stand-ins for server-side types that AppRouter names but a client never uses: they keep the
// server's database client, zod and trpc-to-openapi out of the client's declarations.

/** The server's per-request context (database client, caches, settings). */
export type Context = object;

/** What the server reads from a procedure's metadata (its permission). */
export type ProcedureMeta = object;

/** A procedure's REST routing metadata, read by the server's OpenAPI bridge. */
export type OpenApiMeta<TMeta = object> = TMeta;
