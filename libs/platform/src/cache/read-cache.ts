import { AppConfig } from '../config/app-config';
import { ChangeFeed } from './change-feed';

/** Entries kept per cache; when full, the oldest go first (Map keeps insertion order). */
const MAX_ENTRIES = 50_000;

interface Entry<V> {
  value: V;
  storedAt: number;
}

/**
 * An in-process cache of rows that rarely change, read on every request (credentials, grants, key metadata).
 * Correctness comes from the ChangeFeed, not from expiry: a change to any of `tables`, anywhere in the deployment,
 * empties it; while the feed is not live it is bypassed; the TTL (KEYBRIDGE_CACHE_TTL_MS) is only a backstop.
 * Only found values are cached (`undefined` is not), so unknown credentials or names cost a query each time and
 * cannot fill memory.
 */
export class ReadCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  /** Bumped by every invalidation: a load that started before one may hold old data and is not stored. */
  private epoch = 0;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly config: AppConfig,
    private readonly tables: readonly string[],
  ) {
    feed.subscribe((table) => {
      if (table === null || this.tables.includes(table)) this.clear();
    });
  }

  async get(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const ttl = this.config.values.KEYBRIDGE_CACHE_TTL_MS;
    if (ttl === 0 || !this.feed.live) return load();
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.storedAt < ttl) return hit.value;
    const epoch = this.epoch;
    const value = await load();
    if (value !== undefined && epoch === this.epoch && this.feed.live) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as K);
      this.entries.delete(key);
      // shared by every request from now on: a handler that tried to change it would change it for all
      this.entries.set(key, { value: deepFreeze(value), storedAt: Date.now() });
    }
    return value;
  }

  clear(): void {
    this.epoch += 1;
    this.entries.clear();
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  for (const member of Object.values(value)) deepFreeze(member);
  return Object.freeze(value);
}
