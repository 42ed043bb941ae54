import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AdminBootstrapper, AuthModule } from '@keybridge/auth';
import { LedgerModule } from '@keybridge/ledger';
import { DatabaseModule, PlatformConfigModule } from '@keybridge/platform';

@Module({ imports: [PlatformConfigModule, DatabaseModule, LedgerModule, AuthModule] })
class BootstrapModule {}

/** Writes a new admin token to `tokenFile` (mode 0600) unless the file already exists. */
export async function bootstrapAdmin(tokenFile: string, principal = 'admin'): Promise<void> {
  if (existsSync(tokenFile)) {
    console.log(`admin token: ${tokenFile} (exists, kept)`);
    return;
  }
  const app = await NestFactory.createApplicationContext(BootstrapModule, { logger: ['error', 'warn'] });
  try {
    const token = await app.get(AdminBootstrapper).issueAdminToken(principal);
    const fd = openSync(tokenFile, 'wx', 0o600);
    try {
      writeSync(fd, `${token}\n`);
    } finally {
      closeSync(fd);
    }
    console.log(`admin token for principal '${principal}' written to ${tokenFile} (mode 0600)`);
  } finally {
    await app.close();
  }
}
