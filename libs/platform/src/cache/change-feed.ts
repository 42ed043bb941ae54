import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../config/app-config';

/** The channel the change triggers notify (migration 1764010000000); the payload is the changed table's name. */
export const CHANGE_CHANNEL = 'keybridge_changes';

type Listener = (table: string | null) => void;

/**
 * Tells in-process caches when rows they may hold have changed anywhere in the deployment: triggers on the tables
 * that access checks read NOTIFY at commit, and every process LISTENs on one dedicated connection.
 *
 * Caches may trust what they hold only while the feed is `live`: connected, LISTENing, and a heartbeat answered on
 * that very connection within the last `2 × KEYBRIDGE_CACHE_HEARTBEAT_MS` (Postgres delivers notifications committed
 * before a query ahead of its answer, so an answered heartbeat means nothing older was missed). A lost connection or
 * a late heartbeat tells every listener to drop everything (`null`), caches are bypassed until the feed is live again,
 * and they are dropped once more at that moment: a notification lost in the gap can never leave a stale allow.
 */
@Injectable()
export class ChangeFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeFeed.name);
  private readonly listeners = new Set<Listener>();
  private client: Client | undefined;
  private liveUntil = 0;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private everConnected = false;

  constructor(private readonly config: AppConfig) {}

  /** Whether caches may serve what they hold. */
  get live(): boolean {
    return this.client !== undefined && Date.now() < this.liveUntil;
  }

  /** Whether caching is configured at all (KEYBRIDGE_CACHE_TTL_MS > 0). */
  get enabled(): boolean {
    return this.config.values.KEYBRIDGE_CACHE_TTL_MS > 0;
  }

  /** `listener(table)` on each change of a table; `listener(null)` when anything may have changed unseen. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.config.values.DATABASE_URL,
      application_name: `keybridge-change-feed/${process.pid}`,
      connectionTimeoutMillis: this.config.values.KEYBRIDGE_DB_ACQUIRE_TIMEOUT_MS,
      keepAlive: true,
    });
    client.on('notification', (n) => {
      if (n.channel === CHANGE_CHANNEL) this.emit(n.payload ?? null);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.lost(client, error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    // Anything may have changed while no connection listened: start from nothing.
    this.emit(null);
    this.markLive();
    if (this.everConnected) this.logger.log('change feed reconnected; caches were dropped');
    this.everConnected = true;
    const every = this.config.values.KEYBRIDGE_CACHE_HEARTBEAT_MS;
    this.heartbeat = setInterval(() => void this.beat(client), every);
    this.heartbeat.unref();
  }

  private async beat(client: Client): Promise<void> {
    if (client !== this.client) return;
    try {
      await client.query('SELECT 1');
      if (client === this.client) this.markLive();
    } catch (error) {
      this.lost(client, error);
    }
  }

  private markLive(): void {
    this.liveUntil = Date.now() + 2 * this.config.values.KEYBRIDGE_CACHE_HEARTBEAT_MS;
  }

  private lost(client: Client, error: unknown): void {
    if (this.stopped) return;
    if (client === this.client) {
      this.client = undefined;
      this.liveUntil = 0;
      clearInterval(this.heartbeat);
      void client.end().catch(() => undefined);
      this.logger.warn(`change feed lost (${error instanceof Error ? error.message : String(error)}); caches bypassed until it is back`);
    } else if (this.client !== undefined) {
      return; // an old client's late event
    }
    this.emit(null);
    if (this.reconnect === undefined) {
      this.reconnect = setTimeout(() => {
        this.reconnect = undefined;
        void this.connect();
      }, 500);
      this.reconnect.unref();
    }
  }

  private emit(table: string | null): void {
    for (const listener of this.listeners) listener(table);
  }
}
