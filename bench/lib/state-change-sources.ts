import { buildPost, HttpTarget, RequestSource } from './http-load';

/**
 * The requests of bench/state-changes.ts, pre-serialised where they repeat, each with the check of its response:
 * shape and lengths, and for releaseDataKey the exact data key generateDataKey returned for that record.
 */

export interface DataKeyRecord {
  id: string;
  /** base64url, as generateDataKey returned it */
  plaintext: string;
}

export interface WrappedSample {
  /** base64url RFC 5649 blob under the KEK */
  wrapped: string;
  /** base64url data key it holds */
  plaintext: string;
}

interface GqlResponse<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** 32 bytes in base64url without padding */
const DEK_B64U_LENGTH = 43;
const KWP = 'CKM_AES_KEY_WRAP_PAD';

export const GENERATE = 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { plaintext record { id vault algorithm bits origin } } }';
export const DEPOSIT = 'mutation($i: DepositWrappedKeyInput!) { depositWrappedKey(input: $i) { id vault algorithm origin } }';
export const RELEASE = 'mutation($id: ID!) { releaseDataKey(id: $id) { plaintext record { id } } }';
export const CREATE = 'mutation($i: CreateKeyInput!) { createKey(input: $i) { kid vault name version kty size } }';

/** Parses a response body: the data, or the error label `graphql-<extensions.code>: message` the load client counts by. */
function parse<T>(body: Buffer): { data: T } | { error: string } {
  const r = JSON.parse(body.toString('utf8')) as GqlResponse<T>;
  if (r.errors?.length) return { error: `graphql-${r.errors[0].extensions?.code ?? 'error'}: ${r.errors[0].message}` };
  if (!r.data) return { error: 'invalid: no data' };
  return { data: r.data };
}

interface RecordShape {
  id?: string;
  vault?: string;
  algorithm?: string;
  bits?: number | null;
  origin?: string;
}

function recordProblem(record: RecordShape | undefined, vault: string, origin: string): string | null {
  if (!record || typeof record.id !== 'string' || !UUID.test(record.id)) return 'invalid: record.id is not a UUID';
  if (record.vault !== vault || record.algorithm !== KWP || record.origin !== origin) return `invalid: record is not a ${origin} ${KWP} record of the vault`;
  return null;
}

/** generateDataKey of a 256-bit DEK under the KEK; every record made is handed to `made` (for the releases). */
export function generateSource(target: HttpTarget, token: string, vault: string, kek: string, made: (r: DataKeyRecord) => void): RequestSource {
  const raw = buildPost(target, token, JSON.stringify({ query: GENERATE, variables: { i: { vault, key: kek, bits: 256, owner: 'bench' } } }));
  const check = (body: Buffer): string | null => {
    const r = parse<{ generateDataKey?: { plaintext?: string; record?: RecordShape } }>(body);
    if ('error' in r) return r.error;
    const out = r.data.generateDataKey;
    if (typeof out?.plaintext !== 'string' || out.plaintext.length !== DEK_B64U_LENGTH) return 'invalid: plaintext is not 32 bytes';
    const problem = recordProblem(out.record, vault, 'generated');
    if (problem) return problem;
    if (out.record?.bits !== 256) return 'invalid: record.bits is not 256';
    made({ id: out.record.id as string, plaintext: out.plaintext });
    return null;
  };
  return { next: () => ({ raw, check }) };
}

/** depositWrappedKey of the samples' blobs in turn; a few deposited records are kept in `kept` to release later. */
export function depositSource(target: HttpTarget, token: string, vault: string, kek: string, samples: WrappedSample[], kept: DataKeyRecord[], keep = 32): RequestSource {
  const requests = samples.map((sample) => {
    const raw = buildPost(target, token, JSON.stringify({ query: DEPOSIT, variables: { i: { vault, key: kek, algorithm: KWP, wrapped: sample.wrapped, owner: 'bench' } } }));
    let seen = 0;
    const check = (body: Buffer): string | null => {
      const r = parse<{ depositWrappedKey?: RecordShape }>(body);
      if ('error' in r) return r.error;
      const record = r.data.depositWrappedKey;
      const problem = recordProblem(record, vault, 'deposited');
      if (problem) return problem;
      // one early and then one in every 1,000 of each blob, so the kept ones span the run
      if (kept.length < keep && seen++ % 1000 === 0) kept.push({ id: record?.id as string, plaintext: sample.plaintext });
      return null;
    };
    return { raw, check };
  });
  let i = 0;
  return { next: () => requests[i++ % requests.length] };
}

/**
 * releaseDataKey of `records` in order, each a distinct record until they run out, then again from the first;
 * every response must carry exactly the data key generateDataKey returned for that record.
 */
export function releaseSource(target: HttpTarget, token: string, records: DataKeyRecord[]): RequestSource & { issued(): number } {
  let i = 0;
  return {
    issued: () => i,
    next: () => {
      if (records.length === 0) throw new Error('no records to release');
      const record = records[i++ % records.length];
      const raw = buildPost(target, token, JSON.stringify({ query: RELEASE, variables: { id: record.id } }));
      const check = (body: Buffer): string | null => {
        const r = parse<{ releaseDataKey?: { plaintext?: string; record?: { id?: string } } }>(body);
        if ('error' in r) return r.error;
        const out = r.data.releaseDataKey;
        if (out?.record?.id !== record.id) return 'invalid: released another record';
        return out.plaintext === record.plaintext ? null : 'invalid: released plaintext is not the generated data key';
      };
      return { raw, check };
    },
  };
}

/** createKey of AES-256 keys with unique names `<prefix>-<n>`. */
export function createKeySource(target: HttpTarget, token: string, vault: string, prefix: string): RequestSource {
  let n = 0;
  return {
    next: () => {
      const name = `${prefix}-${n++}`;
      const raw = buildPost(target, token, JSON.stringify({ query: CREATE, variables: { i: { vault, name, kty: 'oct', size: 256, keyOps: ['wrapKey', 'unwrapKey'] } } }));
      const check = (body: Buffer): string | null => {
        const r = parse<{ createKey?: { kid?: string; vault?: string; name?: string; version?: number; kty?: string; size?: number } }>(body);
        if ('error' in r) return r.error;
        const key = r.data.createKey;
        if (!key || typeof key.kid !== 'string' || key.kid.length === 0) return 'invalid: no kid';
        if (key.name !== name || key.vault !== vault || key.version !== 1 || key.kty !== 'oct' || key.size !== 256) return 'invalid: not the AES-256 key asked for';
        return null;
      };
      return { raw, check };
    },
  };
}
