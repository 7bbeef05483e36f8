import { randomUUID } from "node:crypto";
import {
  type ApiServices,
  type AppRouter,
  appRouter,
  createContextFactory,
  DEFAULT_IMPORT_SETTINGS,
  ImportRunner,
  LoginThrottle,
  openApiDocument,
  PrincipalCache,
  RESOURCES,
  type RequestInfo,
  type ResourceRegistry,
  retryAfterSecondsOf,
  translateDatabaseError,
} from "@crm/api";
import type { Database } from "@crm/db";
import cors from "@fastify/cors";
import { type FastifyHandlerOptions, fastifyRequestHandler } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { fastifyTRPCOpenApiPlugin } from "trpc-to-openapi";
import type { Config } from "./config.ts";
import { drainConnectionsOnClose } from "./connection-drain.ts";
import { registerDocs } from "./docs.ts";
import { registerFileRoutes } from "./file-routes.ts";
import { checkJsonObjectBody, parseJsonText, registerJsonBodyParser } from "./json-body.ts";
import type { LogOutput } from "./log-output.ts";
import { checkUrl, clientErrorHandler, frameworkErrors, MAX_URL_BYTES } from "./request-guards.ts";
import { addRequestIdToTrpcErrors, fastifyErrorHandler, normalizeBridgeError } from "./rest-errors.ts";
import { restOperations } from "./rest-operations.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** Credentials checked recently (see PrincipalCache); a change made behind the API's back must empty it. */
    principalCache: PrincipalCache;
  }
}

export interface AppOptions {
  config: Config;
  database: Database;
  /** Where log lines go (the process's stdout in main.ts); pino's default destination otherwise. */
  logOutput?: LogOutput;
  /** The importable and exportable resources; the API's RESOURCES unless a test declares its own. */
  resources?: ResourceRegistry;
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;

function requestInfo(request: FastifyRequest): RequestInfo {
  return {
    requestId: request.id,
    ip: request.ip,
    userAgent: request.headers["user-agent"],
    authorization: request.headers.authorization,
    undeclaredQueryParameters: request.undeclaredQueryParameters,
  };
}

/** Retry-After for a response whose errors ask the caller to wait (throttled, database unavailable): the longest wait. */
function retryAfterHeaders(errors: readonly { cause?: unknown }[]) {
  const seconds = errors.map(retryAfterSecondsOf).filter((value) => value !== undefined);
  return seconds.length ? { headers: new Headers({ "Retry-After": String(Math.max(...seconds)) }) } : {};
}

export async function buildApp({ config, database, logOutput, resources = RESOURCES }: AppOptions) {
  const app = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      ...(config.LOG_PRETTY
        ? { transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss" } } }
        : { stream: logOutput }),
      redact: ["req.headers.authorization", "req.headers.cookie"],
    },
    // While closing, requests on open connections are served (with Connection: close); see drainConnectionsOnClose.
    return503OnClosing: false,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    logController: new LogController({ requestIdLogLabel: "requestId" }),
    genReqId: (request) => {
      const incoming = request.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // A path parameter may be as long as the URL may be (the URL limit answers first).
    routerOptions: { maxParamLength: MAX_URL_BYTES },
    frameworkErrors,
    clientErrorHandler,
  });
  registerJsonBodyParser(app);

