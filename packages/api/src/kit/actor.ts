import { z } from "zod";

/** Who did something, as the API shows it: a user or an API key of the organization, with its name. */
export const actorOutput = z.object({
  kind: z.enum(["user", "apiKey", "unknown"]),
  id: z.string().nullable(),
  name: z.string().nullable(),
});
export type Actor = z.output<typeof actorOutput>;
