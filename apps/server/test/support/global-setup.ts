import type { TestProject } from "vitest/node";
import { createTemplateDatabase, dropDatabase } from "./postgres.ts";

/**
 * Against PostgreSQL (TEST_DATABASE_URL or DATABASE_URL set), builds one migrated template
 * database per run; every test file then gets its own copy. Against PGlite nothing is shared:
 * each file migrates its own in-memory database.
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) return;
  const template = await createTemplateDatabase(url);
  project.provide("postgresTemplate", template);
  return async () => {
    await dropDatabase(url, template);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    postgresTemplate: string | undefined;
  }
}
