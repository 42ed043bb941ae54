export * from './lifecycle.errors';
export * from './lifecycle.module';
export * from './policy/rotation-policy';
export * from './policy/iso-duration';
export * from './evaluator/lifecycle-evaluator';
export * from './set-rotation-policy/set-rotation-policy.command';
export * from './get-rotation-policy/get-rotation-policy.query';
