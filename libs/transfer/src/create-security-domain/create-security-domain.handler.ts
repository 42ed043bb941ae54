import { randomBytes, randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { GlobalPermission, requireGlobal } from '@keybridge/auth';
import { HSM_PORT, HsmPort, PublicKeyJwk } from '@keybridge/hsm';
import { invalidArgument } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { KeyObject } from 'node:crypto';
import { assertCanHoldDomainKey, domainKeyTarget } from '../security-domain/domain-key';
import { SecurityDomainRepository } from '../security-domain/security-domain.repository';
import { securityDomainView } from '../security-domain/security-domain.view';
import { SecurityOfficerUse } from '../security-domain/security-officer-use';
import { shareCommitment } from '../security-domain/share-commitment';
import { custodianKeyFingerprint, encryptShare, parseCustodianPublicKey, serializeCustodianShare } from '../security-domain/shares/custodian-share.format';
import { splitSecret } from '../security-domain/shares/shamir';
import { TransferError, TransferErrorCode } from '../transfer.errors';
import { CreatedSecurityDomain, CreateSecurityDomainCommand } from './create-security-domain.command';

const DOMAIN_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MIN_CUSTODIANS = 3;
const MAX_CUSTODIANS = 255;

/**
 * The domain key (RSA-3072, unwrap only, exportable under the pool's export discipline) is generated in the pool.
 * A random 32-byte recovery secret R wraps it (RFC 5649, inside the HSM) into the recovery blob kept in Postgres; R
 * is split M-of-N with Shamir and each share is encrypted to one custodian's RSA key (OAEP-SHA-256). R and the
 * plain shares exist only in this process's memory while this runs and are wiped: PKCS#11 has no Shamir, so the
 * split cannot happen inside the HSM (Azure Managed HSM does it inside; we say so in docs/security-domains.md).
 */
@CommandHandler(CreateSecurityDomainCommand)
export class CreateSecurityDomainHandler implements ICommandHandler<CreateSecurityDomainCommand> {
  constructor(
    private readonly domains: SecurityDomainRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly securityOfficer: SecurityOfficerUse,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, input }: CreateSecurityDomainCommand): Promise<CreatedSecurityDomain> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'createSecurityDomain',
      vault: null,
      details: { domain: String(input.name).slice(0, 64), pool: String(input.pool).slice(0, 64), quorum: input.quorum, custodians: input.custodians.length },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      requireGlobal(caller, GlobalPermission.admin);
      if (!DOMAIN_NAME.test(input.name)) throw invalidArgument('security domain names are 1-63 of a-z 0-9 and -, starting with a letter or digit', 'name');
      const custodians = parseCustodians(input.custodians);
      if (!Number.isInteger(input.quorum) || input.quorum < 2 || input.quorum > custodians.length) {
        throw invalidArgument(`quorum must be 2 to the number of custodians (${custodians.length})`, 'quorum');
      }
      assertCanHoldDomainKey(this.hsm, input.pool);
      if (await this.domains.findByName(input.name)) throw alreadyExists(input.name);

      const id = randomUUID();
      const target = domainKeyTarget(input.name);
      const domainKey = await this.hsm.generateKey({ pool: input.pool, ...target });
      const recovery = randomBytes(32);
      let shares: Buffer[] = [];
      try {
        if (this.securityOfficer.needed(input.pool)) {
          await this.securityOfficer.record(caller, { pool: input.pool, vault: null, keyName: null, purpose: 'createSecurityDomain', details: { domain: input.name } });
        }
        const [recoveryBlob] = await this.hsm.wrapKeysWithSecret({ pool: input.pool, keys: [domainKey.ref], secret: recovery });
        shares = await splitSecret(recovery, custodians.length, input.quorum);
        const documents = custodians.map((custodianKey, i) =>
          serializeCustodianShare(encryptShare({ domainId: id, domainName: input.name, index: i + 1, threshold: input.quorum, share: shares[i], custodianKey })),
        );
        const domain = {
          id,
          name: input.name,
          quorum: input.quorum,
          custodianCount: custodians.length,
          custodianKeyHashes: custodians.map((k) => custodianKeyFingerprint(k)),
          shareCommitments: shares.map((share, i) => shareCommitment(id, i + 1, share)),
          publicJwk: domainKey.publicJwk as PublicKeyJwk,
          recoveryBlob,
          createdAt: this.clock.now(),
        };
        return await commit(async (manager) => {
          if (!(await this.domains.insert(manager, domain))) throw alreadyExists(input.name);
          await this.domains.activate(manager, id, input.pool, domainKey.ref.objectId, domain.createdAt);
          return { domain: securityDomainView(domain, await this.domains.pools(id, manager), []), shares: documents };
        });
      } catch (error) {
        await this.hsm.destroyKey(domainKey.ref).catch(() => undefined);
        throw error;
      } finally {
        recovery.fill(0);
        for (const share of shares) share.fill(0);
      }
    });
  }
}

function parseCustodians(texts: string[]): KeyObject[] {
  if (texts.length < MIN_CUSTODIANS || texts.length > MAX_CUSTODIANS) {
    throw new TransferError(TransferErrorCode.INVALID_CUSTODIAN_KEY, `a security domain has ${MIN_CUSTODIANS} to ${MAX_CUSTODIANS} custodians; got ${texts.length}`, {
      field: 'custodians',
    });
  }
  const keys = texts.map((text, i) => {
    try {
      return parseCustodianPublicKey(text);
    } catch (error) {
      throw new TransferError(TransferErrorCode.INVALID_CUSTODIAN_KEY, `custodian ${i + 1}: ${(error as Error).message}`, { field: 'custodians', index: i + 1 });
    }
  });
  const fingerprints = keys.map((k) => custodianKeyFingerprint(k));
  const repeated = fingerprints.findIndex((f, i) => fingerprints.indexOf(f) !== i);
  if (repeated >= 0) {
    throw new TransferError(TransferErrorCode.INVALID_CUSTODIAN_KEY, `custodian ${repeated + 1} has the same public key as another custodian`, { field: 'custodians', index: repeated + 1 });
  }
  return keys;
}

function alreadyExists(name: string): TransferError {
  return new TransferError(TransferErrorCode.SECURITY_DOMAIN_ALREADY_EXISTS, `security domain ${name} already exists`, { field: 'name' });
}
