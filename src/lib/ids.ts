import { randomBytes } from "node:crypto";

/**
 * Returns a new UUIDv7 (RFC 9562 §5.7): 48-bit Unix ms timestamp, version 7, random rest.
 * Sorts by creation time, which keeps spool rows and logs in call order.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Returns `bytes` random bytes as lowercase hex (SIP tags, branch ids, tokens). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}
