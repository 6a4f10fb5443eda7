/**
 * SIP stack (RFC 3261): message layer, UDP/TCP/TLS transports with outbound connections, server and
 * client transactions, UAS and UAC dialogs that both send in-dialog requests and run session timers
 * (RFC 4028), OPTIONS pinging and the request router. The only entry other folders may import. Knows
 * nothing about SIPREC.
 * @module
 */

export type {
  Dialog,
  DialogEvents,
  DialogState,
  DialogTerminationReason,
  SessionTimerState,
} from "./dialog/dialog-types.ts";
export {
  formatSessionExpires,
  parseMinSe,
  parseSessionExpires,
  type SessionExpires,
} from "./dialog/session-timer.ts";
export * from "./message/index.ts";
export * from "./resolve/index.ts";
export { type LocalResponseCause, SipLocalResponse } from "./transaction/local-response.ts";
export { defaultSipTimers, type SipTimers } from "./transaction/timers.ts";
export { SipTransportError } from "./transport/errors.ts";
export {
  formatListenSpec,
  isStreamTransport,
  type ListenSpec,
  parseListenSpec,
  type SipEndpoint,
  type SipTransportName,
} from "./transport/listen-spec.ts";
export { formatNextHop, nextHopFromUri, type SipNextHop } from "./transport/next-hop.ts";
export type { SipTlsOptions } from "./transport/tls.ts";
export type { SipWireEvent, SipWireHandler } from "./transport/transport.ts";
export { SipStatusError } from "./ua/errors.ts";
export { defaultIsUp as defaultPingIsUp } from "./ua/options-pinger.ts";
export { createSipStack } from "./ua/sip-stack.ts";
export type {
  IncomingRequest,
  ReplyOptions,
  RequestHandler,
  SipStack,
  SipStackOptions,
  SipStats,
} from "./ua/sip-stack-types.ts";
export type {
  ClientRequest,
  ClientRequestEvents,
  DialogRequestInit,
  InviteInit,
  InviteResult,
  OptionsPinger,
  OptionsPingerEvents,
  OutgoingRequestInit,
  PeerState,
  PingOptions,
  SessionDialog,
  SessionTimerOptions,
  UacDialog,
} from "./ua/uac-types.ts";
