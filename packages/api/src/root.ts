import { RESOURCE_ROUTERS } from "./resources.ts";
import { apiKeysRouter } from "./routers/apiKeys/router.ts";
import { authRouter } from "./routers/auth/router.ts";
import { employeesRouter } from "./routers/employees/router.ts";
import { importsRouter } from "./routers/imports/router.ts";
import { membersRouter } from "./routers/members/router.ts";
import { organizationsRouter } from "./routers/organizations/router.ts";
import { rolesRouter } from "./routers/roles/router.ts";
import { usersRouter } from "./routers/users/router.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  organizations: organizationsRouter,
  members: membersRouter,
  employees: employeesRouter,
  roles: rolesRouter,
  users: usersRouter,
  apiKeys: apiKeysRouter,
  ...RESOURCE_ROUTERS,
  imports: importsRouter,
});

export type AppRouter = typeof appRouter;
