import { timingSafeEqual } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { GlobalPermission, requireGlobal } from '@keybridge/auth';
import { GeneratedKey, HSM_PORT, HsmImportError, HsmPort, samePublicKey } from '@keybridge/hsm';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { assertCanHoldDomainKey, domainKeyTarget } from '../security-domain/domain-key';
import { SecurityDomain, SecurityDomainRepository } from '../security-domain/security-domain.repository';
import { SecurityDomainView, securityDomainView } from '../security-domain/security-domain.view';
import { shareCommitment } from '../security-domain/share-commitment';
import { DecryptedShare, parseDecryptedShare } from '../security-domain/shares/custodian-share.format';
import { combineShares } from '../security-domain/shares/shamir';
import { TransferError, TransferErrorCode } from '../transfer.errors';
import { ActivateSecurityDomainCommand } from './activate-security-domain.command';

const MAX_SHARES_GIVEN = 255;

/**
 * Every share is checked on its own first (format, domain, custodian index, commitment), so a foreign, tampered or
 * malformed share is named by its position and nothing is combined; then fewer than the quorum of distinct
 * custodians is QUORUM_NOT_MET. The combined secret unwraps the recovery blob into the pool (inside the HSM) and
 * the recovered key must have the domain's public key. The secret is wiped on every path.
 */
@CommandHandler(ActivateSecurityDomainCommand)
export class ActivateSecurityDomainHandler implements ICommandHandler<ActivateSecurityDomainCommand> {
  constructor(
    private readonly domains: SecurityDomainRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, input }: ActivateSecurityDomainCommand): Promise<SecurityDomainView> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'activateSecurityDomain',
      vault: null,
      details: { domain: String(input.domain).slice(0, 64), pool: String(input.pool).slice(0, 64), sharesGiven: input.shares.length },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      requireGlobal(caller, GlobalPermission.admin);
      const domain = await this.domains.findByName(input.domain);
      if (!domain) throw new TransferError(TransferErrorCode.SECURITY_DOMAIN_NOT_FOUND, `security domain ${input.domain} not found`, { field: 'domain' });
      assertCanHoldDomainKey(this.hsm, input.pool);
      if ((await this.domains.pools(domain.id)).some((p) => p.pool === input.pool)) {
        throw new TransferError(TransferErrorCode.SECURITY_DOMAIN_ALREADY_ACTIVE, `security domain ${domain.name} is active on pool ${input.pool} already`, { field: 'pool' });
      }
      const shares = checkShares(domain, input.shares);
      meta.details = { ...meta.details, custodians: shares.map((s) => s.index).join(',') };

      const recovery = await combineShares(shares.map((s) => s.share));
      let recovered: GeneratedKey;
      try {
        recovered = await this.hsm.importKeyWithSecret({ pool: input.pool, secret: recovery, wrapped: domain.recoveryBlob, target: domainKeyTarget(domain.name) });
      } catch (error) {
        if (error instanceof HsmImportError) throw invalidShare('the shares do not recover the domain key');
        throw error;
      } finally {
        recovery.fill(0);
        for (const s of shares) s.share.fill(0);
      }
      try {
        if (!recovered.publicJwk || !samePublicKey(recovered.publicJwk, domain.publicJwk)) throw invalidShare('the recovered key is not the domain key');
        return await commit(async (manager) => {
          const now = this.clock.now();
          if (!(await this.domains.activate(manager, domain.id, input.pool, recovered.ref.objectId, now))) {
            throw new TransferError(TransferErrorCode.SECURITY_DOMAIN_ALREADY_ACTIVE, `security domain ${domain.name} is active on pool ${input.pool} already`, { field: 'pool' });
          }
          return securityDomainView(domain, await this.domains.pools(domain.id, manager), await this.domains.vaultNames(domain.id, manager));
        });
      } catch (error) {
        await this.hsm.destroyKey(recovered.ref).catch(() => undefined);
        throw error;
      }
    });
  }
}

function checkShares(domain: SecurityDomain, texts: string[]): DecryptedShare[] {
  if (texts.length > MAX_SHARES_GIVEN) throw invalidShare(`at most ${MAX_SHARES_GIVEN} shares`);
  const byIndex = new Map<number, DecryptedShare>();
  texts.forEach((text, position) => {
    const which = `share ${position + 1}`;
    let share: DecryptedShare;
    try {
      share = parseDecryptedShare(text);
    } catch (error) {
      throw invalidShare(`${which}: ${(error as Error).message}`, position + 1);
    }
    if (share.domainId !== domain.id) throw invalidShare(`${which} belongs to another security domain`, position + 1);
    const commitment = domain.shareCommitments[share.index - 1];
    const actual = shareCommitment(domain.id, share.index, share.share);
    if (!commitment || !timingSafeEqual(Buffer.from(commitment, 'hex'), Buffer.from(actual, 'hex'))) {
      throw invalidShare(`${which} (custodian ${share.index}) does not match the share issued to that custodian: tampered or mistyped`, position + 1);
    }
    byIndex.set(share.index, share);
  });
  if (byIndex.size < domain.quorum) {
    throw new TransferError(
      TransferErrorCode.QUORUM_NOT_MET,
      `security domain ${domain.name} needs shares of ${domain.quorum} different custodians; got ${byIndex.size}`,
      { field: 'shares', quorum: domain.quorum, given: byIndex.size },
    );
  }
  return [...byIndex.values()];
}

function invalidShare(message: string, position?: number): TransferError {
  return new TransferError(TransferErrorCode.INVALID_SHARE, message, position ? { field: 'shares', position } : { field: 'shares' });
}

