/** Call-ID header line, long or compact form (RFC 3261 §20.8, §7.3.3), case-insensitive. */
const callIdLine = /^(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$/im;

/** Where the head of a SIP message ends (the blank line), or the whole length when it has none. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i;
  }
  return bytes.length;
}

/**
 * The Call-ID of a raw SIP message (RFC 3261 §8.1.1.4), read from its head without parsing the
 * rest; empty when there is none (a keep-alive, garbage). Tolerates bare-LF line ends.
 */
export function sipCallIdOf(bytes: Uint8Array): string {
  const end = headEnd(bytes);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString("latin1");
  return callIdLine.exec(head)?.[1] ?? "";
}
