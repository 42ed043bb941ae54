import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';

/** pg_dump of the server's major version (Debian puts it under /usr/lib/postgresql/<v>/bin), else the one on PATH. */
function pgDumpBinary(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_dump'))).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.length ? join(root, versions[0], 'bin', 'pg_dump') : 'pg_dump';
}

/**
 * `pg_dump --format=plain` of the whole database as the migration role (it reads every table, the ledger included):
 * plain text, so bytea is hex and jsonb is text; a custom-format dump would be compressed and hide bytes.
 */
export function postgresDump(url: string, out: string): string {
  const binary = pgDumpBinary();
  execFileSync(binary, ['--format=plain', '--no-password', `--file=${out}`, `--dbname=${url}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  return `${binary} --format=plain --no-password --file=${out} --dbname=<DATABASE_MIGRATION_URL>`;
}

/**
 * The server's own snapshot: `redis-cli -u <url> --rdb <file>` (a replica's full sync). RDB strings are LZF-compressed
 * by default, and LZF cuts literals into runs of at most 32 bytes, so a secret could sit in the file without being
 * findable: compression is switched off for the snapshot and restored afterwards.
 */
export async function redisRdb(url: string, out: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const [, before] = (await redis.config('GET', 'rdbcompression')) as [string, string];
    await redis.config('SET', 'rdbcompression', 'no');
    try {
      execFileSync('redis-cli', ['-u', url, '--rdb', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    } finally {
      await redis.config('SET', 'rdbcompression', before);
    }
  } finally {
    redis.disconnect();
  }
  return `redis-cli -u $REDIS_URL --rdb ${out} (with CONFIG SET rdbcompression no for the snapshot)`;
}

/**
 * Every key and every value as Redis hands it out (SCAN, TYPE, then GET/HGETALL/LRANGE/SMEMBERS/ZRANGE/XRANGE as raw
 * bytes), one record after another: what a client with the Redis password can read, independent of RDB encodings.
 */
export async function redisLogicalDump(url: string, out: string): Promise<{ keys: number }> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const fd = openSync(out, 'w');
  let keys = 0;
  const write = (part: Buffer | string): void => void writeSync(fd, typeof part === 'string' ? Buffer.from(part) : part);
  try {
    const dbs = Number(((await redis.config('GET', 'databases')) as [string, string])[1] ?? 16);
    for (let db = 0; db < dbs; db++) {
      await redis.select(db);
      let cursor = '0';
      do {
        const [next, batch] = await redis.scanBuffer(cursor, 'COUNT', 500);
        cursor = next.toString();
        for (const key of batch) {
          const type = await redis.type(key);
          const values: Buffer[] = [];
          if (type === 'string') values.push((await redis.getBuffer(key)) ?? Buffer.alloc(0));
          else if (type === 'hash') values.push(...Object.entries(await redis.hgetallBuffer(key)).flatMap(([f, v]) => [Buffer.from(f), v]));
          else if (type === 'list') values.push(...(await redis.lrangeBuffer(key, 0, -1)));
          else if (type === 'set') values.push(...(await redis.smembersBuffer(key)));
          else if (type === 'zset') values.push(...(await redis.zrangeBuffer(key, 0, -1, 'WITHSCORES')));
          else if (type === 'stream') {
            const entries = (await redis.xrangeBuffer(key, '-', '+')) as Array<[Buffer, Buffer[]]>;
            for (const [id, fields] of entries) values.push(id, ...fields);
          } else if (type !== 'none') values.push(Buffer.from(`<unsupported type ${type}>`));
          write(`\n== db${db} ${type} `);
          write(key);
          for (const v of values) {
            write('\n');
            write(v);
          }
          keys++;
        }
      } while (cursor !== '0');
    }
  } finally {
    closeSync(fd);
    redis.disconnect();
  }
  return { keys };
}

/** Every regular file directly in the given directories (logs of the stack). */
export function filesIn(...dirs: string[]): string[] {
  return dirs
    .filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d).map((f) => join(d, f)))
    .filter((f) => statSync(f).isFile());
}
