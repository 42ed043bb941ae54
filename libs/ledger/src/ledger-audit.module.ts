import { Module } from '@nestjs/common';
import { CheckpointRepository } from './checkpoint/checkpoint.repository';
import { LedgerCheckpointer } from './checkpoint/ledger-checkpointer';
import { LedgerSigner } from './checkpoint/ledger-signer';
import { CreateCheckpointHandler } from './create-checkpoint/create-checkpoint.handler';
import { ExportLedgerHandler } from './export-ledger/export-ledger.handler';
import { LedgerExporter } from './export-ledger/ledger-exporter';
import { GetCheckpointHandler } from './get-checkpoint/get-checkpoint.handler';
import { GetConsistencyProofHandler } from './get-consistency-proof/get-consistency-proof.handler';
import { GetInclusionProofHandler } from './get-inclusion-proof/get-inclusion-proof.handler';
import { KeyAccessHistoryHandler } from './key-access-history/key-access-history.handler';
import { KeyLineage } from './key-access-history/key-lineage';
import { ListAuditEntriesHandler } from './list-audit-entries/list-audit-entries.handler';
import { ListSigningKeysHandler } from './list-signing-keys/list-signing-keys.handler';
import { MerkleNodeRepository } from './merkle/merkle-node.repository';
import { AuditEntryRepository } from './read/audit-entry.repository';
import { SummarizeAuditHandler } from './summarize-audit/summarize-audit.handler';
import { LedgerVerifier } from './verify-ledger/ledger-verifier';
import { VerifyLedgerHandler } from './verify-ledger/verify-ledger.handler';

/**
 * What auditors use: signed checkpoints (needs HSM_PORT), proofs, verification, export and compliance queries.
 * Separate from LedgerModule, which every process (even the CLI's bootstrap) needs for appending.
 */
@Module({
  providers: [
    CheckpointRepository,
    MerkleNodeRepository,
    AuditEntryRepository,
    LedgerSigner,
    LedgerCheckpointer,
    LedgerVerifier,
    LedgerExporter,
    KeyLineage,
    CreateCheckpointHandler,
    GetCheckpointHandler,
    GetInclusionProofHandler,
    GetConsistencyProofHandler,
    ListSigningKeysHandler,
    VerifyLedgerHandler,
    ListAuditEntriesHandler,
    SummarizeAuditHandler,
    KeyAccessHistoryHandler,
    ExportLedgerHandler,
  ],
  exports: [LedgerCheckpointer, LedgerVerifier, LedgerExporter, CheckpointRepository],
})
export class LedgerAuditModule {}
