import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

/**
 * The forms a secret can take in other files: as written, URL-encoded, JSON-escaped and Base64
 * (as in a logged `Authorization: Basic` header). Values shorter than 4 characters are left out.
 */
export function secretVariants(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out.add(secret);
    out.add(encodeURIComponent(secret));
    out.add(JSON.stringify(secret).slice(1, -1));
    out.add(Buffer.from(secret).toString("base64").replace(/=+$/, ""));
  }
  return [...out].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * Overwrites every occurrence of each secret (and its {@link secretVariants}) in `data` with as
 * many `*` bytes, so binary files (pcaps) keep their structure and lengths.
 * @returns how many occurrences were overwritten.
 */
export function scrubBytes(data: Uint8Array, variants: readonly string[]): number {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let count = 0;
  for (const variant of variants) {
    const needle = Buffer.from(variant, "utf8");
    let at = buffer.indexOf(needle);
    while (at >= 0) {
      buffer.fill(0x2a, at, at + needle.length);
      count += 1;
      at = buffer.indexOf(needle, at + needle.length);
    }
  }
  return count;
}

/**
 * Scrubs every file below `dir` (text and binary alike, see {@link scrubBytes}) of the secrets,
 * rewriting only files that contained one.
 * @returns per file (relative to `dir`) the number of occurrences overwritten; files without any are left out.
 */
export async function scrubFolder(dir: string, secrets: readonly string[]): Promise<Record<string, number>> {
  const variants = secretVariants(secrets);
  const counts: Record<string, number> = {};
  if (variants.length === 0) return counts;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const data = await readFile(path);
    const count = scrubBytes(data, variants);
    if (count === 0) continue;
    await writeFile(path, data);
    counts[relative(dir, path)] = count;
  }
  return counts;
}
