import { apiKeysRouter } from "./routers/apiKeys/router.ts";
import { authRouter } from "./routers/auth/router.ts";
import { companiesRouter } from "./routers/companies/router.ts";
import { customersRouter, vendorsRouter } from "./routers/companies/shortcuts.ts";
import { contactsRouter } from "./routers/contacts/router.ts";
import { importsRouter } from "./routers/imports/router.ts";
import { leadsRouter } from "./routers/leads/router.ts";
import { membersRouter } from "./routers/members/router.ts";
import { organizationsRouter } from "./routers/organizations/router.ts";
import { rolesRouter } from "./routers/roles/router.ts";
import { usersRouter } from "./routers/users/router.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  organizations: organizationsRouter,
  members: membersRouter,
  roles: rolesRouter,
  users: usersRouter,
  apiKeys: apiKeysRouter,
  leads: leadsRouter,
  companies: companiesRouter,
  customers: customersRouter,
  vendors: vendorsRouter,
  contacts: contactsRouter,
  imports: importsRouter,
});

export type AppRouter = typeof appRouter;
