import type { AudioCodec, FrameInput } from "../spool/index.ts";

/**
 * A frame produced by an RTP receiver: exactly the spool's {@link FrameInput} (so the recorder
 * passes it through without copying).
 */
export type MediaFrame = FrameInput;

/** What a receiver expects for one RTP payload type (from the negotiated SDP). */
export interface PayloadFormat {
  /** RTP payload type number (0–127). */
  payloadType: number;
  /** Codec, or `telephone-event` (RFC 4733) / `CN` (RFC 3389), which are not audio frames. */
  codec: AudioCodec | "telephone-event" | "CN";
  /** Clock rate, Hz. */
  rate: number;
}

/** Counters of one RTP receiver (one m-line), for status and metrics. */
export interface RtpReceiverStats {
  /** Valid RTP packets accepted. */
  packetsReceived: number;
  /** Packets never received (sequence gaps after the reorder window), RFC 3550 §6.4.1 "cumulative lost". */
  packetsLost: number;
  /** Packets that arrived after their slot was given up (too late to reorder). */
  packetsLate: number;
  /** Duplicate packets dropped. */
  packetsDuplicate: number;
  /** Datagrams that were not RTP (or RTCP on the RTP port) — counted and dropped. */
  packetsMalformed: number;
  /** Datagrams from an address other than the expected/latched one — counted and dropped. */
  packetsWrongSource: number;
  /** RTP payload bytes accepted. */
  bytesReceived: number;
  /** Interarrival jitter, ms (RFC 3550 §6.4.1). */
  jitterMs: number;
  /** Current SSRC, 0 before the first packet. */
  ssrc: number;
  /** Peak absolute linear sample level of recent audio, 0–32767 (for the page's level meter). */
  level: number;
}
