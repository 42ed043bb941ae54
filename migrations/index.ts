import { Foundation1763880000000 } from './1763880000000-Foundation';
import { LedgerCheckpoints1763890000000 } from './1763890000000-LedgerCheckpoints';
import { Byok1763900000000 } from './1763900000000-Byok';
import { Escrow1763910000000 } from './1763910000000-Escrow';
import { Transfer1763920000000 } from './1763920000000-Transfer';
import { ClientCertificates1763930000000 } from './1763930000000-ClientCertificates';
import { Lifecycle1763940000000 } from './1763940000000-Lifecycle';
import { TraceContext1763950000000 } from './1763950000000-TraceContext';
import { LedgerQueue1764000000000 } from './1764000000000-LedgerQueue';
import { ChangeNotifications1764010000000 } from './1764010000000-ChangeNotifications';
import { SealedSecrets1764020000000 } from './1764020000000-SealedSecrets';
import { TraceContextForQueuedWork1764030000000 } from './1764030000000-TraceContextForQueuedWork';

/** Every migration, in order. Hand-written and reviewed; TypeORM never synchronizes. */
export const migrations = [Foundation1763880000000, LedgerCheckpoints1763890000000, Byok1763900000000, Escrow1763910000000, Transfer1763920000000, ClientCertificates1763930000000, Lifecycle1763940000000, TraceContext1763950000000, LedgerQueue1764000000000, ChangeNotifications1764010000000, SealedSecrets1764020000000, TraceContextForQueuedWork1764030000000];
