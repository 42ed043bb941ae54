import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Changes to what access checks read (credentials, principals, grants, vaults, keys and their versions) NOTIFY
 * `keybridge_changes` with the table's name, delivered at commit; every gateway and worker LISTENs and empties its
 * caches of that table (libs/platform ChangeFeed). One notification per statement.
 *
 * Inserts of keys, versions, tokens and principals notify nothing: caches hold only rows that exist, so a new row
 * cannot be stale anywhere — and a NOTIFY serialises committing transactions on Postgres's notification queue
 * lock, which the hot creation paths (createKey) should not pay. Grants notify on insert too: a cache may hold
 * "no grant on this vault" for a principal.
 */
export class ChangeNotifications1764010000000 implements MigrationInterface {
  name = 'ChangeNotifications1764010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION keybridge_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('keybridge_changes', TG_TABLE_NAME);
        RETURN NULL;
      END $$;
    `);
    for (const [table, events] of TRIGGERS) {
      await q.query(`CREATE TRIGGER ${table}_notify_change AFTER ${events} ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION keybridge_notify_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table] of TRIGGERS) await q.query(`DROP TRIGGER ${table}_notify_change ON ${table}`);
    await q.query('DROP FUNCTION keybridge_notify_change()');
  }
}

const TRIGGERS: ReadonlyArray<[string, string]> = [
  ['api_tokens', 'UPDATE OR DELETE'],
  ['principals', 'UPDATE OR DELETE'],
  ['grants', 'INSERT OR UPDATE OR DELETE'],
  ['vaults', 'UPDATE OR DELETE'],
  ['keys', 'UPDATE OR DELETE'],
  ['key_versions', 'UPDATE OR DELETE'],
];
