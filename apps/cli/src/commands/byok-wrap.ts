import { createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { BlobHash, byokFile, KeyMaterial, readKeyMaterial, verifyAttestation, wrapForImport } from '@keybridge/byok/formats';

export interface ByokWrapOptions {
  /** createTransportKey's result saved as JSON (attested), or the transport key's public PEM (not attested). */
  transportKey: string;
  /** PEM of the vault's attestation key to pin (attestationKey query, obtained out of band). */
  verifyAttestation?: string;
  key: string;
  hash: string;
  format: string;
  out: string;
  /** With a .pem transport key: the kid to put in a .byok header. */
  kid?: string;
  now?: Date;
}

const GENERATOR = 'keybridge byok wrap 0.1.0; source: software key file';
const HASHES: Record<string, BlobHash> = { sha1: 'SHA-1', sha256: 'SHA-256' };

interface Transport {
  key: KeyObject;
  kid?: string;
  size: number;
}

/**
 * Customer side of BYOK: wraps a key file for upload exactly as the openssl recipe does (RSA-OAEP of a fresh
 * AES-256 key under the transport key, then RFC 5649 of the key material), after verifying the transport key's
 * attestation and expiry. Writes a .byok JSON file or the raw blob. Nothing secret is written or printed.
 */
export function byokWrap(options: ByokWrapOptions, log: (line: string) => void = (line) => console.error(line)): number {
  const hash = HASHES[options.hash.toLowerCase()];
  if (!hash) throw new Error('--hash must be sha1 or sha256');
  if (options.format !== 'byok' && options.format !== 'raw') throw new Error('--format must be byok or raw');
  const transport = loadTransportKey(options, hash, log);
  const kid = transport.kid ?? options.kid;
  if (options.format === 'byok' && !kid) throw new Error('a .byok file names its transport key: use the .json transport key, or give --kid');
  const keyBytes = readFileSync(options.key);
  let material: KeyMaterial | undefined;
  try {
    material = readKeyMaterial(keyBytes, ['.bin', '.raw'].includes(extname(options.key).toLowerCase()));
    const blob = wrapForImport(transport.key, material.material, hash);
    writeFileSync(options.out, options.format === 'byok' ? byokFile(kid as string, blob, GENERATOR) : blob, { mode: 0o644 });
    log(`wrote ${options.out}: ${options.format} blob of ${blob.length} bytes (${transport.size / 8}-byte RSA-OAEP-${hash} part, ${blob.length - transport.size / 8}-byte AES-KWP part)`);
    log(`  holds: ${describe(material)}; import with ${importHint(material)}`);
    if (material.kty !== 'oct') {
      const publicOut = `${options.out}.pub.pem`;
      writeFileSync(publicOut, material.publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
      log(`  public key: ${publicOut} (importKey publicKey${material.kty === 'EC' ? ', required for EC' : ', optional'})`);
    }
    if (kid) log(`  transport key: ${kid}`);
    return 0;
  } finally {
    keyBytes.fill(0);
    material?.material.fill(0);
  }
}

function loadTransportKey(options: ByokWrapOptions, hash: BlobHash, log: (line: string) => void): Transport {
  const text = readFileSync(options.transportKey, 'utf8');
  if (!text.trimStart().startsWith('{')) {
    if (options.verifyAttestation) throw new Error('an attestation comes with the .json transport key (createTransportKey result); a PEM has none');
    const key = createPublicKey(text);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('the transport key is not an RSA public key');
    log('WARNING: a bare PEM transport key carries no attestation or expiry: nothing about it was verified');
    return { key, kid: options.kid, size: key.asymmetricKeyDetails?.modulusLength ?? 0 };
  }
  const saved = transportKeyJson(text);
  const pinned = options.verifyAttestation ? createPublicKey(readFileSync(options.verifyAttestation, 'utf8')) : undefined;
  if (!pinned) log('WARNING: attestation verified with the attestation key inside the JSON; pin it with --verify-attestation');
  const attestationKey = pinned ?? createPublicKey(saved.attestation.attestationPublicKeyPem);
  const { claims, transportKey } = verifyAttestation(saved.attestation.payload, saved.attestation.signature, attestationKey, options.now ?? new Date());
  if (saved.kid !== undefined && saved.kid !== claims.kid) throw new Error('the JSON kid differs from the attested kid');
  if (options.kid !== undefined && options.kid !== claims.kid) throw new Error('--kid differs from the attested kid');
  if (!claims.oaepHashes.includes(hash)) {
    throw new Error(`vault ${claims.vault} (pool ${claims.pool}) cannot unwrap RSA-OAEP with ${hash}; it accepts ${claims.oaepHashes.join(', ')}`);
  }
  log(`attestation OK: ${claims.kid} in vault ${claims.vault} (pool ${claims.pool}), expires ${claims.expiresAt}, signed by ${claims.attestationKid}`);
  return { key: transportKey, kid: claims.kid, size: transportKey.asymmetricKeyDetails?.modulusLength ?? 0 };
}

interface SavedTransportKey {
  kid?: string;
  attestation: { payload: string; signature: string; attestationPublicKeyPem: string };
}

/** The createTransportKey (or transportKey) result, bare or as the whole GraphQL response. */
function transportKeyJson(text: string): SavedTransportKey {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('the transport key file is not JSON');
  }
  const data = record(record(value)?.data);
  const candidate = record(data?.createTransportKey) ?? record(data?.transportKey) ?? record(value);
  const attestation = record(candidate?.attestation);
  if (
    !candidate ||
    !attestation ||
    typeof attestation.payload !== 'string' ||
    typeof attestation.signature !== 'string' ||
    typeof attestation.attestationPublicKeyPem !== 'string'
  ) {
    throw new Error('the JSON is not a transport key with its attestation (payload, signature, attestationPublicKeyPem)');
  }
  return {
    kid: typeof candidate.kid === 'string' ? candidate.kid : undefined,
    attestation: { payload: attestation.payload, signature: attestation.signature, attestationPublicKeyPem: attestation.attestationPublicKeyPem },
  };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function describe(material: KeyMaterial): string {
  switch (material.kty) {
    case 'oct':
      return `AES-${material.size} (raw, ${material.material.length} bytes)`;
    case 'RSA':
      return `RSA-${material.size} (PKCS#8, ${material.material.length} bytes)`;
    case 'EC':
      return `EC ${material.curve} (PKCS#8, ${material.material.length} bytes)`;
  }
}

function importHint(material: KeyMaterial): string {
  switch (material.kty) {
    case 'oct':
      return `kty: "oct", size: ${material.size}`;
    case 'RSA':
      return `kty: "RSA", size: ${material.size}`;
    case 'EC':
      return `kty: "EC", curve: "${material.curve}"`;
  }
}
