import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core. playwright-core never downloads a browser: it starts this executable
 * (ops/local/test.sh installs the `chromium` package when it is missing, see ops/local/test-packages.sh).
 */
export const CHROMIUM = process.env.KEYBRIDGE_CHROMIUM ?? '/usr/bin/chromium';
export const INSTALL_CHROMIUM = 'sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium fonts-liberation';

/** Headless, no sandbox (root), and nothing that talks to the network on its own (the machine's network is closed). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export const VIEWPORT = { width: 1280, height: 800 };

export interface Browser {
  context: BrowserContext;
  /** Requests the pages tried to send anywhere but the gateway (aborted: no CDN, no web fonts). */
  foreign: string[];
  close(): Promise<void>;
}

/** A fresh Chromium profile (temp --user-data-dir, removed on close) whose pages may reach only `origin`. */
export async function launch(origin: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM} (Debian package chromium). ops/local/test.sh installs it when it runs as root or with ` +
        `passwordless sudo; otherwise install it with:\n  ${INSTALL_CHROMIUM}\n(or set KEYBRIDGE_CHROMIUM to a Chromium executable)`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'keybridge-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: VIEWPORT,
      timeout: 60_000,
    });
    context.setDefaultTimeout(30_000);
    const foreign: string[] = [];
    const own = new URL(origin).origin;
    await context.route(
      (url) => url.origin !== own,
      (route) => {
        foreign.push(route.request().url());
        return route.abort('blockedbyclient');
      },
    );
    return {
      context,
      foreign,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

/** Width and height from a PNG's IHDR chunk; throws when the file is not a PNG. */
export function pngInfo(file: string): { width: number; height: number; bytes: number } {
  const data = readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 33 || !data.subarray(0, 8).equals(signature) || data.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`${file} is not a PNG`);
  }
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), bytes: statSync(file).size };
}