  const document = openApiDocument("/api/v1");
  drainConnectionsOnClose(app);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  app.addHook("onRequest", checkUrl);
  app.decorateRequest("undeclaredQueryParameters", undefined);
  app.addHook("onRequest", restOperations(document, "/api/v1"));
  app.setErrorHandler(fastifyErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ code: "NOT_FOUND", message: `No route for ${request.method} ${request.url.split("?")[0]}`, requestId: request.id }),
  );

  if (config.corsOrigins) {
    await app.register(cors, { origin: config.corsOrigins, credentials: true, exposedHeaders: ["x-request-id", "retry-after"] });
  }

  const services: ApiServices = {
    db: database.prisma,
    auth: {
      jwtSecret: config.jwtSecret,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
    },
    loginThrottle: new LoginThrottle({
      failuresPerAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      attemptsPerIp: config.LOGIN_MAX_ATTEMPTS_PER_IP,
      signupsPerIp: config.SIGNUP_MAX_PER_IP,
      windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
    }),
    principalCache: new PrincipalCache(config.AUTH_CACHE_TTL_MS),
    importQueue: { directory: config.importDir, wake: () => importRunner?.wake() },
    resources,
  };
  const createContext = createContextFactory(services);
  app.decorate("principalCache", services.principalCache);

  const importRunner = config.IMPORT_RUNNER
    ? new ImportRunner(
        services,
        {
          ...DEFAULT_IMPORT_SETTINGS,
          directory: config.importDir,
          batchSize: config.IMPORT_BATCH_SIZE,
          concurrency: config.IMPORT_CONCURRENCY,
          pollIntervalMs: config.IMPORT_POLL_INTERVAL_MS,
          staleAfterMs: config.IMPORT_STALE_AFTER_SECONDS * 1000,
          soleRunner: database.kind === "pglite",
        },
        app.log.child({ component: "imports" }),
      )
    : undefined;
  app.decorate("importRunner", importRunner);
  // Jobs left by a previous process are resumed once the server is up; an orderly close puts
  // the running ones back in the queue between two batches.
  app.addHook("onReady", async () => importRunner?.start());
  app.addHook("onClose", async () => importRunner?.stop());

  const onError = ({ error, path, req }: { error: { code: string; message: string }; path?: string; req: unknown }) => {
    if (error.code === "INTERNAL_SERVER_ERROR") (req as FastifyRequest).log.error({ err: error, path }, "procedure failed");
    // One line per request, without a stack: the cause is the database, not this request.
    if (error.code === "SERVICE_UNAVAILABLE")
      (req as FastifyRequest).log.warn({ path, reason: error.message }, "procedure unavailable");
  };

  database.onConnectionError((error) =>
    app.log.warn({ reason: error.message }, "a database connection was closed; it is replaced on the next query"),
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      await database.ping();
      return { status: "ready", database: database.kind };
    } catch (error) {
      const unavailable = translateDatabaseError(error);
      const message = unavailable?.code === "SERVICE_UNAVAILABLE" ? unavailable.message : "The database check failed";
      app.log.warn({ reason: error instanceof Error ? error.message : String(error) }, "readiness check failed");
      const retryAfter = unavailable ? retryAfterSecondsOf(unavailable) : undefined;
      if (retryAfter !== undefined) reply.header("retry-after", String(retryAfter));
      return reply.status(503).send({ status: "unavailable", database: database.kind, message });
    }
  });

  await app.register(async (trpc) => {
    trpc.addHook("onSend", async (request, _reply, payload) => {
      // The tRPC adapter answers with a fetch Response; fastify applies its status after this hook.
      if (!(payload instanceof Response) || payload.status < 400) return payload;
      const headers = new Headers(payload.headers);
      headers.delete("content-length");
      const body = addRequestIdToTrpcErrors(await payload.text(), request.id);
      return new Response(body, { status: payload.status, headers });
    });
    // A query's input comes in the URL; it meets the rules of a JSON body.
    trpc.addHook("preHandler", async (request) => {
      const { input } = request.query as { input?: unknown };
      if (typeof input === "string") parseJsonText(input, "JSON input");
    });
    const trpcOptions = {
      router: appRouter,
      createContext: ({ req }) => createContext(requestInfo(req)),
      responseMeta: ({ errors }) => retryAfterHeaders(errors),
      onError,
    } satisfies FastifyHandlerOptions<AppRouter, FastifyRequest, FastifyReply>;
    // tRPC's own Fastify plugin installs a body parser of its own; this route takes the app's JSON parser.
    trpc.all<{ Params: { path: string } }>("/trpc/:path", (req, res) =>
      fastifyRequestHandler({ ...trpcOptions, req, res, path: req.params.path }),
    );
  });

  await registerFileRoutes(app, { config, createContext, requestInfo, runner: importRunner, resources: services.resources });

  await registerDocs(app, document);

  await app.register(async (rest) => {
    rest.addHook("preHandler", async (request) => {
      if (request.body !== undefined) {
        checkJsonObjectBody(request.body);
        // The app's JSON parser (the only one here) took the body, whatever the case of its media
        // type; the bridge compares it case-sensitively.
        request.headers["content-type"] = "application/json";
      } else if (!request.headers["content-type"] && ["POST", "PATCH", "PUT"].includes(request.method)) {
        // Action routes (logout, switch, revoke, ...) need no body; let callers leave it out.
        request.headers["content-type"] = "application/json";
        request.body = {};
      }
    });
    rest.addHook("onSend", async (request, reply, payload) => {
      if (reply.statusCode < 400 || typeof payload !== "string") return payload;
      // The bridge has already cut its base path off the request's URL.
      return normalizeBridgeError(payload, request.id, `${request.method} /api/v1${request.url.split("?")[0]}`);
    });
    await rest.register(fastifyTRPCOpenApiPlugin, {
      basePath: "/api/v1",
      router: appRouter,
      createContext: ({ req }: { req: unknown }) => createContext(requestInfo(req as FastifyRequest)),
      responseMeta: ({ errors }: { errors: readonly { cause?: unknown }[] }) => {
        const meta = retryAfterHeaders(errors);
        return meta.headers ? { headers: Object.fromEntries(meta.headers) } : {};
      },
      onError,
    });
  });

  return app;
}
