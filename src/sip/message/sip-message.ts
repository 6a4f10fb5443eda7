import type { SipRequest } from "./request.ts";
import type { SipResponse } from "./response.ts";

/** Any SIP message (RFC 3261 §7): a request or a response. */
export type SipMessage = SipRequest | SipResponse;
