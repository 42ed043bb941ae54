import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { AppConfig, Clock } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { LedgerWriter } from '../append/ledger-writer';
import { CheckpointRepository, SigningKeyRecord } from './checkpoint.repository';
import { CHECKPOINT_ALGORITHM, jwkThumbprint, publicPem } from './signed-checkpoint';

const SIGNING_KEY_LOCK = 7433298003;
const LABEL = 'keybridge-ledger-checkpoints';

/**
 * The ledger's checkpoint signing key: ECDSA P-256 inside an HSM pool (KEYBRIDGE_LEDGER_SIGNING_POOL, default the
 * first SoftHSM2 pool, else the first pool), never extractable. Created on first use — once across processes,
 * under an advisory lock — with its (pool, CKA_ID) and public JWK/PEM in ledger_signing_keys and its creation in
 * the ledger. Pointing the setting at another pool creates a new key there; older checkpoints keep their key id.
 */
@Injectable()
export class LedgerSigner {
  private readonly logger = new Logger(LedgerSigner.name);
  private active: SigningKeyRecord | undefined;

  constructor(
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly checkpoints: CheckpointRepository,
    private readonly ledger: LedgerWriter,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  pool(): string {
    const configured = this.config.values.KEYBRIDGE_LEDGER_SIGNING_POOL;
    if (configured) return configured;
    const pools = this.hsm.pools();
    return (pools.find((p) => p.capabilities.vendor === 'softhsm2') ?? pools[0]).name;
  }

  async activeKey(): Promise<SigningKeyRecord> {
    const pool = this.pool();
    if (this.active?.pool === pool) return this.active;
    this.active = (await this.checkpoints.newestKeyInPool(pool)) ?? (await this.create(pool));
    return this.active;
  }

  /** ECDSA over a SHA-256 digest, r || s. */
  async sign(key: SigningKeyRecord, digest: Buffer): Promise<Buffer> {
    return this.hsm.sign({ pool: key.pool, objectId: key.hsmObjectId }, { name: 'ECDSA' }, digest);
  }

  private create(pool: string): Promise<SigningKeyRecord> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [SIGNING_KEY_LOCK]);
      const existing = await this.checkpoints.newestKeyInPool(pool, manager);
      if (existing) return existing;
      const generated = await this.hsm.generateKey({
        pool,
        objectId: randomBytes(16).toString('hex'),
        label: LABEL,
        spec: { kty: 'EC', curve: 'P-256' },
        usage: { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true },
        exportable: false,
      });
      try {
        const jwk = generated.publicJwk;
        if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error('the HSM returned no P-256 public key');
        const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x, y: jwk.y };
        const key: SigningKeyRecord = {
          keyId: jwkThumbprint(publicJwk),
          algorithm: CHECKPOINT_ALGORITHM,
          jwk: publicJwk,
          pem: publicPem(publicJwk),
          pool,
          hsmObjectId: generated.ref.objectId,
          createdAt: this.clock.now(),
        };
        await this.checkpoints.insertKey(manager, key);
        await this.ledger.appendWithin(manager, [
          {
            principalId: null,
            vault: null,
            keyName: null,
            keyVersion: null,
            operation: 'createLedgerSigningKey',
            outcome: 'success',
            errorCode: null,
            requestId: null,
            traceId: null,
            paramsDigest: null,
            details: { keyId: key.keyId, pool, algorithm: CHECKPOINT_ALGORITHM },
          },
        ]);
        this.logger.log(`ledger signing key ${key.keyId} created in pool ${pool}`);
        return key;
      } catch (error) {
        await this.hsm.destroyKey(generated.ref).catch(() => undefined);
        throw error;
      }
    });
  }
}
