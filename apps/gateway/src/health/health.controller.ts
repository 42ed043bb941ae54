import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { Response } from 'express';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from './redis.provider';

interface Check {
  name: string;
  ok: boolean;
  error?: string;
}

@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  /** Ready when Postgres and Redis answer and every pool is logged in. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; checks: Check[] }> {
    const checks = await Promise.all([
      probe('postgres', () => this.db.query('SELECT 1')),
      probe('redis', () => this.redis.ping()),
      ...(await this.hsm.health()).map((p) => ({ name: `pool:${p.pool}`, ok: p.loggedIn, ...(p.error ? { error: p.error } : {}) })),
    ]);
    const ok = checks.every((c) => c.ok);
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}

async function probe(name: string, check: () => Promise<unknown>): Promise<Check> {
  try {
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref())]);
    return { name, ok: true };
  } catch (e) {
    return { name, ok: false, error: e instanceof Error ? e.message.slice(0, 200) : 'failed' };
  }
}
