import pg from 'pg';
import type { TestPostgres } from './postgres.js';

/**
 * Creates database `name` on a throw-away cluster and returns its URL: a test (or a bench
 * phase) gets a shared index of its own without a cluster of its own.
 */
export async function createDatabase(postgres: TestPostgres, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return postgres.url.replace(/\/postgres$/, `/${name}`);
}
