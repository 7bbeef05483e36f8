import path from "node:path";
import { defineConfig } from "@prisma/config";

// The CLI insists on a native schema engine binary before generate/validate/format even though
// those commands never run it; the binary host is unreachable on our machines. Any existing file
// satisfies the check, and a real engine installed elsewhere still wins.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve("package.json");

export default defineConfig({
  schema: path.join("prisma", "schema"),
  migrations: { path: path.join("prisma", "migrations") },
});
