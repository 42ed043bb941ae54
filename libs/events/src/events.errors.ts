import { DomainError } from '@keybridge/platform';

export enum EventsErrorCode {
  WEBHOOK_NOT_FOUND = 'WEBHOOK_NOT_FOUND',
  WEBHOOK_ALREADY_EXISTS = 'WEBHOOK_ALREADY_EXISTS',
  /** Not an https URL, an unknown event kind, a CA certificate that does not parse, a secret too short. */
  INVALID_WEBHOOK = 'INVALID_WEBHOOK',
}

export class EventsError extends DomainError<EventsErrorCode> {
  constructor(code: EventsErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}
