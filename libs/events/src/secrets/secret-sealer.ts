import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { LedgerWriter } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { EventsConfig } from '../events.config';

const SEALING_KEY_LOCK = 7433298004;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedSecret {
  keyId: string;
  /** iv ‖ ciphertext ‖ tag */
  sealed: Buffer;
}

interface SealingKey {
  keyId: string;
  pool: string;
  hsmObjectId: string;
}

/**
 * Seals secrets the gateway must keep but never show (webhook signing secrets): AES-256-GCM in an HSM pool under a
 * non-extractable key made there on first use (KEYBRIDGE_SECRETS_POOL, default the first SoftHSM2 pool), with the
 * owning row's id as additional authenticated data — a sealed value moved to another row does not open. Postgres
 * holds only the sealed bytes; opening needs the HSM.
 */
@Injectable()
export class SecretSealer {
  private readonly logger = new Logger(SecretSealer.name);
  private active: SealingKey | undefined;

  constructor(
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerWriter,
    private readonly config: EventsConfig,
    private readonly clock: Clock,
  ) {}

  async seal(rowId: string, secret: string): Promise<SealedSecret> {
    const key = await this.activeKey();
    const iv = randomBytes(IV_BYTES);
    const out = await this.hsm.encrypt({ pool: key.pool, objectId: key.hsmObjectId }, { name: 'AES_GCM', iv, aad: Buffer.from(rowId) }, Buffer.from(secret, 'utf8'));
    return { keyId: key.keyId, sealed: Buffer.concat([iv, out]) };
  }

  async open(rowId: string, { keyId, sealed }: SealedSecret): Promise<string> {
    const key = await this.key(keyId);
    const iv = sealed.subarray(0, IV_BYTES);
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error(`sealed secret of row ${rowId} is truncated`);
    const plain = await this.hsm.decrypt({ pool: key.pool, objectId: key.hsmObjectId }, { name: 'AES_GCM', iv, aad: Buffer.from(rowId) }, sealed.subarray(IV_BYTES));
    try {
      return plain.toString('utf8');
    } finally {
      plain.fill(0);
    }
  }

  private pool(): string {
    const configured = this.config.secretsPool;
    if (configured) return configured;
    const pools = this.hsm.pools();
    return (pools.find((p) => p.capabilities.vendor === 'softhsm2') ?? pools[0]).name;
  }

  private async activeKey(): Promise<SealingKey> {
    const pool = this.pool();
    if (this.active?.pool === pool) return this.active;
    this.active = (await this.newestIn(pool)) ?? (await this.create(pool));
    return this.active;
  }

  private async key(keyId: string): Promise<SealingKey> {
    if (this.active?.keyId === keyId) return this.active;
    const rows = (await this.db.query('SELECT key_id, pool, hsm_object_id FROM sealing_keys WHERE key_id = $1', [keyId])) as Row[];
    if (!rows[0]) throw new Error(`sealing key ${keyId} is not known`);
    return toKey(rows[0]);
  }

  private async newestIn(pool: string, db: Pick<DataSource, 'query'> = this.db): Promise<SealingKey | undefined> {
    const rows = (await db.query('SELECT key_id, pool, hsm_object_id FROM sealing_keys WHERE pool = $1 ORDER BY created_at DESC LIMIT 1', [pool])) as Row[];
    return rows[0] && toKey(rows[0]);
  }

  /** Once across processes (advisory lock); the key's creation is a ledger entry. */
  private async create(pool: string): Promise<SealingKey> {
    return this.db.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [SEALING_KEY_LOCK]);
      const existing = await this.newestIn(pool, manager);
      if (existing) return existing;
      const objectId = randomBytes(16).toString('hex');
      const generated = await this.hsm.generateKey({
        pool,
        objectId,
        label: 'keybridge-secret-sealing',
        spec: { kty: 'oct', bits: 256 },
        usage: { encrypt: true, decrypt: true, wrap: false, unwrap: false, sign: false, verify: false },
        exportable: false,
      });
      try {
        const key: SealingKey = { keyId: `seal-${objectId.slice(0, 16)}`, pool, hsmObjectId: generated.ref.objectId };
        await manager.query('INSERT INTO sealing_keys (key_id, pool, hsm_object_id, created_at) VALUES ($1, $2, $3, $4)', [key.keyId, pool, key.hsmObjectId, this.clock.now()]);
        await this.ledger.appendWithin(manager, [
          {
            principalId: null,
            vault: null,
            keyName: null,
            keyVersion: null,
            operation: 'createSealingKey',
            outcome: 'success',
            errorCode: null,
            requestId: null,
            traceId: null,
            paramsDigest: null,
            details: { keyId: key.keyId, pool },
          },
        ]);
        this.logger.log(`secret sealing key ${key.keyId} created in pool ${pool}`);
        return key;
      } catch (error) {
        await this.hsm.destroyKey(generated.ref).catch(() => undefined);
        throw error;
      }
    });
  }
}

interface Row {
  key_id: string;
  pool: string;
  hsm_object_id: string;
}

const toKey = (r: Row): SealingKey => ({ keyId: r.key_id, pool: r.pool, hsmObjectId: r.hsm_object_id });
