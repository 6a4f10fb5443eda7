import type { SipTarget } from "./resolve-types.ts";

/**
 * A target as `transport:address:port` (IPv6 in brackets), e.g. `tls:[2001:db8::1]:5061`: its
 * identity in a `TargetSet` and its form in logs and events.
 */
export function formatSipTarget(target: SipTarget): string {
  const address = target.address.includes(":") ? `[${target.address}]` : target.address;
  return `${target.transport}:${address}:${target.port}`;
}
