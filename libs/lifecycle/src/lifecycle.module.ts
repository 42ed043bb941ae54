import { Module } from '@nestjs/common';
import { AuthModule } from '@keybridge/auth';
import { EscrowModule } from '@keybridge/escrow';
import { EventsModule } from '@keybridge/events';
import { KeysModule } from '@keybridge/keys';
import { Clock } from '@keybridge/platform';
import { LIFECYCLE_CLOCK, LifecycleEvaluator } from './evaluator/lifecycle-evaluator';
import { GetRotationPolicyHandler } from './get-rotation-policy/get-rotation-policy.handler';
import { RotationPolicyRepository } from './policy/rotation-policy.repository';
import { SetRotationPolicyHandler } from './set-rotation-policy/set-rotation-policy.handler';

@Module({
  imports: [KeysModule, EventsModule, EscrowModule, AuthModule],
  providers: [{ provide: LIFECYCLE_CLOCK, useExisting: Clock }, RotationPolicyRepository, SetRotationPolicyHandler, GetRotationPolicyHandler, LifecycleEvaluator],
  exports: [LifecycleEvaluator],
})
export class LifecycleModule {}
