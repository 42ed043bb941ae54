import { Injectable } from '@nestjs/common';
import { KeyError, KeyErrorCode } from '../keys.errors';
import { KeyRecord, KeyVersionRecord, Vault } from '../model/key';
import { KeyRepository, KeyState } from '../persistence/key.repository';

@Injectable()
export class KeyLocator {
  constructor(private readonly keys: KeyRepository) {}

  async key(vault: Vault, name: string, state: KeyState = 'live'): Promise<KeyRecord> {
    const key = await this.keys.find(vault.id, name, state);
    if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
    return key;
  }

  async version(key: KeyRecord, version: number | 'latest'): Promise<KeyVersionRecord> {
    const number = version === 'latest' ? key.latestVersion : version;
    const found = await this.keys.version(key.id, number);
    if (!found) throw new KeyError(KeyErrorCode.KEY_VERSION_NOT_FOUND, `key ${key.name} has no version ${number}`);
    return found;
  }
}
