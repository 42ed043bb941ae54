import { KeyView, Page } from '@keybridge/keys';
import { KeyConnectionModel, KeyModel } from './key.model';

export function keyConnection(page: Page<KeyView>): KeyConnectionModel {
  const edges = page.items.map(({ cursor, node }) => ({ cursor, node: KeyModel.from(node) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
