/**
 * Formats µs since the Unix epoch as ISO-8601 UTC with 6 fractional digits, the form EASP uses
 * for `callEpoch` and `recording.startTime` (EASP.md §4), e.g. `2025-01-02T03:04:05.123456Z`.
 * @throws RangeError if `us` is not a finite number in the Date range.
 */
export function isoFromMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = Math.round(us - ms * 1000);
  const text = new Date(ms).toISOString();
  return `${text.slice(0, -1)}${String(micros).padStart(3, "0")}Z`;
}

/**
 * Parses an ISO-8601 time (as written by {@link isoFromMicros}, or with fewer fractional digits)
 * into µs since the Unix epoch.
 * @returns the time, or NaN if the text is not a date.
 */
export function microsFromIso(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return Number.NaN;
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? "";
  const extraMicros = fraction.length > 3 ? Number(fraction.slice(3, 6).padEnd(3, "0")) : 0;
  return ms * 1000 + extraMicros;
}
