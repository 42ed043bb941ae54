export * from './fake-hsm';
export * from './session-secret-keys';
