import { randomBytes } from "node:crypto";
import { openDatabase } from "@crm/db";
import pg from "pg";

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTemplateDatabase(url: string): Promise<string> {
  const name = `crm_template_${randomBytes(4).toString("hex")}`;
  await admin(url, (client) => client.query(`CREATE DATABASE "${name}"`));
  const database = await openDatabase({ kind: "postgres", url: withDatabase(url, name), poolSize: 1 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  return name;
}

/** A fresh database copied from the migrated template; returns its URL. */
export async function cloneTemplate(url: string, template: string): Promise<{ url: string; name: string }> {
  const name = `crm_test_${randomBytes(6).toString("hex")}`;
  await admin(url, (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return { url: withDatabase(url, name), name };
}

export async function dropDatabase(url: string, name: string): Promise<void> {
  await admin(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
