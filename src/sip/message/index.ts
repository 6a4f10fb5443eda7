/**
 * SIP message layer (RFC 3261 §7, §20, §25): types, parser, stream framer, serializer, responses.
 * @module
 */
export { type BuildResponseOptions, buildResponse } from "./build-response.ts";
export { parseCallId, parseCSeq, type SipCSeq } from "./core-headers.ts";
export { SipParseError } from "./errors.ts";
export { formatParams, parseParams, type SipParams } from "./header-params.ts";
export { headerKey, SipHeaderList, type SipHeaders, splitHeaderList } from "./headers.ts";
export { SipMessageBase } from "./message.ts";
export { parseNameAddr, type SipNameAddr } from "./name-addr.ts";
export { defaultMaxMessageBytes, type ParseOptions, parseMessage } from "./parser.ts";
export { SipRequest } from "./request.ts";
export { SipResponse } from "./response.ts";
export { serializeMessage } from "./serialize.ts";
export type { SipMessage } from "./sip-message.ts";
export { reasonPhrase, StatusCode, type StatusCodeValue } from "./status.ts";
export { SipStreamParser, type SipStreamParserOptions } from "./stream-parser.ts";
export { parseUri, type SipUri } from "./uri.ts";
export { parseVia, parseViaList, type SipVia } from "./via.ts";
