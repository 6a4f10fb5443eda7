/** The IPv4 wildcard a socket bound to "any address" reports as its local address. */
const wildcardV4 = "0.0.0.0";
/** The IPv6 wildcard. */
const wildcardV6 = "::";

/** Whether `address` is a wildcard bind address (`0.0.0.0`, `::` or empty), not a real interface address. */
export function isWildcardAddress(address: string): boolean {
  return address === wildcardV4 || address === wildcardV6 || address === "";
}

function parseV4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? "";
    if (!/^\d{1,3}$/.test(part)) return false;
    const n = Number(part);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

function parseGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups: number[] = [];
  for (const group of text.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

/** Parses an IPv6 address (RFC 4291 §2.2: `::` compression, an embedded dotted IPv4 tail, a `%zone`). */
function parseV6(input: string): Uint8Array | undefined {
  let text = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const out = new Uint8Array(16);
  let tailV4 = false;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    if (!parseV4(text.slice(lastColon + 1), out, 12)) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
    tailV4 = true;
  }
  const gap = text.indexOf("::");
  if (gap !== text.lastIndexOf("::")) return undefined;
  const head = parseGroups(gap >= 0 ? text.slice(0, gap) : text);
  const tail = gap >= 0 ? parseGroups(text.slice(gap + 2)) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (gap < 0 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(gap >= 0 ? missing : 0).fill(0), ...tail];
  const v4 = tailV4 ? out.slice(12) : undefined;
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/**
 * The bytes of an IP address in network order: 4 for dotted-quad IPv4, 16 for IPv6 (RFC 4291 §2.2
 * text forms). An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports for
 * an IPv4 peer) gives its 4 IPv4 bytes, so a capture shows the address the SDP names.
 * @throws RangeError for text that is neither.
 */
export function ipAddressBytes(address: string): Uint8Array {
  const v4 = new Uint8Array(4);
  if (parseV4(address, v4, 0)) return v4;
  const v6 = parseV6(address);
  if (!v6) throw new RangeError(`${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
  const mapped = v6.subarray(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0));
  return mapped ? v6.slice(12) : v6;
}

/** `bytes` as an IPv6 address: unchanged when already 16 bytes, else the IPv4-mapped form (RFC 4291 §2.5.5.2). */
export function asIpv6Bytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16) return bytes;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(bytes, 12);
  return out;
}
