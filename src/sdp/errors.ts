import { SrsError } from "../lib/index.ts";

/** Thrown by `parseSdp` when the text is not a session description (no `v=` line or no `m=` line). */
export class SdpParseError extends SrsError {
  readonly code = "SDP_PARSE";
}
