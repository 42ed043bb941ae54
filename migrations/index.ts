import { Foundation1763880000000 } from './1763880000000-Foundation';

/** Every migration, in order. Hand-written and reviewed; TypeORM never synchronizes. */
export const migrations = [Foundation1763880000000];
