import { createHash } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { HSM_PORT, HsmErrorCode, HsmPort } from '@keybridge/hsm';
import { Permission } from '@keybridge/auth';
import { invalidArgument, keyId, KeyOp } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { decodeBase64Url } from '@keybridge/platform';
import { assertSamePool, RewrapKeys } from '../access/rewrap-keys';
import { defaultAlgorithm, mechanismFor, parseEscrowAlgorithm } from '../model/wrapping';
import { MAX_REWRAP_ITEMS, RewrapWrappedKeysCommand, RewrapWrappedKeysResult, RewrappedItem } from './rewrap-wrapped-keys.command';

const ITEM_CODE: Record<HsmErrorCode, string> = {
  [HsmErrorCode.HSM_INVALID_INPUT]: 'DECRYPTION_FAILED',
  [HsmErrorCode.HSM_OPERATION_NOT_PERMITTED]: 'OPERATION_NOT_ALLOWED',
  [HsmErrorCode.UNSUPPORTED_BY_HSM]: 'UNSUPPORTED_BY_HSM',
  [HsmErrorCode.POOL_NOT_FOUND]: 'HSM_ERROR',
  [HsmErrorCode.HSM_OBJECT_NOT_FOUND]: 'HSM_ERROR',
  [HsmErrorCode.HSM_ERROR]: 'HSM_ERROR',
  [HsmErrorCode.SECURITY_OFFICER_REQUIRED]: 'SECURITY_OFFICER_REQUIRED',
  [HsmErrorCode.EXPORT_REFUSED]: 'EXPORT_REFUSED',
};

@CommandHandler(RewrapWrappedKeysCommand)
export class RewrapWrappedKeysHandler implements ICommandHandler<RewrapWrappedKeysCommand> {
  constructor(
    private readonly keys: RewrapKeys,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, from, fromAlgorithm, to, toAlgorithm, items }: RewrapWrappedKeysCommand): Promise<RewrapWrappedKeysResult> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'rewrapWrappedKeys',
      vault: from.vault,
      keyName: from.name,
      params: { fromAlgorithm, toAlgorithm, targetVault: to.vault, targetKey: to.name },
      details: { items: items.length },
    };
    return this.audit.run(meta, async () => {
      if (items.length === 0 || items.length > MAX_REWRAP_ITEMS) throw invalidArgument(`items must hold 1 to ${MAX_REWRAP_ITEMS} values`, 'items');
      const source = await this.keys.openWrapping(caller, from, KeyOp.unwrapKey, meta, Permission.unwrapKey);
      const targetMeta: AuditMeta = { ctx: caller, operation: 'rewrapWrappedKeys', vault: to.vault };
      const target = await this.keys.openWrapping(caller, to, KeyOp.wrapKey, targetMeta, Permission.wrapKey);
      const fromAlg = parseEscrowAlgorithm(fromAlgorithm, source.key.spec);
      const toAlg = toAlgorithm === null ? defaultAlgorithm(target.key.spec, this.hsm.capabilities(target.usable.ref.pool)) : parseEscrowAlgorithm(toAlgorithm, target.key.spec);
      assertSamePool(source, target);
      const decoded = items.map((item) => (item.length <= 2048 ? decodeBase64Url(item) : undefined));
      const valid = decoded.flatMap((bytes, i) => (bytes && bytes.length > 0 ? [{ i, bytes }] : []));
      const results = valid.length
        ? await this.hsm.rewrapBatch(source.usable.ref, mechanismFor(fromAlg), valid.map((v) => v.bytes), target.usable.ref, mechanismFor(toAlg))
        : [];
      const out: RewrappedItem[] = items.map(() => ({ value: null, error: 'INVALID_ARGUMENT' }));
      valid.forEach(({ i }, k) => {
        const r = results[k];
        out[i] = r.ok ? { value: r.wrapped.toString('base64url'), error: null } : { value: null, error: ITEM_CODE[r.error.code] };
      });
      const ok = out.filter((o) => o.error === null).length;
      meta.details = {
        items: items.length,
        ok,
        failed: items.length - ok,
        targetVersion: target.version.version,
        itemsDigest: createHash('sha256').update(items.join('\n')).digest('hex'),
      };
      return {
        sourceKid: keyId(source.key.vaultName, source.key.name, source.version.version),
        kid: keyId(target.key.vaultName, target.key.name, target.version.version),
        algorithm: toAlg,
        items: out,
      };
    });
  }
}
