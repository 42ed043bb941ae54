import { invalidArgument } from '../keys.errors';

/** One parser for `latest | vN | N` (and absent = latest). */
export function parseVersion(input: string | null | undefined): number | 'latest' {
  if (input === null || input === undefined || input === '' || input === 'latest') return 'latest';
  const match = /^v?([1-9][0-9]{0,8})$/.exec(input);
  if (!match) throw invalidArgument('version must be latest, vN or N', 'version');
  return Number(match[1]);
}
