import { createPublicKey } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, holdingConnection } from '@keybridge/platform';
import { DataSource, QueryRunner } from 'typeorm';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { LedgerTree, storeCompleteChunks } from '../merkle/ledger-tree';
import { MerkleProver } from '../merkle/merkle';
import { MerkleNodeRepository } from '../merkle/merkle-node.repository';
import { LedgerReader } from '../read/ledger-reader';
import { CheckpointRepository, SigningKeyRecord } from './checkpoint.repository';
import { LedgerSigner } from './ledger-signer';
import { Checkpoint, checkpointDigest, verifyCheckpointSignature } from './signed-checkpoint';

/** Serialises checkpoint building across processes (gateway mutation, worker job, several workers). */
const CHECKPOINT_LOCK = 7433298002;

/**
 * Signs the tree head over entries 1..head when the newest checkpoint is older than the head. Incremental: only
 * the entries since the last stored chunk are read (streamed in pages), everything below comes from stored nodes.
 */
@Injectable()
export class LedgerCheckpointer {
  private readonly logger = new Logger(LedgerCheckpointer.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reader: LedgerReader,
    private readonly checkpoints: CheckpointRepository,
    private readonly nodes: MerkleNodeRepository,
    private readonly signer: LedgerSigner,
    private readonly clock: Clock,
    private readonly integrator: LedgerIntegrator,
  ) {}

  /**
   * The checkpoint covering the current head (new or existing), with every entry committed before the call
   * integrated; undefined for an empty ledger.
   */
  async checkpoint(): Promise<Checkpoint | undefined> {
    await this.integrator.settle();
    const latest = await this.checkpoints.latest();
    const head = await this.reader.headSeq();
    if (head === 0 || (latest && latest.treeSize >= head)) return latest;
    // before the runner holds a connection: creating the key (once) takes a transaction of its own
    const key = await this.signer.activeKey();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    return holdingConnection('the checkpoint lock', () => this.signHead(runner, key));
  }

  private async signHead(runner: QueryRunner, key: SigningKeyRecord): Promise<Checkpoint> {
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [CHECKPOINT_LOCK]);
      try {
        // Someone may have signed while we waited for the lock; the head may have moved too.
        const size = await this.reader.headSeq(runner);
        const current = await this.checkpoints.latest(runner);
        if (current && current.treeSize >= size) return current;
        const started = Date.now();
        const stored = await storeCompleteChunks(size, this.nodes, runner);
        const rootHash = await new MerkleProver(new LedgerTree(size, this.nodes, runner)).root(size);
        const unsigned = { treeSize: size, rootHash, signedAt: this.clock.now(), keyId: key.keyId };
        const signature = await this.signer.sign(key, checkpointDigest(unsigned));
        const cp: Checkpoint = { ...unsigned, signature };
        if (!verifyCheckpointSignature(cp, createPublicKey({ key: key.jwk, format: 'jwk' }))) {
          throw new Error(`the HSM signature over checkpoint ${size} does not verify with key ${key.keyId}`);
        }
        const saved = await this.checkpoints.insert(runner, cp);
        this.logger.debug(`checkpoint ${size} signed (${stored} new chunks, ${Date.now() - started} ms)`);
        return saved;
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [CHECKPOINT_LOCK]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }
}
