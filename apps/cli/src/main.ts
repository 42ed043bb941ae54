import 'reflect-metadata';
import { ConfigError } from '@keybridge/platform';
import { bootstrapAdmin } from './commands/bootstrap-admin';
import { byokWrap } from './commands/byok-wrap';
import { custodianDecryptShare } from './commands/custodian-decrypt-share';
import { ledgerExport } from './commands/ledger-export';
import { ledgerVerify } from './commands/ledger-verify';
import { migrate } from './commands/migrate';

const USAGE = `usage: keybridge <command>
  migrate                                  apply database migrations
  bootstrap-admin --token-file FILE [--principal NAME]
                                           create the admin principal and write a token to FILE (0600)
  ledger export --out FILE|- [--from N] [--to N] [--checkpoint-out FILE] [--public-key-out FILE]
                                           ledger entries as NDJSON from Postgres (+ newest checkpoint, its public key)
  ledger verify --export FILE --checkpoint FILE --public-key FILE
                                           offline: chain, tree head and signature; exit 1 naming the first bad seq
  byok wrap --transport-key transport.json|transport.pem [--verify-attestation attestation-key.pem]
            --key key.pem|key.der|key.bin [--hash sha1|sha256] [--format byok|raw] --out FILE [--kid KID]
                                           customer side of BYOK: verify the transport key's attestation and
                                           expiry, wrap the key (RSA-OAEP + AES-KWP) as an Azure .byok or raw blob
  custodian decrypt-share --share share.json --key custodian-private.pem --out FILE|- [--passphrase-env VAR]
                                           custodian side of a security domain: decrypt your share (RSA-OAEP-SHA-256)
                                           into the decrypted-share JSON for the gateway, written 0600`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** null when absent, undefined when present but not a positive integer. */
function seqOption(args: string[], name: string): number | null | undefined {
  const value = option(args, name);
  if (value === undefined) return null;
  return /^[1-9]\d{0,14}$/.test(value) ? Number(value) : undefined;
}

async function main(args: string[]): Promise<number> {
  switch (args[0]) {
    case 'migrate':
      await migrate();
      return 0;
    case 'bootstrap-admin': {
      const file = option(args, '--token-file');
      if (!file) break;
      await bootstrapAdmin(file, option(args, '--principal'));
      return 0;
    }
    case 'ledger': {
      if (args[1] === 'export') {
        const out = option(args, '--out');
        const from = seqOption(args, '--from');
        const to = seqOption(args, '--to');
        if (!out || from === undefined || to === undefined) break;
        return ledgerExport({ out, from, to, checkpointOut: option(args, '--checkpoint-out'), publicKeyOut: option(args, '--public-key-out') });
      }
      if (args[1] === 'verify') {
        const [exported, checkpoint, key] = ['--export', '--checkpoint', '--public-key'].map((name) => option(args, name));
        if (!exported || !checkpoint || !key) break;
        return ledgerVerify(exported, checkpoint, key);
      }
      break;
    }
    case 'byok': {
      const [transportKey, key, out] = ['--transport-key', '--key', '--out'].map((name) => option(args, name));
      if (args[1] !== 'wrap' || !transportKey || !key || !out) break;
      return byokWrap({
        transportKey,
        key,
        out,
        verifyAttestation: option(args, '--verify-attestation'),
        hash: option(args, '--hash') ?? 'sha1',
        format: option(args, '--format') ?? 'byok',
        kid: option(args, '--kid'),
      });
    }
    case 'custodian': {
      const [share, key, out] = ['--share', '--key', '--out'].map((name) => option(args, name));
      if (args[1] !== 'decrypt-share' || !share || !key || !out) break;
      return custodianDecryptShare({ share, key, out, passphraseEnv: option(args, '--passphrase-env') });
    }
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
