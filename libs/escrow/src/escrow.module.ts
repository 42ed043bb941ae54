import { EventsModule } from '@keybridge/events';
import { Module } from '@nestjs/common';
import { KeysModule } from '@keybridge/keys';
import { RewrapJobAccess } from './access/rewrap-job-access';
import { RewrapKeys } from './access/rewrap-keys';
import { CancelRewrapJobHandler } from './cancel-rewrap-job/cancel-rewrap-job.handler';
import { DepositWrappedKeyHandler } from './deposit-wrapped-key/deposit-wrapped-key.handler';
import { EscrowConfig } from './escrow.config';
import { EscrowPurger } from './purge-expired-records/escrow-purger';
import { SetEscrowLifetimeHandler } from './set-escrow-lifetime/set-escrow-lifetime.handler';
import { GenerateDataKeyHandler } from './generate-data-key/generate-data-key.handler';
import { GetRewrapJobHandler } from './get-rewrap-job/get-rewrap-job.handler';
import { RewrapJobWatcher } from './get-rewrap-job/rewrap-job-watcher';
import { ListEscrowRecordsHandler } from './list-escrow-records/list-escrow-records.handler';
import { ListRewrapFailuresHandler } from './list-rewrap-failures/list-rewrap-failures.handler';
import { ListRewrapJobsHandler } from './list-rewrap-jobs/list-rewrap-jobs.handler';
import { PauseRewrapJobHandler } from './pause-rewrap-job/pause-rewrap-job.handler';
import { EscrowRecordRepository } from './persistence/escrow-record.repository';
import { EscrowRecordWriter } from './persistence/escrow-record.writer';
import { RewrapJobRepository } from './persistence/rewrap-job.repository';
import { BullRewrapQueue } from './queue/bull-rewrap-queue';
import { REWRAP_QUEUE } from './queue/rewrap-queue.port';
import { ReleaseDataKeyHandler } from './release-data-key/release-data-key.handler';
import { ResumeRewrapJobHandler } from './resume-rewrap-job/resume-rewrap-job.handler';
import { RetryRewrapFailuresHandler } from './retry-rewrap-failures/retry-rewrap-failures.handler';
import { RewrapReconciler } from './rewrap-runner/rewrap-reconciler';
import { RewrapSlotRunner } from './rewrap-runner/rewrap-slot.runner';
import { RewrapWrappedKeysHandler } from './rewrap-wrapped-keys/rewrap-wrapped-keys.handler';
import { StartRewrapJobHandler } from './start-rewrap-job/start-rewrap-job.handler';

/** Escrowed data keys and re-wrap jobs. The gateway uses the handlers; the worker the runner and reconciler. */
@Module({
  imports: [EventsModule, KeysModule],
  providers: [
    EscrowPurger,
    SetEscrowLifetimeHandler,
    { provide: EscrowConfig, useFactory: () => EscrowConfig.fromEnv() },
    EscrowRecordRepository,
    EscrowRecordWriter,
    RewrapJobRepository,
    RewrapKeys,
    RewrapJobAccess,
    BullRewrapQueue,
    { provide: REWRAP_QUEUE, useExisting: BullRewrapQueue },
    GenerateDataKeyHandler,
    DepositWrappedKeyHandler,
    ReleaseDataKeyHandler,
    ListEscrowRecordsHandler,
    StartRewrapJobHandler,
    PauseRewrapJobHandler,
    ResumeRewrapJobHandler,
    CancelRewrapJobHandler,
    RetryRewrapFailuresHandler,
    GetRewrapJobHandler,
    ListRewrapJobsHandler,
    ListRewrapFailuresHandler,
    RewrapWrappedKeysHandler,
    RewrapJobWatcher,
    RewrapSlotRunner,
    RewrapReconciler,
  ],
  exports: [EscrowPurger, EscrowConfig, BullRewrapQueue, REWRAP_QUEUE, RewrapJobWatcher, RewrapSlotRunner, RewrapReconciler],
})
export class EscrowModule {}
