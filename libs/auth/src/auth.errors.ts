import { DomainError } from '@keybridge/platform';

export enum AuthErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  PRINCIPAL_NOT_FOUND = 'PRINCIPAL_NOT_FOUND',
  PRINCIPAL_ALREADY_EXISTS = 'PRINCIPAL_ALREADY_EXISTS',
  TOKEN_NOT_FOUND = 'TOKEN_NOT_FOUND',
  CERTIFICATE_ALREADY_BOUND = 'CERTIFICATE_ALREADY_BOUND',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
}

export class AuthError extends DomainError<AuthErrorCode> {
  constructor(code: AuthErrorCode, message: string, details: Record<string, string | number | boolean> = {}) {
    super(code, message, details);
  }
}
