export * from './transfer.errors';
export * from './transfer.module';
export * from './transfer-key/transfer-key.command';
