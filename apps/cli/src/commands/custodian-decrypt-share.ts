import { createPrivateKey, KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { decryptCustodianShare, DecryptedShare, serializeDecryptedShare, ShareFormatError } from '@keybridge/transfer/shares';

export interface CustodianDecryptShareOptions {
  /** The custodian's `keybridge.custodian-share` JSON file. */
  share: string;
  /** The custodian's RSA private key, PKCS#8 or PKCS#1 PEM, possibly encrypted. */
  key: string;
  /** Where to write the decrypted share (0600), or `-` for stdout. */
  out: string;
  /** Name of the environment variable holding the private key's passphrase. */
  passphraseEnv?: string;
}

export interface CustodianDecryptShareIo {
  log: (line: string) => void;
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: CustodianDecryptShareIo = {
  log: (line) => console.error(line),
  stdout: (text) => process.stdout.write(text),
  env: process.env,
};

/**
 * Custodian side of a security domain: opens one encrypted share with the custodian's private key and writes the
 * `keybridge.decrypted-share` JSON to hand to the gateway. Prints the domain id and index, never the share.
 */
export function custodianDecryptShare(options: CustodianDecryptShareOptions, io: CustodianDecryptShareIo = defaultIo): number {
  let decrypted: DecryptedShare | undefined;
  try {
    const encrypted = readText(options.share, 'share file');
    decrypted = decryptCustodianShare(encrypted, readPrivateKey(options, io.env));
    const text = `${serializeDecryptedShare(decrypted)}\n`;
    if (options.out === '-') {
      io.stdout(text);
    } else {
      writeOut(options.out, text);
    }
    io.log(`decrypted share ${decrypted.index} of security domain ${decrypted.domainId}; wrote ${options.out === '-' ? 'stdout' : `${options.out} (0600)`}`);
    return 0;
  } catch (error: unknown) {
    io.log(`keybridge custodian decrypt-share: ${error instanceof ShareFormatError || error instanceof CliError ? error.message : 'unexpected failure'}`);
    return 1;
  } finally {
    decrypted?.share.fill(0);
  }
}

/** Errors whose message was written here, for the user: anything else is not printed (it could quote input). */
class CliError extends Error {}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new CliError(`cannot read the ${what} ${path}: ${errorCode(error)}`);
  }
}

function readPrivateKey(options: CustodianDecryptShareOptions, env: NodeJS.ProcessEnv): KeyObject {
  let passphrase: string | undefined;
  if (options.passphraseEnv !== undefined) {
    passphrase = env[options.passphraseEnv];
    if (passphrase === undefined || passphrase === '') throw new CliError(`--passphrase-env: the environment variable ${options.passphraseEnv} is not set`);
  }
  const pem = readText(options.key, 'private key file');
  if (!/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    throw new CliError(`${options.key} is not a PKCS#8 or PKCS#1 PEM private key (BEGIN PRIVATE KEY, BEGIN ENCRYPTED PRIVATE KEY or BEGIN RSA PRIVATE KEY)`);
  }
  // Read from the PEM: OpenSSL 3 reports a missing passphrase as a generic "interrupted or cancelled".
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem);
  if (encrypted && passphrase === undefined) throw new CliError(`${options.key} is encrypted: name the environment variable holding its passphrase with --passphrase-env`);
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new CliError(`cannot read the private key ${options.key}${encrypted ? ' (wrong passphrase?)' : ''}`);
  }
}

function writeOut(path: string, text: string): void {
  try {
    // 'wx': an existing file keeps its mode on overwrite, so a secret could land in a world-readable file.
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  } catch (error: unknown) {
    const code = errorCode(error);
    throw new CliError(code === 'EEXIST' ? `${path} already exists: remove it or choose another --out` : `cannot write ${path}: ${code}`);
  }
}

function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unknown error';
}
