/**
 * SIPREC forwarding (DESIGN.md §5 "SIPREC forward", issue #5 items 4–5): the appliance as SRC of its
 * own recording sessions towards remote SRSs (RFC 7866 §6, RFC 7865 metadata), RFC 3263 failover
 * across targets, SDES-SRTP over TLS, pause/resume re-INVITEs, and store-and-forward: audio a remote
 * SRS missed is sent later in replay sessions, every frame exactly once.
 * @module
 */
export { SiprecForwardError, type SiprecForwardErrorCode } from "./errors.ts";
export type * from "./forward-types.ts";
export { createSiprecForwarder } from "./forwarder.ts";
