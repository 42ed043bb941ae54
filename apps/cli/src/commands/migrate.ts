import { AppConfig } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { migrations } from '../../../../migrations';

/** Runs pending migrations as the migration role (DATABASE_MIGRATION_URL, else DATABASE_URL). */
export async function migrate(): Promise<void> {
  const config = AppConfig.fromEnv(process.env, ['DATABASE_URL']);
  const db = new DataSource({ type: 'postgres', url: config.migrationUrl, migrations, migrationsTableName: 'keybridge_migrations' });
  await db.initialize();
  try {
    const applied = await db.runMigrations({ transaction: 'each' });
    console.log(applied.length ? `migrations applied: ${applied.map((m) => m.name).join(', ')}` : 'migrations: up to date');
  } finally {
    await db.destroy();
  }
}
