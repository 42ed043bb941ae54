import { randomBytes, randomInt } from 'node:crypto';
import canonicalize from 'canonicalize';
import { LedgerEntryInput } from '../ledger-entry';
import { canonicalEntry, canonicalParts, joinCanonicalParts } from './hash-chain';

const pick = <T>(values: T[]): T => values[randomInt(values.length)];
const text = (): string =>
  pick(['', 'a', 'é', '日本', '\u0000\u001f"\\/', '\ud83d\ude00', 'line\nbreak', '\ud800', randomBytes(8).toString('base64'), 'Z'.repeat(300)]);
const nullable = <T>(v: T): T | null => (randomInt(4) === 0 ? null : v);

function randomEntry(): LedgerEntryInput {
  const details: LedgerEntryInput['details'] = {};
  for (let i = randomInt(5); i > 0; i--) details[pick(['b', 'a', 'B', 'é', 'aa', '_', '1', text()])] = pick([text(), 0, -1.5, 1e21, 123456789012, true, false, null]);
  return {
    principalId: nullable(text()),
    vault: nullable(text()),
    keyName: nullable(text()),
    keyVersion: nullable(randomInt(1, 1_000_000)),
    operation: text() || 'op',
    outcome: pick(['success', 'denied', 'failed'] as const),
    errorCode: nullable(text()),
    requestId: nullable(text()),
    traceId: nullable(text()),
    paramsDigest: nullable(randomBytes(32).toString('hex')),
    details,
  };
}

describe('canonicalEntry', () => {
  it('is byte for byte the RFC 8785 canonical JSON of the entry document', () => {
    for (let i = 0; i < 2000; i++) {
      const entry = randomEntry();
      const seq = randomInt(1, 2 ** 47);
      const at = new Date(randomInt(0, 2 ** 42));
      const doc = { seq, recordedAt: at.toISOString(), ...entry };
      expect(canonicalEntry(seq, at, entry)).toBe(canonicalize(doc));
      // what the writer sends to ledger_append, joined the way the database joins it
      expect(joinCanonicalParts(canonicalParts(entry), seq, at)).toBe(canonicalize(doc));
    }
  });

  it('splits around recordedAt and seq even when optional members are absent', () => {
    const sparse = { ...randomEntry(), requestId: undefined, traceId: undefined, vault: undefined } as unknown as LedgerEntryInput;
    const at = new Date(0);
    expect(joinCanonicalParts(canonicalParts(sparse), 7, at)).toBe(canonicalEntry(7, at, sparse));
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(() => canonicalEntry(1, new Date(0), { ...randomEntry(), keyVersion: Number.NaN })).toThrow('not serialisable');
  });
});
