import { Injectable } from '@nestjs/common';
import { Vault } from '@keybridge/keys';
import { EntityManager } from 'typeorm';
import { ByokError, ByokErrorCode } from '../byok.errors';
import { AttestationKeyRecord, parseTransportKid, TransportKeyRecord, transportKeyStatus } from '../model/transport-key';
import { AttestationKeyRepository } from '../persistence/attestation-key.repository';
import { TransportKeyRepository } from '../persistence/transport-key.repository';

@Injectable()
export class TransportKeyFinder {
  constructor(
    private readonly transportKeys: TransportKeyRepository,
    private readonly attestationKeys: AttestationKeyRepository,
  ) {}

  /** A kid naming another vault is refused without looking it up; an unknown one is TRANSPORT_KEY_NOT_FOUND. */
  async find(vault: Vault, kid: string, manager?: EntityManager, lock = false): Promise<TransportKeyRecord> {
    const parsed = parseTransportKid(kid);
    if (!parsed) throw notFound();
    if (parsed.vault !== vault.name) {
      throw new ByokError(ByokErrorCode.TRANSPORT_KEY_WRONG_VAULT, `the transport key belongs to another vault; a blob is imported only into its transport key's vault`, {
        field: 'transportKid',
      });
    }
    const key = await this.transportKeys.find(vault.id, parsed.id, manager, lock);
    if (!key) throw notFound();
    return key;
  }

  async attestationKeyOf(key: TransportKeyRecord, manager?: EntityManager): Promise<AttestationKeyRecord> {
    const found = await this.attestationKeys.findById(key.attestationKeyId, manager);
    if (!found) throw new Error('transport key without its attestation key');
    return found;
  }
}

/** Throws the reason the key cannot import now, if there is one. */
export function assertImportable(key: TransportKeyRecord, now: Date): void {
  switch (transportKeyStatus(key, now)) {
    case 'revoked':
      throw new ByokError(ByokErrorCode.TRANSPORT_KEY_REVOKED, 'the transport key was revoked', { field: 'transportKid' });
    case 'used':
      throw new ByokError(ByokErrorCode.TRANSPORT_KEY_USED, `the transport key has been used ${key.uses} of ${key.maxUses} times`, { field: 'transportKid' });
    case 'expired':
      throw new ByokError(ByokErrorCode.TRANSPORT_KEY_EXPIRED, `the transport key expired at ${key.expiresAt.toISOString()}`, { field: 'transportKid' });
    case 'active':
      return;
  }
}

function notFound(): ByokError {
  return new ByokError(ByokErrorCode.TRANSPORT_KEY_NOT_FOUND, 'no such transport key in this vault', { field: 'transportKid' });
}
