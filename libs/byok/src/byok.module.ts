import { Module } from '@nestjs/common';
import { KeysModule } from '@keybridge/keys';
import { TransportKeyFinder } from './access/transport-key-finder';
import { AttestationKeys } from './attestation/attestation-keys';
import { CleanupTransportKeysHandler } from './cleanup-transport-keys/cleanup-transport-keys.handler';
import { CreateTransportKeyHandler } from './create-transport-key/create-transport-key.handler';
import { GetAttestationKeyHandler } from './get-attestation-key/get-attestation-key.handler';
import { GetTransportKeyHandler } from './get-transport-key/get-transport-key.handler';
import { ImportKeyHandler } from './import-key/import-key.handler';
import { ListTransportKeysHandler } from './list-transport-keys/list-transport-keys.handler';
import { AttestationKeyRepository } from './persistence/attestation-key.repository';
import { TransportKeyRepository } from './persistence/transport-key.repository';
import { RevokeTransportKeyHandler } from './revoke-transport-key/revoke-transport-key.handler';

@Module({
  imports: [KeysModule],
  providers: [
    TransportKeyRepository,
    AttestationKeyRepository,
    TransportKeyFinder,
    AttestationKeys,
    CreateTransportKeyHandler,
    ListTransportKeysHandler,
    GetTransportKeyHandler,
    RevokeTransportKeyHandler,
    GetAttestationKeyHandler,
    ImportKeyHandler,
    CleanupTransportKeysHandler,
  ],
})
export class ByokModule {}
