import { DomainError } from '@keybridge/platform';

export enum LifecycleErrorCode {
  /** A rotation policy that does not parse or does not make sense (see the message for the member). */
  INVALID_ROTATION_POLICY = 'INVALID_ROTATION_POLICY',
  ROTATION_POLICY_NOT_FOUND = 'ROTATION_POLICY_NOT_FOUND',
}

export class LifecycleError extends DomainError<LifecycleErrorCode> {
  constructor(code: LifecycleErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}
