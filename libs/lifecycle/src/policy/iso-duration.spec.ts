import { addDuration, parseIsoDuration } from './iso-duration';

describe('ISO-8601 durations', () => {
  it.each([
    ['P90D', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['P1Y', '2024-02-29T12:00:00.000Z', '2025-02-28T12:00:00.000Z'],
    ['P1M', '2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
    ['PT36H', '2026-01-01T00:00:00.000Z', '2026-01-02T12:00:00.000Z'],
    ['P1Y2M3DT4H5M6S', '2026-01-01T00:00:00.000Z', '2027-03-04T04:05:06.000Z'],
    ['P2W', '2026-01-01T00:00:00.000Z', '2026-01-15T00:00:00.000Z'],
  ])('%s after %s is %s', (text, from, to) => {
    const d = parseIsoDuration(text);
    expect(d).toBeDefined();
    expect(addDuration(new Date(from), d as NonNullable<typeof d>).toISOString()).toBe(to);
    expect(addDuration(new Date(to), d as NonNullable<typeof d>, -1).getTime()).toBeLessThanOrEqual(new Date(from).getTime() + 86_400_000);
  });

  it.each(['', 'P', 'PT', '90D', 'P-1D', 'P0D', 'P1.5D', 'P1DT', 'p1d', 'PT1H1D', 'P99999999D'])('refuses %j', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });
});
