import { CqrsModule } from '@nestjs/cqrs';
import { Test, TestingModule } from '@nestjs/testing';
import { AuthModule } from '@keybridge/auth';
import { EscrowModule } from '@keybridge/escrow';
import { EventsModule } from '@keybridge/events';
import { HsmModule } from '@keybridge/hsm';
import { KeysModule } from '@keybridge/keys';
import { LedgerModule } from '@keybridge/ledger';
import { LIFECYCLE_CLOCK, LifecycleEvaluator, LifecycleModule } from '@keybridge/lifecycle';
import { Clock, DatabaseModule, PlatformConfigModule } from '@keybridge/platform';
import { testPools } from '../hsm/hsm-pools';

/** A clock the test moves. */
export class MovableClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export const DAY = 86_400_000;

/**
 * Only the evaluator's clock moves: the ledger's recorded_at is monotonic across all processes, so moving the
 * platform clock here would date every later entry of every suite in the future.
 *
 * A worker's lifecycle evaluator in this test process, on the shared Postgres, Redis (re-wrap jobs it starts are run
 * by the stack's worker) and HSM pools, with a clock the test moves. Two of them stand for two workers.
 */
export async function evaluatorWith(clock: MovableClock): Promise<{ evaluator: LifecycleEvaluator; close: () => Promise<void> }> {
  const moduleRef = await lifecycleLibrary(clock);
  return { evaluator: moduleRef.get(LifecycleEvaluator), close: () => moduleRef.close() };
}

/** The worker's libraries in this test process (shared Postgres, Redis and pools), with the test's clock. */
export async function lifecycleLibrary(clock: MovableClock): Promise<TestingModule> {
  const moduleRef: TestingModule = await Test.createTestingModule({
    imports: [PlatformConfigModule, DatabaseModule, CqrsModule.forRoot(), HsmModule.forRoot(testPools()), LedgerModule, AuthModule, KeysModule, EventsModule, EscrowModule, LifecycleModule],
  })
    .overrideProvider(LIFECYCLE_CLOCK)
    .useValue(clock)
    .compile();
  await moduleRef.init();
  return moduleRef;
}
