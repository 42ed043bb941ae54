export * from './fake-hsm';
