import { Resolver } from "node:dns/promises";

/**
 * A DNS resolver that asks the given servers (`sip.dns_servers`, `IP` or `IP:PORT`) instead of the
 * system's, for RFC 3263 lookups of remote SRSs (NAPTR, SRV, A/AAAA).
 */
export function dnsResolver(servers: readonly string[]): Resolver {
  const resolver = new Resolver();
  resolver.setServers([...servers]);
  return resolver;
}
