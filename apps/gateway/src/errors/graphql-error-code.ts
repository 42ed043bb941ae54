import { AuthErrorCode } from '@keybridge/auth';
import { ByokErrorCode } from '@keybridge/byok';
import { EscrowErrorCode } from '@keybridge/escrow';
import { HsmErrorCode } from '@keybridge/hsm';
import { KeyErrorCode } from '@keybridge/keys';
import { LedgerErrorCode } from '@keybridge/ledger';
import { TransferErrorCode } from '@keybridge/transfer';
import { EventsErrorCode } from '@keybridge/events';
import { LifecycleErrorCode } from '@keybridge/lifecycle';
import { assertUnreachable, OverloadErrorCode } from '@keybridge/platform';

export type DomainErrorCode = OverloadErrorCode | AuthErrorCode | HsmErrorCode | KeyErrorCode | LedgerErrorCode | ByokErrorCode | EscrowErrorCode | TransferErrorCode | EventsErrorCode | LifecycleErrorCode;

/** Every library's error codes, mapped once to GraphQL `extensions.code`; an unmapped code does not compile. */
export function graphqlErrorCode(code: DomainErrorCode): string {
  switch (code) {
    case AuthErrorCode.UNAUTHENTICATED:
    case AuthErrorCode.FORBIDDEN:
    case AuthErrorCode.PRINCIPAL_NOT_FOUND:
    case AuthErrorCode.PRINCIPAL_ALREADY_EXISTS:
    case AuthErrorCode.TOKEN_NOT_FOUND:
    case AuthErrorCode.CERTIFICATE_ALREADY_BOUND:
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
    case HsmErrorCode.SECURITY_OFFICER_REQUIRED:
    case HsmErrorCode.EXPORT_REFUSED:
    case OverloadErrorCode.UNAVAILABLE:
    case LedgerErrorCode.LEDGER_UNAVAILABLE:
    case LedgerErrorCode.CHECKPOINT_NOT_FOUND:
    case LedgerErrorCode.LEDGER_ENTRY_NOT_FOUND:
      return code;
    case LedgerErrorCode.FORBIDDEN:
      return 'FORBIDDEN';
    case LedgerErrorCode.INVALID_ARGUMENT:
      return 'INVALID_ARGUMENT';
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
    case ByokErrorCode.TRANSPORT_KEY_NOT_FOUND:
    case ByokErrorCode.TRANSPORT_KEY_WRONG_VAULT:
    case ByokErrorCode.TRANSPORT_KEY_EXPIRED:
    case ByokErrorCode.TRANSPORT_KEY_USED:
    case ByokErrorCode.TRANSPORT_KEY_REVOKED:
    case ByokErrorCode.BLOB_TOO_LARGE:
    case ByokErrorCode.INVALID_BLOB:
    case ByokErrorCode.UNSUPPORTED_BLOB_FORMAT:
    case ByokErrorCode.BLOB_INTEGRITY_FAILED:
    case ByokErrorCode.KEY_MATERIAL_MISMATCH:
    case ByokErrorCode.UNSUPPORTED_KEY_MATERIAL:
    case ByokErrorCode.PUBLIC_KEY_MISMATCH:
      return code;
    case EscrowErrorCode.ESCROW_RECORD_NOT_FOUND:
    case EscrowErrorCode.REWRAP_JOB_NOT_FOUND:
    case EscrowErrorCode.REWRAP_JOB_FINISHED:
    case EscrowErrorCode.REWRAP_JOB_STATE_CONFLICT:
    case EscrowErrorCode.REWRAP_TARGET_IS_SOURCE:
    case EscrowErrorCode.WRAPPING_KEY_TYPE_INVALID:
    case EscrowErrorCode.ESCROW_RECORD_EXPIRED:
      return code;
    case TransferErrorCode.KEY_NOT_EXPORTABLE:
    case TransferErrorCode.TRANSFER_VERIFICATION_FAILED:
    case TransferErrorCode.TRANSFER_NOT_POSSIBLE:
    case TransferErrorCode.MIGRATION_JOB_NOT_FOUND:
    case TransferErrorCode.SECURITY_DOMAIN_NOT_FOUND:
    case TransferErrorCode.SECURITY_DOMAIN_ALREADY_EXISTS:
    case TransferErrorCode.SECURITY_DOMAIN_NOT_ACTIVE:
    case TransferErrorCode.SECURITY_DOMAIN_ALREADY_ACTIVE:
    case TransferErrorCode.QUORUM_NOT_MET:
    case TransferErrorCode.INVALID_SHARE:
    case TransferErrorCode.INVALID_CUSTODIAN_KEY:
    case TransferErrorCode.INVALID_BACKUP:
    case TransferErrorCode.UNSUPPORTED_BACKUP_VERSION:
    case TransferErrorCode.BACKUP_DOMAIN_MISMATCH:
    case TransferErrorCode.VAULT_NOT_IN_SECURITY_DOMAIN:
    case EventsErrorCode.WEBHOOK_NOT_FOUND:
    case EventsErrorCode.WEBHOOK_ALREADY_EXISTS:
    case EventsErrorCode.INVALID_WEBHOOK:
    case LifecycleErrorCode.INVALID_ROTATION_POLICY:
    case LifecycleErrorCode.ROTATION_POLICY_NOT_FOUND:
      return code;
    default:
      return assertUnreachable(code);
  }
}
