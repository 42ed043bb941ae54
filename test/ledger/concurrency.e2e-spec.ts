import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { LedgerEntry, LedgerRow, toEntry, verifyChain } from '@keybridge/ledger';
import { adminDatabase } from '@keybridge/testing';
import { REPO } from './support/stack';

const WORKER = join(REPO, 'dist', 'bench', 'ledger-appends.js');
const PROCESSES = 3;
const PER_PROCESS = 1200;

function appendingProcess(marker: string, startAt: number): Promise<{ pid: number; appended: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [WORKER, '--worker'], {
      env: {
        ...process.env,
        LEDGER_WORKER_WRITERS: '16',
        LEDGER_WORKER_COUNT: String(PER_PROCESS),
        LEDGER_WORKER_MARKER: marker,
        LEDGER_WORKER_START_AT: String(startAt),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as { pid: number; appended: number }) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

/**
 * Several processes append at once, each through its own LedgerWriter (group commit under the advisory lock):
 * together they must form one linear chain — no fork, no gap, no duplicate seq — that verifies.
 */
describe('one chain across processes', () => {
  let db: Client;

  beforeAll(async () => {
    db = await adminDatabase();
  });

  afterAll(() => db.end());

  it(`${PROCESSES} processes × ${PER_PROCESS} concurrent appends form one gap-free chain that verifies`, async () => {
    const marker = `concurrency-${randomBytes(4).toString('hex')}`;
    const startAt = Date.now() + 2500; // every process connected and waiting, then all start together
    const results = await Promise.all(Array.from({ length: PROCESSES }, () => appendingProcess(marker, startAt)));
    expect(results.map((r) => r.appended)).toEqual(Array(PROCESSES).fill(PER_PROCESS));

    const ours = await db.query<{ seq: string; pid: string }>(
      `SELECT seq, details->>'proc' AS pid FROM ledger_entries WHERE operation = 'benchAppend' AND details->>'marker' = $1 ORDER BY seq`,
      [marker],
    );
    expect(ours.rows).toHaveLength(PROCESSES * PER_PROCESS);
    expect(new Set(ours.rows.map((r) => r.pid)).size).toBe(PROCESSES);
    // the processes really ran at once: their entries interleave instead of forming one block per process
    const switches = ours.rows.filter((r, i) => i > 0 && r.pid !== ours.rows[i - 1].pid).length;
    expect(switches).toBeGreaterThan(PROCESSES);

    // Everything from just before our first entry to just after our last (other suites append too) is one chain.
    const first = Number(ours.rows[0].seq);
    const last = Number(ours.rows[ours.rows.length - 1].seq);
    const range = await db.query<LedgerRow>('SELECT * FROM ledger_entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq', [first - 1, last]);
    const entries: LedgerEntry[] = range.rows.map(toEntry);
    expect(entries).toHaveLength(last - first + 2);
    expect(new Set(entries.map((e) => e.seq)).size).toBe(entries.length);
    const verdict = verifyChain(entries.slice(1), first, entries[0].entryHash);
    expect(verdict).toEqual({ ok: true, checked: last - first + 1 });
    // recorded_at never decreases along the chain, whichever process's clock wrote it (time filters rely on it)
    const backwards = entries.filter((e, i) => i > 0 && e.recordedAt < entries[i - 1].recordedAt).map((e) => e.seq);
    expect(backwards).toEqual([]);

    // and the whole ledger still verifies from genesis
    const all = await db.query<LedgerRow>('SELECT * FROM ledger_entries WHERE seq <= $1 ORDER BY seq', [last]);
    expect(verifyChain(all.rows.map(toEntry))).toEqual({ ok: true, checked: last });
  }, 120_000);
});
