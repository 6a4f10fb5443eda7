import type { NaptrRecord, SrvRecord } from "node:dns";
import type { Logger } from "../../lib/index.ts";

/**
 * Transports a target can be reached on (RFC 3263 §4.1): `tls` is TLS over TCP (`SIPS+D2T`,
 * `_sips._tcp`), `tcp` is `SIP+D2T` / `_sip._tcp`, `udp` is `SIP+D2U` / `_sip._udp`.
 */
export type SipTargetTransport = "udp" | "tcp" | "tls";

/**
 * One place to send a request: transport, IP address and port (RFC 3263 §4: the result of
 * resolving a SIP/SIPS URI). A client tries these in order, one per transaction (§4.3).
 */
export interface SipTarget {
  /** Transport to use. */
  transport: SipTargetTransport;
  /** IPv4 or IPv6 address (no brackets). */
  address: string;
  /** Port, 1–65535. */
  port: number;
  /**
   * The name the address came from: the SRV target, or the URI's host (or `maddr`) when there was
   * no SRV step; the address itself for a numeric host. For logs and the TLS `servername`.
   */
  host: string;
  /**
   * The URI's host (or `maddr`), lowercased: the SIP domain that a TLS certificate is checked
   * against (RFC 5922 §4), whatever SRV target the address came from.
   */
  domain: string;
}

/**
 * The DNS queries RFC 3263 needs, as `node:dns/promises` `Resolver` provides them (so a `Resolver`
 * pointed at any server fits). Each rejects with a Node DNS error (`code` `ENOTFOUND`, `ENODATA`,
 * `ESERVFAIL`, `ETIMEOUT`…) when there is no answer.
 */
export interface DnsLookup {
  /** NAPTR records of `name` (RFC 3403). */
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  /** SRV records of `name` (RFC 2782), e.g. `_sip._tcp.example.com`. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
  /** IPv4 addresses (A records) of `name`. */
  resolve4(name: string): Promise<string[]>;
  /** IPv6 addresses (AAAA records) of `name`. */
  resolve6(name: string): Promise<string[]>;
}

/** Options of `resolveSipUri`. */
export interface ResolveOptions {
  /** Where DNS queries go. @default a new `node:dns/promises` `Resolver` (system servers) */
  resolver?: DnsLookup;
  /**
   * Transports this client supports, in preference order: NAPTR records of other transports are
   * dropped (RFC 3263 §4.1), and without NAPTR the SRV names are queried in this order.
   * @default ["tls", "tcp", "udp"]
   */
  transports?: readonly SipTargetTransport[];
  /** IP families to look up for each name, in order (A before AAAA by default). @default [4, 6] */
  ipFamilies?: readonly (4 | 6)[];
  /** Uniform random numbers in [0, 1) for the SRV weight draw (RFC 2782). @default Math.random */
  random?: () => number;
  /** Where the resolution steps are logged (debug). @default silentLogger */
  logger?: Logger;
}
