import { AppConfig } from '../config/app-config';
import { ChangeFeed } from './change-feed';
import { ReadCache } from './read-cache';

/** Stands in for the LISTEN connection: live or not, and notifications on demand. */
class FakeFeed {
  live = true;
  private readonly listeners: Array<(table: string | null) => void> = [];
  subscribe(listener: (table: string | null) => void): () => void {
    this.listeners.push(listener);
    return () => undefined;
  }
  notify(table: string | null): void {
    for (const l of this.listeners) l(table);
  }
}

const config = (ttl = 10_000) =>
  AppConfig.fromEnv({ DATABASE_URL: 'postgres://x', REDIS_URL: 'redis://x', KEYBRIDGE_POOLS_FILE: 'x', KEYBRIDGE_CACHE_TTL_MS: String(ttl) });

function setup(ttl?: number) {
  const feed = new FakeFeed();
  const cache = new ReadCache<string, string>(feed as unknown as ChangeFeed, config(ttl), ['grants', 'vaults']);
  let loads = 0;
  let value: string | undefined = 'v1';
  const load = async (): Promise<string | undefined> => {
    loads += 1;
    return value;
  };
  return {
    feed,
    cache,
    get: () => cache.get('k', load),
    loads: () => loads,
    set: (v: string | undefined) => (value = v),
  };
}

describe('ReadCache', () => {
  it('serves a found value from memory until a change to one of its tables empties it', async () => {
    const t = setup();
    expect(await t.get()).toBe('v1');
    t.set('v2');
    expect(await t.get()).toBe('v1');
    expect(t.loads()).toBe(1);
    t.feed.notify('keys'); // not one of its tables
    expect(await t.get()).toBe('v1');
    t.feed.notify('grants');
    expect(await t.get()).toBe('v2');
    expect(t.loads()).toBe(2);
  });

  it('is bypassed while the feed is not live, and emptied when the feed says anything may have changed', async () => {
    const t = setup();
    await t.get();
    t.set('v2');
    t.feed.live = false;
    expect(await t.get()).toBe('v2');
    t.feed.live = true;
    t.feed.notify(null);
    expect(await t.get()).toBe('v2');
    expect(t.loads()).toBe(3);
  });

  it('does not keep a value loaded across an invalidation (it may predate the change)', async () => {
    const t = setup();
    let release!: () => void;
    const slow = t.cache.get('k', async () => {
      await new Promise<void>((r) => (release = r));
      return 'old';
    });
    t.feed.notify('vaults');
    release();
    expect(await slow).toBe('old');
    expect(await t.get()).toBe('v1');
    expect(t.loads()).toBe(1);
  });

  it('never caches a miss, so unknown names or credentials cannot fill it and appear once created', async () => {
    const t = setup();
    t.set(undefined);
    expect(await t.get()).toBeUndefined();
    t.set('created');
    expect(await t.get()).toBe('created');
    expect(t.loads()).toBe(2);
  });

  it('expires entries after the TTL, and caches nothing with a TTL of 0', async () => {
    const t = setup(50);
    await t.get();
    await new Promise((r) => setTimeout(r, 80));
    await t.get();
    expect(t.loads()).toBe(2);
    const off = setup(0);
    await off.get();
    await off.get();
    expect(off.loads()).toBe(2);
  });
});

describe('ReadCache values', () => {
  it('are frozen once cached, so no request can change what the next one reads', async () => {
    const feed = new FakeFeed();
    const cache = new ReadCache<string, { ops: string[] }>(feed as unknown as ChangeFeed, config(), ['keys']);
    const value = await cache.get('k', async () => ({ ops: ['wrapKey'] }));
    expect(() => (value as { ops: string[] }).ops.push('sign')).toThrow(TypeError);
  });
});
