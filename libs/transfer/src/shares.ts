/** Security-domain share crypto for the custodian CLI (`@keybridge/transfer/shares`): node:crypto, zod and Shamir only, no Nest. */
export * from './security-domain/shares/shamir';
export * from './security-domain/shares/custodian-share.format';
