export * from './gateway-client';
export * from './database';
export * from './fixtures';
