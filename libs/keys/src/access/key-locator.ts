import { Injectable } from '@nestjs/common';
import { AppConfig, ChangeFeed, ReadCache } from '@keybridge/platform';
import { KeyError, KeyErrorCode } from '../keys.errors';
import { KeyRecord, KeyVersionRecord, Vault } from '../model/key';
import { KeyRepository, KeyState } from '../persistence/key.repository';

/** What access checks read of keys and versions: emptied by any change to keys, versions or vaults. */
const KEY_TABLES = ['keys', 'key_versions', 'vaults'];

@Injectable()
export class KeyLocator {
  private readonly liveKeys: ReadCache<string, KeyRecord>;
  private readonly withVersions: ReadCache<string, { key: KeyRecord; version?: KeyVersionRecord }>;

  constructor(
    private readonly keys: KeyRepository,
    feed: ChangeFeed,
    config: AppConfig,
  ) {
    this.liveKeys = new ReadCache(feed, config, KEY_TABLES);
    this.withVersions = new ReadCache(feed, config, KEY_TABLES);
  }

  async key(vault: Vault, name: string, state: KeyState = 'live'): Promise<KeyRecord> {
    const key =
      state === 'live'
        ? await this.liveKeys.get(`${vault.id}\0${name}`, () => this.keys.find(vault.id, name, state))
        : await this.keys.find(vault.id, name, state);
    if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
    return key;
  }

  /** Both in one query, for the hot path of cryptographic operations. */
  async keyAndVersion(vault: Vault, name: string, version: number | 'latest'): Promise<{ key: KeyRecord; version: KeyVersionRecord }> {
    const number = version === 'latest' ? null : version;
    const found = await this.withVersions.get(`${vault.id}\0${name}\0${number ?? 'latest'}`, () => this.keys.findLiveWithVersion(vault.id, name, number));
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
