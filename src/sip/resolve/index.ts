/**
 * SIP server location (RFC 3263 §4): SIP/SIPS URI → ordered (transport, address, port) targets via
 * NAPTR, SRV (RFC 2782 ordering) and A/AAAA, and failover bookkeeping across those targets.
 * @module
 */
export { SipResolveError, type SipResolveErrorCode } from "./errors.ts";
export { formatSipTarget } from "./format-target.ts";
export { defaultSipTransports, resolveSipUri } from "./resolve-sip-uri.ts";
export type { DnsLookup, ResolveOptions, SipTarget, SipTargetTransport } from "./resolve-types.ts";
export { isNoServiceTarget, orderSrvRecords } from "./srv-order.ts";
export {
  type TargetFailure,
  type TargetFailureReason,
  TargetSet,
  type TargetSetEvents,
  type TargetSetOptions,
  type TargetState,
  type TargetStatus,
} from "./target-set.ts";
export { defaultSipPort } from "./uri-target.ts";
