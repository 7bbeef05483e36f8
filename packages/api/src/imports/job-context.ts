import type { ImportJob } from "@crm/db";
import type { Principal } from "../auth/credentials.ts";
import type { ApiServices, Context } from "../context.ts";
import { forbidden, notFound } from "../errors.ts";
import { importableOf } from "../resource-registry.ts";
import { type OrgContext, orgContextOf, requirePermission } from "../trpc.ts";

/**
 * The organization context a background import acts in: the user or API key that uploaded the
 * file, as they are now. Whoever has since been deactivated, removed, revoked or stripped of
 * the import permission of the job's resource (`<job.resource>:import`) can no longer import
 * (FORBIDDEN). Audit entries carry the upload's request id.
 */
export async function importJobContext(services: ApiServices, job: ImportJob): Promise<OrgContext> {
  const resource = importableOf(services.resources, job.resource);
  if (!resource) throw notFound("Import");
  const ctx: Context = { ...services, requestId: job.requestId ?? `import-${job.id}`, ip: "import-runner" };
  const principal = await uploaderPrincipal(services, job);
  const orgContext = orgContextOf(ctx, principal);
  requirePermission(orgContext, resource.permission);
  return orgContext;
}

async function uploaderPrincipal({ db }: ApiServices, job: ImportJob): Promise<Principal> {
  if (job.createdByApiKeyId) {
    const apiKey = await db.apiKey.findFirst({
      where: { id: job.createdByApiKeyId, organizationId: job.organizationId },
      include: { role: true },
    });
    if (!apiKey || apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt <= new Date())) {
      throw forbidden("the API key that uploaded the file has been revoked or has expired");
    }
    return { kind: "apiKey", apiKeyId: apiKey.id, organizationId: apiKey.organizationId, role: apiKey.role };
  }
  const membership = job.createdByUserId
    ? await db.membership.findUnique({
        where: { organizationId_userId: { organizationId: job.organizationId, userId: job.createdByUserId } },
        include: { role: true, user: true },
      })
    : null;
  if (!membership?.user.isActive) {
    throw forbidden("the user who uploaded the file is no longer a member of this organization");
  }
  return {
    kind: "user",
    user: { id: membership.user.id, email: membership.user.email, name: membership.user.name },
    // A job has no session; nothing an import does reads it.
    sessionId: "",
    organizationId: job.organizationId,
    membership: { id: membership.id, active: membership.status === "active", role: membership.role },
  };
}
