const byteUnits: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a size such as `20GB`, `512MiB`, `1.5gb` or a plain number of bytes.
 * Decimal units (KB, MB, GB, TB) are powers of 1000; binary ones (KiB, MiB, GiB, TiB) of 1024.
 * @returns bytes, or undefined when the text is not a size.
 */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const factor = m ? byteUnits[(m[2] ?? "").toLowerCase()] : undefined;
  return m && factor !== undefined ? Math.floor(Number(m[1]) * factor) : undefined;
}

/**
 * Parses a duration such as `24h`, `90s`, `500ms`, `7d` or a plain number of milliseconds.
 * @returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  const factor = m ? durationUnits[(m[2] ?? "ms").toLowerCase()] : undefined;
  return m && factor !== undefined ? Number(m[1]) * factor : undefined;
}

/** Formats a byte count with binary units for people: `512 B`, `1.5 KiB`, `20.0 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
