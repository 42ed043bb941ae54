/** Pure formats shared by the service and the customer-side CLI (`@keybridge/byok/formats`: node:crypto only). */
export * from './byok-format';
export * from './transport-key-attestation';
export * from './key-material';
