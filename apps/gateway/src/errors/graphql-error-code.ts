import { AuthErrorCode } from '@keybridge/auth';
import { HsmErrorCode } from '@keybridge/hsm';
import { KeyErrorCode } from '@keybridge/keys';
import { LedgerErrorCode } from '@keybridge/ledger';
import { assertUnreachable } from '@keybridge/platform';

export type DomainErrorCode = AuthErrorCode | HsmErrorCode | KeyErrorCode | LedgerErrorCode;

/** Every library's error codes, mapped once to GraphQL `extensions.code`; an unmapped code does not compile. */
export function graphqlErrorCode(code: DomainErrorCode): string {
  switch (code) {
    case AuthErrorCode.UNAUTHENTICATED:
    case AuthErrorCode.FORBIDDEN:
    case AuthErrorCode.PRINCIPAL_NOT_FOUND:
    case AuthErrorCode.PRINCIPAL_ALREADY_EXISTS:
    case AuthErrorCode.TOKEN_NOT_FOUND:
    case KeyErrorCode.VAULT_NOT_FOUND:
    case KeyErrorCode.VAULT_ALREADY_EXISTS:
    case KeyErrorCode.KEY_NOT_FOUND:
    case KeyErrorCode.KEY_VERSION_NOT_FOUND:
    case KeyErrorCode.KEY_ALREADY_EXISTS:
    case KeyErrorCode.KEY_NOT_DELETED:
    case KeyErrorCode.KEY_DISABLED:
    case KeyErrorCode.KEY_NOT_YET_VALID:
    case KeyErrorCode.KEY_EXPIRED:
    case KeyErrorCode.OPERATION_NOT_ALLOWED:
    case KeyErrorCode.UNSUPPORTED_ALGORITHM:
    case KeyErrorCode.ALGORITHM_NOT_VALID_FOR_KEY:
    case KeyErrorCode.DECRYPTION_FAILED:
    case HsmErrorCode.UNSUPPORTED_BY_HSM:
    case HsmErrorCode.POOL_NOT_FOUND:
    case LedgerErrorCode.LEDGER_UNAVAILABLE:
      return code;
    case AuthErrorCode.INVALID_ARGUMENT:
    case KeyErrorCode.INVALID_ARGUMENT:
      return 'INVALID_ARGUMENT';
    case HsmErrorCode.HSM_INVALID_INPUT:
      return 'DECRYPTION_FAILED';
    case HsmErrorCode.HSM_OPERATION_NOT_PERMITTED:
      return 'OPERATION_NOT_ALLOWED';
    case HsmErrorCode.HSM_OBJECT_NOT_FOUND:
    case HsmErrorCode.HSM_ERROR:
      return 'HSM_ERROR';
    default:
      return assertUnreachable(code);
  }
}
