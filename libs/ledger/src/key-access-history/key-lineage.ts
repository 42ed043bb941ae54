import { Injectable } from '@nestjs/common';
import { KeySegment } from '../read/audit-filter';

/**
 * Where one key has lived: the (vault, name) pairs it had, each with the seq range during which it had it.
 * The history of a key is the union of its segments' entries, so it survives moves between vaults.
 *
 * Today keys never leave their vault, so the lineage of /vaults/<v>/keys/<n> is that one pair for all time. When
 * cross-vault transfers arrive, the transfer library records each move (source kid, target kid, the seq of the
 * transfer's ledger entry) and provides a KeyLineage subclass that walks those records both ways:
 *   [{ vault: a, keyName: k, toSeq: s1 }, { vault: b, keyName: k2, fromSeq: s1 }, …]
 * registered with `{ provide: KeyLineage, useClass: TransferAwareKeyLineage }`; nothing else changes.
 */
@Injectable()
export class KeyLineage {
  async segments(vault: string, keyName: string): Promise<KeySegment[]> {
    return [{ vault, keyName }];
  }
}
