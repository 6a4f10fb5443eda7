/**
 * Constants of EASP/1, the Edge Audio Stream Protocol (siprec-edge's WebSocket protocol, EASP.md).
 * Values here are wire values: never renumber them.
 */
import { FrameFlags } from "../lib/index.ts";

/** WebSocket subprotocol token (`Sec-WebSocket-Protocol`, RFC 6455 §1.9), EASP.md §2. */
export const EASP_SUBPROTOCOL = "easp.v1";

/** Protocol version: the `ver` byte of every record and the `v` field of every JSON message. */
export const EASP_VERSION = 1;

/** Size of a binary record header, bytes (EASP.md §3: payload starts at offset 40). */
export const RECORD_HEADER_BYTES = 40;

/**
 * Record kinds, flag bits and GAP reasons (EASP.md §3) are the frame codes the spool stores
 * (`src/lib/frame-codes.ts`), under the protocol's names.
 */
export {
  FrameFlags as RecordFlags,
  FrameKind as RecordKind,
  GapReason as EaspGapReason,
} from "../lib/index.ts";

/** Mask of the flag bits defined by EASP/1; any other bit set makes a record invalid. */
export const RECORD_FLAGS_DEFINED = 0x1f;

/** WebSocket close codes used by EASP/1 (RFC 6455 §7.4 plus the application range, EASP.md §7). */
export const EaspCloseCode = {
  /** Normal closure, after `closed`. */
  Normal: 1000,
  /** Going away (shutdown). */
  GoingAway: 1001,
  /** The server did not select `easp.v1` (RFC 6455 protocol error). */
  SubprotocolMismatch: 1002,
  /** Server internal error. */
  InternalError: 1011,
  /** Service restart. */
  ServiceRestart: 1012,
  /** Try again later. */
  TryAgainLater: 1013,
  /** Protocol error: seq discontinuity, invariant violation, malformed message. */
  ProtocolError: 4000,
  /** Unauthorized. */
  Unauthorized: 4001,
  /** Forbidden. */
  Forbidden: 4003,
  /** The session is attached on another connection. */
  SessionAttached: 4009,
  /** The session was already closed / finalized. */
  SessionClosed: 4010,
  /** Overloaded: try again later. */
  Overloaded: 4013,
  /** Rate limited. */
  RateLimited: 4029,
  /** No `pong` for two ping intervals (client-side liveness check). */
  PingTimeout: 4408,
  /** Message too large. */
  MessageTooLarge: 4413,
  /** Unsupported codec or rate. */
  UnsupportedCodec: 4415,
} as const;

/** Default of `opened.maxMessageBytes` and of the client's `capabilities.maxMessageBytes`, bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/** Default `opened.window`: unacknowledged audio in flight, ms and bytes (EASP.md §4). */
export const DEFAULT_WINDOW = { ms: 10_000, bytes: 4 * 1024 * 1024 } as const;

/** Default `opened.ackIntervalMs`, ms. */
export const DEFAULT_ACK_INTERVAL_MS = 500;

/** Interval of the client's application-level `ping`, ms (EASP.md §5). */
export const PING_INTERVAL_MS = 5_000;

/** Records captured longer ago than this when sent carry the REPLAY flag by default, ms (EASP.md §5). */
export const REPLAY_THRESHOLD_MS = 2_000;

/**
 * The flag bits that belong to an item's identity. `(sessionId, seq)` denotes the same bytes
 * whether sent live or replayed (EASP.md §1) — except the REPLAY bit, which describes the
 * *delivery* (this copy left the appliance later than the replay threshold after capture), not
 * the item: the same record is sent without it live and with it after an outage. Receivers
 * therefore dedupe by `(sessionId, seq)` alone and never compare bytes; two copies of an item are
 * identical once masked with this value.
 */
export const ITEM_IDENTITY_FLAGS = RECORD_FLAGS_DEFINED & ~FrameFlags.Replay;

/** Audio codecs an EASP stream may carry (EASP.md §4 `StreamDesc.codec`). */
export type EaspCodec = "PCMU" | "PCMA" | "L16";

/**
 * Bytes per sample per channel of a codec: 1 for G.711 (PCMU/PCMA), 2 for L16 (16-bit signed,
 * big-endian on the wire, RFC 3551 §4.5.11).
 */
export function bytesPerSample(codec: EaspCodec): 1 | 2 {
  return codec === "L16" ? 2 : 1;
}

/** The byte a codec uses for digital silence (EASP.md §3): PCMU `0xFF`, PCMA `0xD5`, L16 `0x00`. */
export function silenceByte(codec: EaspCodec): number {
  if (codec === "PCMU") return 0xff;
  if (codec === "PCMA") return 0xd5;
  return 0x00;
}

/**
 * Payload length an AUDIO record must have (EASP.md §1 invariant 3):
 * `durationSamples × channels × bytesPerSample`, bytes.
 */
export function audioPayloadLength(codec: EaspCodec, channels: number, durationSamples: number): number {
  return durationSamples * channels * bytesPerSample(codec);
}
