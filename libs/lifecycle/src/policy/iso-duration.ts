const PATTERN = /^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/;

export interface IsoDuration {
  text: string;
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** ISO-8601 durations as Azure Key Vault's rotation policies write them (P90D, P1Y, PT12H, P1Y2M3DT4H); undefined if not one. */
export function parseIsoDuration(text: string): IsoDuration | undefined {
  const m = PATTERN.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => Number(v ?? 0));
  if (years + months + weeks + days + hours + minutes + seconds === 0) return undefined;
  return { text, years, months, weeks, days, hours, minutes, seconds };
}

/** Calendar arithmetic in UTC: P1M after 31 January is the last day of February (Date's own overflow is clamped). */
export function addDuration(date: Date, d: IsoDuration, sign: 1 | -1 = 1): Date {
  const out = new Date(date.getTime());
  if (d.years || d.months) {
    const day = out.getUTCDate();
    out.setUTCDate(1);
    out.setUTCMonth(out.getUTCMonth() + sign * (d.years * 12 + d.months));
    const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
    out.setUTCDate(Math.min(day, last));
  }
  const ms = ((((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000;
  return new Date(out.getTime() + sign * ms);
}
