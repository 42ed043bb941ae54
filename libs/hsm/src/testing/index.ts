export * from './fake-hsm';
export * from './session-secret-keys';
export * from './read-out-attempt';
