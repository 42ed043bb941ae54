export * from './gateway-client';
export * from './database';
export * from './fixtures';
export * from './ports';
export * from './processes';
