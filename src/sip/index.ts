/**
 * SIP stack (RFC 3261): message layer, UDP/TCP transports, server transactions, UAS dialogs and the
 * request router. The only entry other folders may import. Knows nothing about SIPREC.
 * @module
 */

export type { Dialog, DialogEvents, DialogState, DialogTerminationReason } from "./dialog/dialog-types.ts";
export * from "./message/index.ts";
export { defaultSipTimers, type SipTimers } from "./transaction/timers.ts";
export { SipTransportError } from "./transport/errors.ts";
export {
  formatListenSpec,
  type ListenSpec,
  parseListenSpec,
  type SipEndpoint,
  type SipTransportName,
} from "./transport/listen-spec.ts";
export { SipStatusError } from "./ua/errors.ts";
export { createSipStack } from "./ua/sip-stack.ts";
export type {
  IncomingRequest,
  ReplyOptions,
  RequestHandler,
  SipStack,
  SipStackOptions,
  SipStats,
} from "./ua/sip-stack-types.ts";
