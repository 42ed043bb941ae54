export * from './ledger-entry';
export * from './ledger.errors';
export * from './ledger.module';
export * from './append/ledger-writer';
export * from './read/ledger-reader';
export * from './chain/hash-chain';
export * from './chain/verify-chain';
export * from './audit/audit-trail';
