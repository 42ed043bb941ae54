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

  /** Both in one query, for the hot path of cryptographic operations. */
  async keyAndVersion(vault: Vault, name: string, version: number | 'latest'): Promise<{ key: KeyRecord; version: KeyVersionRecord }> {
    const found = await this.keys.findLiveWithVersion(vault.id, name, version === 'latest' ? null : version);
    if (!found) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
    if (!found.version) {
      throw new KeyError(KeyErrorCode.KEY_VERSION_NOT_FOUND, `key ${name} has no version ${version === 'latest' ? found.key.latestVersion : version}`);
    }
    return { key: found.key, version: found.version };
  }

  async version(key: KeyRecord, version: number | 'latest'): Promise<KeyVersionRecord> {
    const number = version === 'latest' ? key.latestVersion : version;
    const found = await this.keys.version(key.id, number);
    if (!found) throw new KeyError(KeyErrorCode.KEY_VERSION_NOT_FOUND, `key ${key.name} has no version ${number}`);
    return found;
  }
}
