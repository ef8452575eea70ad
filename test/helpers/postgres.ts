import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Fresh databases on a real PostgreSQL (this machine kind runs one at 127.0.0.1:5432, trust auth), dropped
 * by `dropAll`. Without a server the tests that use them fail: they are never skipped.
 */
export const POSTGRES_SERVER = process.env.SHARDSTORE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432';

export class TestDatabases {
  private readonly created: string[] = [];

  async fresh(): Promise<string> {
    const name = `shardstore_test_${randomBytes(6).toString('hex')}`;
    await this.admin(`CREATE DATABASE ${name}`);
    this.created.push(name);
    return `${POSTGRES_SERVER}/${name}`;
  }

  async dropAll(): Promise<void> {
    for (const name of this.created.splice(0)) await this.admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  private async admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: `${POSTGRES_SERVER}/postgres` });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}
